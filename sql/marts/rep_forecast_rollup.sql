/*
grain: one row per rep in the current fiscal quarter (rep_id, period): the forecast roll-up against quota,
  from today's deals: closed, then each open category on its own (best_case excludes Commit), the cumulative
  figures apart, Omitted, uncategorized and undated deals apart; beside it the rep's own call as it stands today.
unique: [rep_id, period]
columns_from: int_forecast_rollup
tests:
  - commit_cumulative = closed + commit
  - best_case_cumulative = commit_cumulative + best_case
  - pipeline_cumulative = best_case_cumulative + pipeline
  - least(closed, commit, best_case, pipeline, omitted, uncategorized, undated) >= 0
*/
select * exclude (rollup_level)
from int_forecast_rollup
where rollup_level = 'rep'
