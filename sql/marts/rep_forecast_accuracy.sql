/*
grain: one row per rep per closed fiscal quarter (rep_id, period): the rep's forecast at the checkpoint (the
  last own call on or before day forecast.checkpoint_days of the quarter, else the CRM's own forecast that day)
  against what they won, with its accuracy, bias and the Commit's reliability; commit_at_start and
  best_case_at_start still give the categories of the quarter's opening pipeline.
unique: [rep_id, period]
columns_from: int_forecast_accuracy
tests:
  - forecast_accuracy between 0 and 1
  - best_case_accuracy between 0 and 1
  - accuracy between 0 and 1
  - abs(commit_won + commit_slipped + commit_lost - commit_at_checkpoint) < 0.01
  - forecast_accuracy is null or forecast_accuracy = accuracy
*/
select * exclude (forecast_level, reps)
from int_forecast_accuracy
where forecast_level = 'rep'
