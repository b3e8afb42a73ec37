/*
grain: one row per fiscal quarter for the whole organisation (period): the sums of every rep's rep_scorecard row, ratios
  recomputed from the sums (int_scorecard_rollup).
unique: [period]
columns:
  period: Fiscal quarter YYYY-Qn.
  period_start: First day of the quarter.
  period_end: Last day of the quarter.
  is_current: The quarter containing as_of.
  is_closed: The quarter ended before as_of.
  teams: Teams with a row in the quarter.
  reps: Reps with a scorecard row in the quarter.
  quota: Sum of quotas.
  won_amount: Sum of won amount.
  attainment: won_amount ÷ quota.
  gap_to_quota: quota − won_amount, floored at 0; null without quota.
  deals_won: Won deals.
  deals_lost: Lost deals.
  win_rate: deals_won ÷ (deals_won + deals_lost).
  avg_deal_size: won_amount ÷ deals_won.
  avg_cycle_days: Mean cycle days over all won deals.
  open_pipeline: Sum of open_pipeline.
  weighted_pipeline: Sum of weighted_pipeline.
  pipeline_coverage: open_pipeline ÷ quota still to close (as in rep_scorecard).
  projected_amount: Sum of projected_amount.
  projected_attainment: projected_amount ÷ quota.
*/
with

rollup as (
    select * from int_scorecard_rollup
),

final as (
    select
        period,
        period_start,
        period_end,
        is_current,
        is_closed,
        teams,
        reps,
        quota,
        won_amount,
        attainment,
        gap_to_quota,
        deals_won,
        deals_lost,
        win_rate,
        avg_deal_size,
        avg_cycle_days,
        open_pipeline,
        weighted_pipeline,
        pipeline_coverage,
        projected_amount,
        projected_attainment,
    from rollup
    where rollup_level = 'org'
)

select * from final
