/*
grain: one row per rep per quota period (rep_id, period_start).
columns:
  rep_id: Whose quota.
  period_start: First day of the quota period.
  period_end: Last day of the quota period.
  quota_amount: Quota for the whole period.
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
        amount as quota_amount,
    from source
)

select * from final
