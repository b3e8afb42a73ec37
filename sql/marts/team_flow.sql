/*
grain: one row per team per fiscal quarter up to the current one (team, period): the sums of rep_flow over
  the team's reps (reps counted in their team of today). Definitions as in rep_flow; the same identity holds.
unique: [team, period]
dictionary: [period, window_start, window_end, reps, opening_pipeline, created, pulled_in, other_in, amount_up,
  amount_down, won, lost, pushed_out, other_out, closing_pipeline]
columns:
  team: Team name.
*/
with

rollup as (
    select * from int_flow_rollup
    where rollup_level = 'team'
),

final as (
    select * exclude (rollup_level) from rollup
)

select * from final
