/*
grain: one row per team per fiscal quarter up to the current one (team, period): the sums of rep_flow over
  the team's reps (reps counted in their team of today). Definitions as in rep_flow; the same identity holds.
unique: [team, period]
columns:
  team: Team name.
  period: Fiscal quarter YYYY-Qn.
  window_start: First day of the quarter.
  window_end: Last day of the quarter, or as_of for the current quarter.
  reps: Reps with a rep_flow row in the quarter.
  opening_pipeline: Sum of the reps' opening_pipeline.
  created: Sum of created.
  pulled_in: Sum of pulled_in.
  other_in: Sum of other_in.
  amount_up: Sum of amount_up.
  amount_down: Sum of amount_down.
  won: Sum of won.
  lost: Sum of lost.
  pushed_out: Sum of pushed_out.
  other_out: Sum of other_out.
  closing_pipeline: Sum of the reps' closing_pipeline.
*/
with

rep_flows as (
    select * from rep_flow
),

final as (
    select
        team,
        period,
        any_value(window_start) as window_start,
        any_value(window_end) as window_end,
        count(*) as reps,
        sum(opening_pipeline) as opening_pipeline,
        sum(created) as created,
        sum(pulled_in) as pulled_in,
        sum(other_in) as other_in,
        sum(amount_up) as amount_up,
        sum(amount_down) as amount_down,
        sum(won) as won,
        sum(lost) as lost,
        sum(pushed_out) as pushed_out,
        sum(other_out) as other_out,
        sum(closing_pipeline) as closing_pipeline,
    from rep_flows
    group by team, period
)

select * from final
