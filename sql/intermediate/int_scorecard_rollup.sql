/*
grain: one row per team per fiscal quarter, plus one row per fiscal quarter for the whole organisation
  (rollup_level, team, period): the sums of int_rep_scorecard (reps counted in their team of today), with every
  ratio recomputed from the sums with the same macros, never averaged. team_scorecard and org_scorecard read
  it, so each ratio is defined once.
dictionary: [period, period_start, period_end, is_current, is_closed, reps, quota, won_amount, attainment,
  gap_to_quota, deals_won, deals_lost, win_rate, avg_deal_size, avg_cycle_days, cycle_deals, open_pipeline,
  weighted_pipeline, pipeline_coverage, projected_amount, projected_attainment]
columns:
  rollup_level: team or org.
  team: Team name; null on org rows.
  teams: Teams with a row in the quarter.
*/
with

reps as (
    select * from int_rep_scorecard
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
        divide(won_amount, quota) as attainment,
        gap_to_quota(quota, won_amount) as gap_to_quota,
        deals_won,
        deals_lost,
        win_rate(deals_won, deals_lost) as win_rate,
        divide(won_amount, deals_won) as avg_deal_size,
        divide(cycle_days_sum, cycle_deals) as avg_cycle_days,
        cycle_deals,
        open_pipeline,
        weighted_pipeline,
        coverage(open_pipeline, quota, won_amount, is_current) as pipeline_coverage,
        projected_amount,
        divide(projected_amount, quota) as projected_attainment,
    from sums
)

select * from final
