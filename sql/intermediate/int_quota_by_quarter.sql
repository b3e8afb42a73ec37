/*
grain: one row per rep per fiscal quarter with a quota (rep_id, period).
  A quota period that spans several quarters (a month, a year) is prorated by the days it overlaps each quarter.
columns:
  rep_id: Whose quota.
  period: Fiscal quarter.
  quota: Sum over quota periods of quota_amount × overlap days ÷ period days.
*/
with

quotas as (
    select * from stg_quotas
),

quarters as (
    select * from int_fiscal_quarters
),

quota_shares as (
    select
        quotas.rep_id,
        quarters.period,
        cast(quotas.quota_amount as double)
        * (datediff(
            'day', greatest(quotas.period_start, quarters.period_start),
            least(quotas.period_end, quarters.period_end)
        ) + 1)
        / (datediff('day', quotas.period_start, quotas.period_end) + 1) as quota_share,
    from quotas
    inner join quarters
        on
            quotas.period_start <= quarters.period_end
            and quotas.period_end >= quarters.period_start
),

final as (
    select
        rep_id,
        period,
        round(sum(quota_share), 2) as quota,
    from quota_shares
    group by rep_id, period
)

select * from final
