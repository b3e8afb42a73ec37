/*
grain: one row per team per fiscal quarter (team, period): the sums of its reps' rep_scorecard rows
  (reps counted in their team of today); ratios are recomputed from the sums (int_scorecard_rollup).
unique: [team, period]
columns:
  team: Team name.
  period: Fiscal quarter YYYY-Qn.
  period_start: First day of the quarter.
  period_end: Last day of the quarter.
  is_current: The quarter containing as_of.
  is_closed: The quarter ended before as_of.
  reps: Reps with a scorecard row in the quarter.
  quota: Sum of the reps' quotas.
  won_amount: Sum of won amount.
  attainment: won_amount ÷ quota.
  gap_to_quota: quota − won_amount, floored at 0; null without quota.
  deals_won: Won deals.
  deals_lost: Lost deals.
  win_rate: deals_won ÷ (deals_won + deals_lost).
  avg_deal_size: won_amount ÷ deals_won.
  avg_cycle_days: Mean cycle days over the team's won deals.
  cycle_deals: Won deals with valid dates (the avg_cycle_days denominator).
  open_pipeline: Sum of the reps' open_pipeline.
  weighted_pipeline: Sum of the reps' weighted_pipeline.
  pipeline_coverage: open_pipeline ÷ quota still to close (as in rep_scorecard).
  projected_amount: Sum of the reps' projected_amount.
  projected_attainment: projected_amount ÷ quota.
*/
with

rollup as (
    select * from int_scorecard_rollup
),

final as (
    select
        team,
        period,
        period_start,
        period_end,
        is_current,
        is_closed,
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
        cycle_deals,
        open_pipeline,
        weighted_pipeline,
        pipeline_coverage,
        projected_amount,
        projected_attainment,
    from rollup
    where rollup_level = 'team'
)

select * from final
