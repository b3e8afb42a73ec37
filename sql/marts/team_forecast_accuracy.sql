/*
grain: one row per team per closed fiscal quarter (team, period): the manager's team call at the checkpoint
  (else the CRM's own forecast for the team that day, the reps' summed) against what the team's reps won
  (counted in their team of today); every ratio recomputed from the sums.
unique: [team, period]
columns_from: int_forecast_accuracy
columns:
  team: Team name.
tests:
  - forecast_accuracy between 0 and 1
  - accuracy between 0 and 1
*/
select * exclude (forecast_level, rep_id)
from int_forecast_accuracy
where forecast_level = 'team'
