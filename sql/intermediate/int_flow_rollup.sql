/*
grain: one row per team per fiscal quarter up to the current one, plus one per quarter for the whole
  organisation (rollup_level, team, period): the sums of int_rep_flow over the reps (counted in their team of
  today), so the waterfall identity holds at every level. team_flow and org_flow read it.
dictionary: [period, window_start, window_end, reps, opening_pipeline, created, pulled_in, other_in, amount_up,
  amount_down, won, lost, pushed_out, other_out, closing_pipeline]
columns:
  rollup_level: team or org.
  team: Team name; null on org rows.
*/
with

rep_flows as (
    select * from int_rep_flow
),

final as (
    select
        case when grouping(team) = 1 then 'org' else 'team' end as rollup_level,
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
    group by grouping sets ((team, period), (period))
)

select * from final
