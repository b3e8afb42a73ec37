/*
grain: one row per rep per fiscal quarter, from the rep's first deal, quota or hire date to the next quarter,
  plus any later quarter in which the rep has a closed deal (rep_id, period): the amounts and counts a scorecard
  is made of, before any ratio. int_scorecard_rollup sums
  them per rep, team and org and computes every ratio once.
dictionary: [rep_id, team, period, period_start, period_end, is_current, is_closed, quota, won_amount, deals_won,
  deals_lost, cycle_deals, open_pipeline, weighted_pipeline, pipeline_measured_on, projected_amount,
  undated_pipeline, undated_deals, won_deals_without_amount, lost_deals_without_amount,
  undated_deals_without_amount]
columns:
  lost_amount: Sum of amount over lost deals whose close date is in the quarter.
  cycle_days_sum: Sum of close_date − created_date over the won deals with valid dates.
  expected_share: Share of the quarter's won amount expected by as_of (int_quarter_pace); 1 once closed.
  overdue_pipeline: Current quarter only: open amount of the rep's deals whose close date is already past
    (in no quarter's coverage).
  overdue_deals: Current quarter only: how many open deals have a close date in the past.
  quota_to_close: What coverage divides by (the quota_to_close macro); null without quota, and in the current
    quarter when a won deal has no amount and the known won amount is below the quota (not known).
  pipeline_for_gap: open_pipeline when quota_to_close is above 0, so a met quota adds no pipeline to a team's
    coverage.
  pipeline_needed: Current quarter: pipeline still needed to reach the coverage target, coverage target ×
    quota_to_close − open_pipeline, floored at 0; null when the quota is met or there is none. When
    quota_to_close is not known (a won deal without an amount), 0 if open_pipeline covers the target on all of
    quota − won_amount (the most there can be to close), else null.
  is_under_coverage_target: Current quarter: the quota is not met and open_pipeline is below coverage target ×
    quota_to_close (false without a coverage target). When quota_to_close is not known: false if open_pipeline
    covers the target on all of quota − won_amount, else null (not known).
*/
with

reps as (
    select * from int_reps
),

quarters as (
    select * from int_fiscal_quarters
),

deals as (
    select * from int_rep_quarter_deals
),

quotas as (
    select * from int_quota_by_quarter
),

at_start as (
    select
        rep_id,
        period,
        sum(amount) as open_pipeline_at_start,
    from int_pipeline_at_quarter_start
    group by rep_id, period
),

unseen as (
    select * from int_unseen_deals
    where unseen_at_start > 0
),

pace as (
    select * from int_quarter_pace
),

coverage_targets as (
    select
        rep_id,
        target as coverage_target,
    from int_rep_targets
    where metric = 'pipeline_coverage'
),

overdue as (
    select
        owner_id as rep_id,
        cast(sum(amount) as double) as overdue_pipeline,
        count(*) as overdue_deals,
    from int_opportunities
    where is_open and close_date < getvariable('as_of')
    group by owner_id
),

undated as (
    select
        owner_id as rep_id,
        -- null (no data) when none of them has an amount: deals without one are not deals of 0
        sum(amount) as undated_pipeline,
        count(*) as undated_deals,
        count(*) filter (where amount is null) as undated_deals_without_amount,
    from int_opportunities
    where is_open and close_date is null
    group by owner_id
),

rep_bounds as (
    select
        reps.rep_id,
        reps.team,
        least(
            reps.hire_date,
            (
                select min(least(o.created_date, o.close_date)) from stg_opportunities as o
                where o.owner_id = reps.rep_id
            ),
            (
                select min(q.period_start) from stg_quotas as q
                where q.rep_id = reps.rep_id
            )
        ) as first_day,
        case
            when not reps.is_active
                then (
                    select max(o.close_date) from stg_opportunities as o
                    where o.owner_id = reps.rep_id
                )
        end as last_day,
    from reps
),

spine as (
    select
        rep_bounds.rep_id,
        rep_bounds.team,
        quarters.*,
    from rep_bounds
    inner join quarters
        on
            quarters.period_end >= coalesce(rep_bounds.first_day, getvariable('as_of'))
            and (rep_bounds.last_day is null or rep_bounds.last_day >= quarters.period_start)
            and (
                quarters.period_start <= (
                    select min(q.period_start) from quarters as q
                    where q.is_future
                )
                or (rep_bounds.rep_id, quarters.period) in (select (d.rep_id, d.period) from deals as d)
            )
),

