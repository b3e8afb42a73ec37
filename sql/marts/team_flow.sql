/*
grain: one row per team per fiscal quarter up to the current one (team, period): the sums of rep_flow over
  the team's reps (reps counted in their team of today). Definitions as in rep_flow; the same identity holds.
unique: [team, period]
columns_from: int_flow_rollup
columns:
  team: Team name.
*/
select * exclude (rollup_level)
from int_flow_rollup
where rollup_level = 'team'
