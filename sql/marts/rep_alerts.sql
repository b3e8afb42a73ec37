/*
grain: one row per active rep per metric that is off its target by more than thresholds.deviation in the
  current quarter (rep_id, metric). Both directions are listed: the sign of deviation says whether it is
  worse (negative) or better than plan.
unique: [rep_id, metric]
columns_from: int_alert_measures
tests:
  - abs(deviation) > getvariable('deviation')
  - direction in ('below', 'above')
*/
select * exclude (alert_level, subject)
from int_alert_measures
where alert_level = 'rep' and abs(deviation) > getvariable('deviation')
