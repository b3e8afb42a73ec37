/*
grain: one row per rep per fiscal quarter with a quota (rep_id, period).
  The quotas extract is the plan of record: a quota period that spans several quarters (a month, a year) is
  prorated by the days it overlaps each quarter, and only the part of it before the rep's hire date is
  prorated away (a quarter's quota is not cut for a rep hired before it, however it was ramped). Where the
  extract has no row for an active rep and quarter and config sets targets.quota for the rep's role, that
  quota applies from the hire date, scaled by targets.ramp in the rep's first months.
dictionary: [rep_id, period]
columns:
  quota: Sum over quota periods of quota_amount × (overlap days on or after hire_date) ÷ period days; else
    targets.quota × the mean over the quarter's days of the ramp share (0 before hire_date).
  quota_source: extract (the quotas extract) or config (targets.quota, ramped).
*/
with

quotas as (
    select * from stg_quotas
),

quarters as (
    select * from int_fiscal_quarters
),

reps as (
    select * from int_reps
),

quota_shares as (
    select
        quotas.rep_id,
        quarters.period,
        cast(quotas.quota_amount as double)
        * greatest(
            datediff(
                'day',
                greatest(quotas.period_start, quarters.period_start, coalesce(reps.hire_date, quotas.period_start)),
                least(quotas.period_end, quarters.period_end)
            ) + 1,
            0
        )
        / (datediff('day', quotas.period_start, quotas.period_end) + 1) as quota_share,
    from quotas
    inner join quarters
        on
            quotas.period_start <= quarters.period_end
            and quotas.period_end >= quarters.period_start
    left join reps on quotas.rep_id = reps.rep_id
),

from_extract as (
    select
        rep_id,
        period,
        round(sum(quota_share), 2) as quota,
        'extract' as quota_source,
    from quota_shares
    group by rep_id, period
),

uncovered_days as (
    select
        reps.rep_id,
        reps.hire_date,
        quarters.period,
        quarters.quarter_days,
        targets.target as quarterly_quota,
        cast(
            unnest(
                generate_series(
                    greatest(quarters.period_start, coalesce(reps.hire_date, quarters.period_start)),
                    quarters.period_end,
                    interval 1 day
                )
            ) as date
        ) as quota_day,
    from int_rep_targets as targets
    inner join reps on targets.rep_id = reps.rep_id
    cross join quarters
    where
        targets.metric = 'quota'
        and reps.is_active
        and not exists (
            select 1 from from_extract as e
            where e.rep_id = reps.rep_id and e.period = quarters.period
        )
),

from_config as (
    select
        rep_id,
        period,
        round(
            any_value(quarterly_quota)
            * sum(coalesce(getvariable('ramp')[completed_months(hire_date, quota_day) + 1], 1.0))
            / any_value(quarter_days),
            2
        ) as quota,
        'config' as quota_source,
    from uncovered_days
    group by rep_id, period
),

final as (
    select * from from_extract
    union all
    select * from from_config
)

select * from final
