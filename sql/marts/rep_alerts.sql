/*
grain: one row per active rep per metric that is off its target by more than thresholds.deviation in the
  current quarter (rep_id, metric). Both directions are listed: the sign of deviation says whether it is
  worse (negative) or better than plan.
unique: [rep_id, metric]
columns:
  rep_id: The rep.
  team: The rep's team today.
  period: The current fiscal quarter.
  metric: attainment (projected_attainment from rep_scorecard against 1.0, i.e. won plus weighted open
    pipeline against quota), pipeline_coverage, win_rate, avg_cycle_days (the current quarter's values in
    rep_scorecard), activities_per_week (mean weekly activities over the last 4 full weeks in
    rep_activity_vs_plan) or discipline_score (rep_hygiene, today).
  actual: The rep's value.
  target: 1.0 for attainment; else the rep's target from rep_targets.
  deviation: actual ÷ target − 1, with the sign flipped for avg_cycle_days (lower is better) so that negative
    always means worse than plan; a metric with no value (e.g. no quota, nothing closed) is never alerted.
  direction: below or above: whether the actual is under or over the target (for avg_cycle_days, above is
    the bad side).
  is_worse: deviation < 0.
tests:
  - abs(deviation) > getvariable('deviation')
  - direction in ('below', 'above')
*/
with

measures as (
    select * from int_alert_measures
),

final as (
    select
        rep_id,
        team,
        period,
        metric,
        actual,
        target,
        deviation,
        direction,
        is_worse,
    from measures
    where alert_level = 'rep' and abs(deviation) > getvariable('deviation')
)

select * from final
