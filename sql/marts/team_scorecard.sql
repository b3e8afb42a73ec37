/*
grain: one row per team per fiscal quarter (team, period): the sums of its reps' rep_scorecard rows (reps
  counted in their team of today); ratios are recomputed from the sums (int_scorecard_rollup).
unique: [team, period]
columns_from: int_scorecard_rollup
*/
select * exclude (rollup_level, rep_id, teams, win_rate_value, pipeline_measured_on)
from int_scorecard_rollup
where rollup_level = 'team'
