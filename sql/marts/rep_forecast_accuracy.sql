/*
grain: one row per rep per closed fiscal quarter (rep_id, period): the rep's forecast as it stood on the
  quarter's first day against what they won.
unique: [rep_id, period]
columns:
  rep_id: The rep.
  team: The rep's team today.
  period: Fiscal quarter YYYY-Qn (closed quarters only).
  commit_at_start: Amount of deals open on the quarter's first day, closing in the quarter, with forecast
    category Commit then (int_pipeline_at_quarter_start); 0 when none; null (no data) when the export has no
    forecast category, or the quarter starts before the deal history does (int_data_coverage).
  best_case_at_start: Same for Commit plus Best Case.
  won_amount: Won amount of deals closing in the quarter (as in rep_scorecard).
  forecast_gap: won_amount − commit_at_start (positive: beat the commit).
  forecast_accuracy: max(0, 1 − |won_amount − commit_at_start| ÷ won_amount), HubSpot's forecast accuracy
    with the commit at quarter start as the forecast; null when nothing was won (the formula divides by won)
    or the commit at start is not known.
  best_case_accuracy: The same formula with best_case_at_start as the forecast.
tests:
  - forecast_accuracy between 0 and 1
  - best_case_accuracy between 0 and 1
*/
with

forecasts as (
    select * from int_forecast_accuracy
),

final as (
    select
        rep_id,
        team,
        period,
        commit_at_start,
        best_case_at_start,
        won_amount,
        forecast_gap,
        forecast_accuracy,
        best_case_accuracy,
    from forecasts
    where forecast_level = 'rep'
)

select * from final
