/*
grain: one row for the organisation in the current fiscal quarter (period): rep_forecast_rollup summed over
  every rep; call is the sum of the teams' calls, beside reps_call_sum and the CRM roll-up.
unique: [period]
columns_from: int_forecast_rollup
tests:
  - commit_cumulative = closed + commit
*/
select * exclude (rollup_level, rep_id, team)
from int_forecast_rollup
where rollup_level = 'org'
