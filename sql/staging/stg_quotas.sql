/*
grain: one row per rep per quota period (rep_id, period_start).
columns:
  rep_id: Whose quota.
  period_start: First day of the quota period.
  period_end: Last day of the quota period.
  quota_amount: Quota for the whole period, in the corporate currency (at the rate in force on period_start).
*/
with

source as (
    select * from raw_quotas
),

final as (
    select
        rep_id,
        period_start,
        period_end,
        cast(amount as double) / corporate_rate(currency, period_start) as quota_amount,
    from source
)

select * from final
