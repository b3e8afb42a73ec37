/*
grain: one row per team per fiscal quarter, plus one row per fiscal quarter for the whole organisation
  (rollup_level, team, period): the sums of rep_scorecard (reps counted in their team of today), with every
  ratio recomputed from the sums, never averaged. team_scorecard and org_scorecard read it, so the ratio
  definitions exist once.
columns:
  rollup_level: team or org.
  team: Team name; null on org rows.
  period: Fiscal quarter YYYY-Qn.
  period_start: First day of the quarter.
  period_end: Last day of the quarter.
  is_current: The quarter containing as_of.
  is_closed: The quarter ended before as_of.
  teams: Teams with a row in the quarter.
  reps: Reps with a scorecard row in the quarter.
  quota: Sum of the reps' quotas.
  won_amount: Sum of won amount.
  attainment: won_amount ÷ quota.
  gap_to_quota: quota − won_amount, floored at 0; null without quota.
  deals_won: Won deals.
  deals_lost: Lost deals.
  win_rate: deals_won ÷ (deals_won + deals_lost).
  avg_deal_size: won_amount ÷ deals_won.
  avg_cycle_days: Mean cycle days over the won deals.
  cycle_deals: Won deals with valid dates (the avg_cycle_days denominator).
  open_pipeline: Sum of the reps' open_pipeline.
  weighted_pipeline: Sum of the reps' weighted_pipeline.
  pipeline_coverage: open_pipeline ÷ quota still to close (as in rep_scorecard).
  projected_amount: Sum of the reps' projected_amount.
  projected_attainment: projected_amount ÷ quota.
*/
with

reps as (
    select * from rep_scorecard
),

sums as (
    select
        case when grouping(team) = 1 then 'org' else 'team' end as rollup_level,
        team,
        period,
        any_value(period_start) as period_start,
        any_value(period_end) as period_end,
        bool_or(is_current) as is_current,
        bool_and(is_closed) as is_closed,
        count(distinct team) as teams,
        count(*) as reps,
        sum(quota) as quota,
        sum(won_amount) as won_amount,
        sum(deals_won) as deals_won,
        sum(deals_lost) as deals_lost,
        sum(avg_cycle_days * cycle_deals) as cycle_days_sum,
        sum(cycle_deals) as cycle_deals,
        sum(open_pipeline) as open_pipeline,
        sum(weighted_pipeline) as weighted_pipeline,
        sum(projected_amount) as projected_amount,
    from reps
    group by grouping sets ((team, period), (period))
),

final as (
    select
        rollup_level,
        team,
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
        cycle_deals,
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
