/*
grain: one row per person per plan metric (rep_id, metric): the target each rep is measured against.
  Resolution order: the rep's own row in the targets extract, else config `targets` for the rep's role,
  else the config default.
dictionary: [rep_id, team, role]
columns:
  metric: Target name as in config `targets` (pipeline_coverage, win_rate, activities_per_week,
    avg_cycle_days, discipline_score, forecast_accuracy).
  target: The resolved target.
  source: rep (the targets extract), role (config `targets` looked up by the rep's role; config falls back
    to its default when it does not name the role) or default (the rep has no role).
tests:
  - source in ('rep', 'role', 'default')
  - target is not null
*/
with

reps as (
    select * from int_reps
),

overrides as (
    select * from stg_targets
),

role_targets as (
    select
        metric,
        role,
        max(target) as target,
    from stg_role_targets
    group by metric, role
),

metrics as (
    select distinct metric from role_targets
),

final as (
    select
        reps.rep_id,
        reps.team,
        reps.role,
        metrics.metric,
        coalesce(overrides.target, by_role.target, by_default.target) as target,
        case
            when overrides.target is not null then 'rep'
            when by_role.target is not null then 'role'
            else 'default'
        end as source,
    from reps
    cross join metrics
    left join overrides
        on
            reps.rep_id = overrides.rep_id
            and metrics.metric = overrides.metric
    left join role_targets as by_role
        on
            metrics.metric = by_role.metric
            and reps.role = by_role.role
            and reps.role <> ''
    left join role_targets as by_default
        on
            metrics.metric = by_default.metric
            and by_default.role = ''
)

select * from final