joined as (
    select
        spine.rep_id,
        spine.period,
        spine.period_start,
        spine.period_end,
        spine.is_current,
        spine.is_closed,
        spine.team,
        quotas.quota,
        cast(coalesce(deals.won_amount, 0) as double) as won_amount,
        cast(coalesce(deals.lost_amount, 0) as double) as lost_amount,
        coalesce(deals.deals_won, 0) as deals_won,
        coalesce(deals.deals_lost, 0) as deals_lost,
        coalesce(deals.cycle_days_sum, 0) as cycle_days_sum,
        coalesce(deals.cycle_deals, 0) as cycle_deals,
        case
            -- known when the deal history reaches the quarter's eve for every deal of the rep's then
            when
                spine.is_closed and spine.period_start >= (select c.history_starts_on from int_data_coverage as c)
                and unseen.rep_id is null
                then cast(coalesce(at_start.open_pipeline_at_start, 0) as double)
            when spine.is_closed then null
            else cast(coalesce(deals.open_pipeline_now, 0) as double)
        end as open_pipeline,
        case when not spine.is_closed then coalesce(deals.weighted_pipeline_now, 0) end as weighted_pipeline,
        case when spine.is_closed then spine.period_start else getvariable('as_of') end as pipeline_measured_on,
        -- deals.won_amount is null in a quarter without a closed deal: these read the 0 the rep won, not the column
        case
            when spine.is_current then cast(coalesce(deals.won_amount, 0) as double) + weighted_pipeline
            when spine.is_closed then cast(coalesce(deals.won_amount, 0) as double)
        end as projected_amount,
        pace.expected_share,
        case when spine.is_current then coalesce(overdue.overdue_pipeline, 0) end as overdue_pipeline,
        case when spine.is_current then coalesce(overdue.overdue_deals, 0) end as overdue_deals,
        -- a won deal without an amount leaves the quota still to close unknown (null), unless what is known met it
        quota_to_close(
            quotas.quota,
            case
                when
                    coalesce(deals.won_deals_without_amount, 0) = 0
                    or coalesce(deals.won_amount, 0) >= quotas.quota
                    or not spine.is_current
                    then cast(coalesce(deals.won_amount, 0) as double)
            end,
            spine.is_current
        ) as quota_to_close,
        coverage_targets.coverage_target,
        case
            when spine.is_current and undated.rep_id is null then 0
            when spine.is_current then cast(undated.undated_pipeline as double)
        end as undated_pipeline,
        case when spine.is_current then coalesce(undated.undated_deals, 0) end as undated_deals,
        coalesce(deals.won_deals_without_amount, 0) as won_deals_without_amount,
        coalesce(deals.lost_deals_without_amount, 0) as lost_deals_without_amount,
        case when spine.is_current then coalesce(undated.undated_deals_without_amount, 0) end
            as undated_deals_without_amount,
    from spine
    left join deals on spine.rep_id = deals.rep_id and spine.period = deals.period
    left join quotas on spine.rep_id = quotas.rep_id and spine.period = quotas.period
    left join at_start on spine.rep_id = at_start.rep_id and spine.period = at_start.period
    left join unseen on spine.rep_id = unseen.rep_id and spine.period = unseen.period
    left join pace on spine.period = pace.period
    left join overdue on spine.rep_id = overdue.rep_id and spine.is_current
    left join coverage_targets on spine.rep_id = coverage_targets.rep_id
    left join undated on spine.rep_id = undated.rep_id
),

final as (
    select
        * exclude (coverage_target),
        case when quota_to_close > 0 then open_pipeline end as pipeline_for_gap,
        case
            when is_current and quota_to_close > 0
                then greatest(coverage_target * quota_to_close - open_pipeline, 0)
            -- a win without an amount only lowers what is still to close: pipeline enough for all of it is enough
            when
                is_current and quota > 0 and quota_to_close is null
                and open_pipeline >= coverage_target * (quota - won_amount)
                then 0
        end as pipeline_needed,
        case
            -- no coverage target: nobody is under it, known or not
            when is_current and quota > 0 and quota_to_close is null
                then case
                    when coverage_target is null or open_pipeline >= coverage_target * (quota - won_amount) then false
                end
            else coalesce(
                is_current and quota_to_close > 0 and open_pipeline < coverage_target * quota_to_close, false
            )
        end as is_under_coverage_target,
    from joined
)

select * from final
