/*
grain: one row per rep per closed fiscal quarter (rep_id, period): the rep's forecast as it stood on the
  quarter's first day against what they won.
unique: [rep_id, period]
columns_from: int_forecast_accuracy
tests:
  - forecast_accuracy between 0 and 1
  - best_case_accuracy between 0 and 1
*/
select * exclude (forecast_level, reps)
from int_forecast_accuracy
where forecast_level = 'rep'
