/*
grain: one row per rep per fiscal quarter, from the rep's first deal, quota or hire date to the next quarter.
  Deals count in the quarter of their close date.
unique: [rep_id, period]
dictionary: [rep_id, period, period_start, period_end, is_current, is_closed, team, quota, won_amount, attainment,
  gap_to_quota, deals_won, deals_lost, win_rate, win_rate_value, avg_deal_size, avg_cycle_days, cycle_deals,
  open_pipeline, weighted_pipeline, pipeline_measured_on, pipeline_coverage, projected_amount, projected_attainment]
*/
with

scorecard as (
    select * from int_rep_scorecard
),

final as (
    select * from scorecard
)

select * from final
