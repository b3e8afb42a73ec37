/*
grain: one row per team per metric that is off its plan by more than thresholds.deviation in the current
  quarter (team, metric); as rep_alerts, on the team's sums against its active reps' mean targets.
unique: [team, metric]
columns_from: int_alerts
columns:
  team: Team name.
  period: The current fiscal quarter.
tests:
  - abs(deviation) > getvariable('deviation')
*/
select * exclude (alert_level, rep_id)
from int_alerts
where alert_level = 'team'
