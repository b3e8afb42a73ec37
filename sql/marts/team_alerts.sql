/*
grain: one row per team per metric that is off its target by more than thresholds.deviation in the current
  quarter (team, metric); as rep_alerts, at team level.
unique: [team, metric]
columns_from: int_alert_measures
tests:
  - abs(deviation) > getvariable('deviation')
*/
select * exclude (alert_level, subject, rep_id)
from int_alert_measures
where alert_level = 'team' and abs(deviation) > getvariable('deviation')
