/*
macro: forecast_bucket(stage_kind, forecast_category)
help: The roll-up column a deal counts in: closed for a won deal; commit, best_case, pipeline or omitted for an
  open deal in that category; uncategorized for an open deal with no category (or Closed while still open);
  null for a lost deal or a stage not in config.
*/
create or replace macro forecast_bucket(stage_kind, forecast_category) as
case
    when stage_kind = 'won' then 'closed'
    when stage_kind <> 'open' or stage_kind is null then null
    when forecast_category = 'Commit' then 'commit'
    when forecast_category = 'Best Case' then 'best_case'
    when forecast_category = 'Pipeline' then 'pipeline'
    when forecast_category = 'Omitted' then 'omitted'
    else 'uncategorized'
end;
