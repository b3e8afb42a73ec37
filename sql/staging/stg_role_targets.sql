/*
grain: one row per plan metric per role named in config `targets`, plus the default (metric, role).
columns:
  metric: Target name as in config `targets`.
  role: The role it applies to; '' for the default that applies to every other role.
  target: The configured value.
*/
with

source as (
    select * from raw_role_targets
),

final as (
    select
        metric,
        role,
        target,
    from source
)

select * from final
