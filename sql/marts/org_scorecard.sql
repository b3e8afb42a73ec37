/*
grain: one row per fiscal quarter for the whole organisation (period): the sums of every rep's rep_scorecard
  row, ratios recomputed from the sums (int_scorecard_rollup).
unique: [period]
dictionary: [period, period_start, period_end, is_current, is_closed, reps, quota, won_amount, attainment,
  gap_to_quota, deals_won, deals_lost, win_rate, avg_deal_size, avg_cycle_days, open_pipeline, weighted_pipeline,
  pipeline_coverage, projected_amount, projected_attainment]
columns:
  teams: Teams with a row in the quarter.
*/
with

rollup as (
    select * from int_scorecard_rollup
    where rollup_level = 'org'
),

final as (
    select * exclude (rollup_level, team, cycle_deals) from rollup
)

select * from final
