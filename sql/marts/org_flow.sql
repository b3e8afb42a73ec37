/*
grain: one row per fiscal quarter up to the current one (period): the organisation's pipeline waterfall, the
  sums of rep_flow over every rep. Definitions as in rep_flow; the same identity holds.
unique: [period]
dictionary: [period, window_start, window_end, reps, opening_pipeline, created, pulled_in, other_in, amount_up,
  amount_down, won, lost, pushed_out, other_out, closing_pipeline]
*/
with

rollup as (
    select * from int_flow_rollup
    where rollup_level = 'org'
),

final as (
    select * exclude (rollup_level, team) from rollup
)

select * from final
