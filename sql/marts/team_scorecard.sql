/*
grain: one row per team per fiscal quarter (team, period): the sums of its reps' rep_scorecard rows (reps
  counted in their team of today); ratios are recomputed from the sums (int_scorecard_rollup).
unique: [team, period]
dictionary: [period, period_start, period_end, is_current, is_closed, reps, quota, won_amount, attainment,
  gap_to_quota, deals_won, deals_lost, win_rate, avg_deal_size, avg_cycle_days, cycle_deals, open_pipeline,
  weighted_pipeline, pipeline_coverage, projected_amount, projected_attainment]
columns:
  team: Team name.
*/
with

rollup as (
    select * from int_scorecard_rollup
    where rollup_level = 'team'
),

final as (
    select * exclude (rollup_level, teams) from rollup
)

select * from final
