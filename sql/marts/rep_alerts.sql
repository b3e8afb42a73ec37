/*
grain: one row per graded rep per metric that is off its plan by more than thresholds.deviation in the current
  quarter (rep_id, metric). Both directions are listed: the sign of deviation says whether it is worse
  (negative) or better than plan. Plans and ratios as in rep_balanced_scorecard (int_plan_measures): attainment
  is judged against the pace of a typical quarter, cycle time is inverted so negative is always worse.
unique: [rep_id, metric]
columns_from: int_alerts
columns:
  period: The current fiscal quarter.
  deviation: ratio to plan − 1 (rounded at grades.precision): negative is worse than plan; its size is above
    thresholds.deviation.
tests:
  - abs(deviation) > getvariable('deviation')
  - direction in ('below', 'above')
*/
select * exclude (alert_level)
from int_alerts
where alert_level = 'rep'
