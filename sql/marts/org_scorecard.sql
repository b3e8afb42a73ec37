/*
grain: one row per fiscal quarter for the whole organisation (period): the sums of team_scorecard.
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

teams as (
    select * from team_scorecard
),

sums as (
    select
        period,
        any_value(period_start) as period_start,
        any_value(period_end) as period_end,
        bool_or(is_current) as is_current,
        bool_and(is_closed) as is_closed,
        count(*) as teams,
        sum(reps) as reps,
        sum(quota) as quota,
        sum(won_amount) as won_amount,
        sum(deals_won) as deals_won,
        sum(deals_lost) as deals_lost,
        sum(avg_cycle_days * cycle_deals) as cycle_days_sum,
        sum(cycle_deals) as cycle_deals,
        sum(open_pipeline) as open_pipeline,
        sum(weighted_pipeline) as weighted_pipeline,
        sum(projected_amount) as projected_amount,
    from teams
    group by period
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
        won_amount / nullif(quota, 0) as attainment,
        case when quota is not null then greatest(quota - won_amount, 0) end as gap_to_quota,
        deals_won,
        deals_lost,
        deals_won / nullif(deals_won + deals_lost, 0) as win_rate,
        won_amount / nullif(deals_won, 0) as avg_deal_size,
        cycle_days_sum / nullif(cycle_deals, 0) as avg_cycle_days,
        open_pipeline,
        weighted_pipeline,
        case
            when is_current and quota > won_amount then open_pipeline / (quota - won_amount)
            when not is_current and quota > 0 then open_pipeline / quota
        end as pipeline_coverage,
        projected_amount,
        projected_amount / nullif(quota, 0) as projected_attainment,
    from sums
)

select * from final
