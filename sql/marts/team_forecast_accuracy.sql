/*
grain: one row per team per closed fiscal quarter (team, period): rep_forecast_accuracy summed over the
  team's reps (reps counted in their team of today), accuracy recomputed from the sums.
unique: [team, period]
dictionary: [period, reps, commit_at_start, best_case_at_start, won_amount, forecast_gap, forecast_accuracy,
  best_case_accuracy]
columns:
  team: Team name.
tests:
  - forecast_accuracy between 0 and 1
*/
with

forecasts as (
    select * from int_forecast_accuracy
    where forecast_level = 'team'
),

final as (
    select * exclude (forecast_level, rep_id) from forecasts
)

select * from final
