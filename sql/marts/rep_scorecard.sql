/*
grain: one row per rep per fiscal quarter, from the rep's first deal, quota or hire date to the next quarter.
  Deals count in the quarter of their close date. Every ratio is computed as for teams and the org
  (int_scorecard_rollup).
unique: [rep_id, period]
columns_from: int_scorecard_rollup
*/
select
    rep_id,
    period,
    period_start,
    period_end,
    is_current,
    is_closed,
    team,
    * exclude (
        rollup_level, rep_id, team, period, period_start, period_end, is_current, is_closed, teams, reps,
        reps_under_coverage_target, reps_to_close_unknown
    ),
from int_scorecard_rollup
where rollup_level = 'rep'
