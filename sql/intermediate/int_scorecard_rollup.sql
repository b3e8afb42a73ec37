/*
grain: one row per rep, one per team and one for the whole organisation per fiscal quarter (rollup_level,
  rep_id, team, period): the sums of int_rep_quarters (reps counted in their team of today) with every ratio
  computed from the sums, by the same macros at every level, never averaged. rep_scorecard, team_scorecard
  and org_scorecard read it, so each ratio is defined once.
dictionary: [rep_id, period, period_start, period_end, is_current, is_closed, reps, quota, won_amount, attainment,
  gap_to_quota, deals_won, deals_lost, win_rate, win_rate_value, avg_deal_size, avg_cycle_days, cycle_deals,
  open_pipeline, weighted_pipeline, pipeline_measured_on, pipeline_coverage, projected_amount,
  projected_attainment, expected_share, pace_ratio, quota_met, overdue_pipeline, overdue_deals, pipeline_needed,
  reps_under_coverage_target, next_quarter_coverage, undated_pipeline, undated_deals, currency,
  won_deals_without_amount, lost_deals_without_amount, undated_deals_without_amount, reps_to_close_unknown]
columns:
  rollup_level: rep, team or org.
  team: The team (the rep's team today on rep rows); null on org rows.
  teams: Teams with a row in the quarter.
*/
with

quarters as (
    select * from int_rep_quarters
),

sums as (
    select
        rollup_level(grouping(rep_id), grouping(team)) as rollup_level,
        rep_id,
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
        sum(lost_amount) as lost_amount,
        sum(deals_won) as deals_won,
        sum(deals_lost) as deals_lost,
        sum(cycle_days_sum) as cycle_days_sum,
        sum(cycle_deals) as cycle_deals,
        -- a closed quarter's opening pipeline is known for a team only when it is for each of its reps: a sum
        -- would quietly skip the unknown ones (today's, for the current quarter, is always known)
        case when bool_and(open_pipeline is not null) then sum(open_pipeline) end as open_pipeline,
        sum(weighted_pipeline) as weighted_pipeline,
        any_value(pipeline_measured_on) as pipeline_measured_on,
        sum(projected_amount) as projected_amount,
        any_value(expected_share) as expected_share,
        sum(overdue_pipeline) as overdue_pipeline,
        sum(overdue_deals) as overdue_deals,
        -- a rep with no quota to close adds nothing to coverage, known or not; one whose quota still to close is
        -- not known (a won deal without an amount) leaves the sum unknown, as an unknown opening pipeline does
        case
            when
                bool_and(coalesce(
                    quota is null or quota_to_close = 0 or (quota_to_close > 0 and open_pipeline is not null), false
                ))
                then sum(pipeline_for_gap)
        end as pipeline_for_gap,
        sum(quota_to_close) as quota_to_close,
        case
            when bool_and(pipeline_needed is not null or quota is null or quota_to_close is not null)
                then sum(pipeline_needed)
        end as pipeline_needed,
        -- a count that leaves out a rep whose place is not known would read as complete; closed quarters have none
        case
            when bool_or(is_current) and bool_and(is_under_coverage_target is not null)
                then count(*) filter (where is_under_coverage_target)
        end as reps_under_coverage_target,
        count(*) filter (where is_current and quota > 0 and quota_to_close is null) as reps_to_close_unknown,
        -- no data only when every undated deal lacks an amount; a rep without undated deals adds a known 0
        case
            when sum(undated_deals) = 0 then 0
            else sum(undated_pipeline) filter (where undated_deals > 0)
        end as undated_pipeline,
        sum(undated_deals) as undated_deals,
        sum(undated_deals_without_amount) as undated_deals_without_amount,
        sum(won_deals_without_amount) as won_deals_without_amount,
        sum(lost_deals_without_amount) as lost_deals_without_amount,
    from quarters
    group by grouping sets ((rep_id, team, period), (team, period), (period))
),

final as (
    select
        rollup_level,
        rep_id,
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
        -- known won amounts are a lower bound when a won deal has no amount: the gap is known only once they meet quota
        case when won_deals_without_amount = 0 or won_amount >= quota then gap_to_quota(quota, won_amount) end
            as gap_to_quota,
        deals_won,
        deals_lost,
        win_rate(deals_won, deals_lost) as win_rate,
        -- by value only when every closed deal carries one: a lost deal exported without its value would make it 100%
        case
            when won_deals_without_amount + lost_deals_without_amount = 0 then win_rate(won_amount, lost_amount)
        end as win_rate_value,
        -- won deals without an amount are not 0-amount deals: they are left out of the mean
        divide(won_amount, deals_won - won_deals_without_amount) as avg_deal_size,
        divide(cycle_days_sum, cycle_deals) as avg_cycle_days,
        cycle_deals,
        open_pipeline,
        weighted_pipeline,
        pipeline_measured_on,
        divide(pipeline_for_gap, quota_to_close) as pipeline_coverage,
        projected_amount,
        divide(projected_amount, quota) as projected_attainment,
        expected_share,
        divide(divide(won_amount, quota), expected_share) as pace_ratio,
        case when won_deals_without_amount = 0 or won_amount >= quota then quota > 0 and won_amount >= quota end
            as quota_met,
        overdue_pipeline,
        overdue_deals,
        pipeline_needed,
        reps_under_coverage_target,
        lead(divide(pipeline_for_gap, quota_to_close)) over (
            partition by rollup_level, rep_id, team order by period_start
        ) as next_quarter_coverage,
        undated_pipeline,
        undated_deals,
        (
            select max(r.currency) from stg_currency_rates as r
            where r.is_corporate
        ) as currency,
        won_deals_without_amount,
        lost_deals_without_amount,
        undated_deals_without_amount,
        reps_to_close_unknown,
    from sums
)

select * from final
