/*
grain: one row per team per closed fiscal quarter (team, period): rep_forecast_accuracy summed over the
  team's reps (reps counted in their team of today), accuracy recomputed from the sums.
unique: [team, period]
columns:
  team: Team name.
  period: Fiscal quarter YYYY-Qn (closed quarters only).
  reps: Reps with a row in the quarter.
  commit_at_start: Sum of the reps' commit at quarter start.
  best_case_at_start: Sum of the reps' commit plus best case at quarter start.
  won_amount: Sum of won amount.
  forecast_gap: won_amount − commit_at_start.
  forecast_accuracy: max(0, 1 − |won_amount − commit_at_start| ÷ won_amount) (HubSpot); null when nothing was
    won or the commit at start is not known.
  best_case_accuracy: The same formula with best_case_at_start.
tests:
  - forecast_accuracy between 0 and 1
*/
with

forecasts as (
    select * from int_forecast_accuracy
),

final as (
    select
        team,
        period,
        reps,
        commit_at_start,
        best_case_at_start,
        won_amount,
        forecast_gap,
        forecast_accuracy,
        best_case_accuracy,
    from forecasts
    where forecast_level = 'team'
)

select * from final
