/*
grain: one row per fiscal quarter for the whole organisation (period): the sums of every rep's rep_scorecard
  row, ratios recomputed from the sums (int_scorecard_rollup).
unique: [period]
columns_from: int_scorecard_rollup
*/
select * exclude (rollup_level, rep_id, team, cycle_deals, win_rate_value, pipeline_measured_on)
from int_scorecard_rollup
where rollup_level = 'org'
