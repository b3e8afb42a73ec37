/*
grain: one row per team per closed fiscal quarter (team, period): rep_forecast_accuracy summed over the
  team's reps (reps counted in their team of today), accuracy recomputed from the sums.
unique: [team, period]
columns_from: int_forecast_accuracy
columns:
  team: Team name.
tests:
  - forecast_accuracy between 0 and 1
*/
select * exclude (forecast_level, rep_id)
from int_forecast_accuracy
where forecast_level = 'team'
