/*
grain: one row per team per metric that is off its target by more than thresholds.deviation in the current
  quarter (team, metric); as rep_alerts, at team level.
unique: [team, metric]
columns:
  team: Team name.
  period: The current fiscal quarter.
  metric: attainment (projected_attainment from team_scorecard against 1.0), pipeline_coverage, win_rate,
    avg_cycle_days (the current quarter in team_scorecard), activities_per_week (activities per rep per week
    over the last 4 full weeks of rep_activity_vs_plan: the team's activities ÷ its rep-weeks) or
    discipline_score (the team's clean open deals ÷ its open deals, today).
  actual: The team's value.
  target: 1.0 for attainment; else the mean of the targets (rep_targets) of the team's active reps.
  deviation: actual ÷ target − 1, sign flipped for avg_cycle_days, so negative always means worse than plan.
  direction: below or above: whether the actual is under or over the target.
  is_worse: deviation < 0.
tests:
  - abs(deviation) > getvariable('deviation')
*/
with

measures as (
    select * from int_alert_measures
),

final as (
    select
        team,
        period,
        metric,
        actual,
        target,
        deviation,
        direction,
        is_worse,
    from measures
    where alert_level = 'team' and abs(deviation) > getvariable('deviation')
)

select * from final
