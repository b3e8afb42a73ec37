/*
grain: one row per rep per metric with an individual target (rep_id, metric).
columns:
  rep_id: Whose plan.
  metric: Target name (as in config `targets`).
  target: The rep's own target.
*/
with

source as (
    select * from raw_targets
),

final as (
    select
        rep_id,
        metric,
        target,
    from source
)

select * from final
