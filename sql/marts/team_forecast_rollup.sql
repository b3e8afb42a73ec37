/*
grain: one row per team in the current fiscal quarter (team, period): rep_forecast_rollup summed over the
  team's reps (counted in their team of today); call is the manager's team call, beside reps_call_sum (the
  reps' own calls) and the CRM roll-up.
unique: [team, period]
columns_from: int_forecast_rollup
columns:
  team: Team name.
tests:
  - commit_cumulative = closed + commit
  - best_case_cumulative = commit_cumulative + best_case
*/
select
    team,
    * exclude (rollup_level, rep_id, team)
from int_forecast_rollup
where rollup_level = 'team'
