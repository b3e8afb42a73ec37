/*
grain: one row per rep per closed fiscal quarter (rep_id, period): the rep's forecast as it stood on the
  quarter's first day against what they won.
unique: [rep_id, period]
dictionary: [rep_id, team, period, commit_at_start, best_case_at_start, won_amount, forecast_gap, forecast_accuracy,
  best_case_accuracy]
tests:
  - forecast_accuracy between 0 and 1
  - best_case_accuracy between 0 and 1
*/
with

forecasts as (
    select * from int_forecast_accuracy
    where forecast_level = 'rep'
),

final as (
    select * exclude (forecast_level, reps) from forecasts
)

select * from final
