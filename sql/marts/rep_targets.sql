/*
grain: one row per person per plan metric (rep_id, metric): the target each rep is measured against.
  Resolution order: the rep's own row in the targets extract, else config `targets` for the rep's role,
  else the config default (int_rep_targets).
unique: [rep_id, metric]
dictionary: [rep_id, team, role]
columns:
  metric: Target name as in config `targets` (pipeline_coverage, win_rate, activities_per_week,
    avg_cycle_days, discipline_score, forecast_accuracy).
  target: The resolved target.
  source: rep (the targets extract), role (config `targets` for the rep's role) or default.
*/
with

targets as (
    select * from int_rep_targets
),

final as (
    select * from targets
)

select * from final
