/*
grain: one row per deal per fiscal quarter per day it is looked at (opportunity_id, period, snapshot_day): the
  deals in the quarter's forecast at the end of that day (open or won, with a close date in the quarter) and the
  roll-up column each counted in then, from int_opportunity_states (deal history or snapshots).
  Days (int_forecast_days): each quarter's checkpoint day, for the accuracy, and the current quarter's trend
  days; a day before the deal history starts has no rows (not known), as_of always has (today's extract).
dictionary: [opportunity_id, period, period_start, period_end]
columns:
  rep_id: The deal's owner today: the deal counts for them, as in the pipeline flow.
  snapshot_day: The day whose end the deal is looked at.
  is_checkpoint: snapshot_day is the quarter's checkpoint day.
  is_trend_day: snapshot_day is one of the current quarter's trend days.
  forecast_column: The roll-up column the deal counted in that day (the forecast_bucket macro): closed, commit,
    best_case, pipeline, omitted or uncategorized.
  stage_kind: open or won.
  forecast_category: The deal's forecast category that day.
  amount: The deal's amount that day (0 when empty).
*/
with

states as (
    select * from int_opportunity_states
),

opportunities as (
    select * from stg_opportunities
),

days as (
    select * from int_forecast_days
    where is_checkpoint or is_trend_day
),

final as (
    select
        states.opportunity_id,
        days.period,
        days.period_start,
        days.period_end,
        opportunities.owner_id as rep_id,
        days.snapshot_day,
        days.is_checkpoint,
        days.is_trend_day,
        forecast_bucket(states.stage_kind, states.forecast_category) as forecast_column,
        states.stage_kind,
        states.forecast_category,
        coalesce(cast(states.amount as double), 0) as amount,
    from days
    inner join states
        on
            days.snapshot_day >= states.valid_from
            and days.snapshot_day < states.valid_to
            and states.close_date between days.period_start and days.period_end
            and states.stage_kind in ('open', 'won')
    inner join opportunities on states.opportunity_id = opportunities.opportunity_id
)

select * from final
