/*
grain: one row per fiscal quarter up to the current one (period): the organisation's pipeline waterfall, the
  sums of rep_flow over every rep. Definitions as in rep_flow; the same identity holds.
unique: [period]
columns_from: int_flow_rollup
*/
select * exclude (rollup_level, team)
from int_flow_rollup
where rollup_level = 'org'
