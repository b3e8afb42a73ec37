/*
grain: one row per team per metric that is off its target by more than thresholds.deviation in the current
  quarter (team, metric); as rep_alerts, at team level.
unique: [team, metric]
dictionary: [team, metric, actual, target, deviation, direction, is_worse]
columns:
  period: The current fiscal quarter.
  metric: attainment (projected_attainment from team_scorecard against 1.0), pipeline_coverage, win_rate,
    avg_cycle_days (the current quarter in team_scorecard), activities_per_week (activities per rep per week
    over the last 4 full weeks of rep_activity_vs_plan: the team's activities ÷ its rep-weeks) or
    discipline_score (the team's clean open deals ÷ its open deals, today).
tests:
  - abs(deviation) > getvariable('deviation')
*/
with

measures as (
    select * from int_alert_measures
    where alert_level = 'team' and abs(deviation) > getvariable('deviation')
),

final as (
    select * exclude (alert_level, subject, rep_id) from measures
)

select * from final
