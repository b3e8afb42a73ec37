/*
grain: one row per active rep per metric that is off its target by more than thresholds.deviation in the
  current quarter (rep_id, metric). Both directions are listed: the sign of deviation says whether it is
  worse (negative) or better than plan.
unique: [rep_id, metric]
dictionary: [rep_id, team, metric, actual, target, deviation, direction, is_worse]
columns:
  period: The current fiscal quarter.
  metric: attainment (projected_attainment from rep_scorecard against 1.0, i.e. won plus weighted open
    pipeline against quota), pipeline_coverage, win_rate, avg_cycle_days (the current quarter's values in
    rep_scorecard), activities_per_week (mean weekly activities over the last 4 full weeks in
    rep_activity_vs_plan) or discipline_score (rep_hygiene, today).
tests:
  - abs(deviation) > getvariable('deviation')
  - direction in ('below', 'above')
*/
with

measures as (
    select * from int_alert_measures
    where alert_level = 'rep' and abs(deviation) > getvariable('deviation')
),

final as (
    select * exclude (alert_level, subject) from measures
)

select * from final
