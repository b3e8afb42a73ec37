/*
grain: one row per team per fiscal quarter up to the current one, plus one per quarter for the whole
  organisation (pareto_level, team, period): how concentrated the won amount is, the 80/20 view. The top 20%
  is ceil(0.2 × reps) reps, reps being those with a rep_scorecard row in the quarter (in the team, or in the
  org), ranked by won amount with ties broken by rep_id. org_pareto and team_pareto read it, so the top-20%
  share has one definition.
dictionary: [period, is_current, reps]
columns:
  pareto_level: team or org.
  team: Team name; null on org rows.
  top_reps: ceil(0.2 × reps).
  won_amount (money): Won amount of all the reps.
  top_won_amount (money): Won amount of the top_reps reps with the most won.
  top_share (ratio): top_won_amount ÷ won_amount; null when nothing was won.
tests:
  - top_share between 0 and 1
  - top_reps <= reps
*/
with

scorecard as (
    select * from int_scorecard_rollup
    where rollup_level = 'rep' and period_start <= getvariable('as_of')
),

scoped as (
    select
        levels.pareto_level,
        case when levels.pareto_level = 'team' then scorecard.team end as team,
        scorecard.period,
        scorecard.is_current,
        scorecard.rep_id,
        scorecard.won_amount,
    from scorecard
    cross join (values ('team'), ('org')) as levels (pareto_level)
),

ranked as (
    select
        *,
        row_number() over w as won_rank,
        count(*) over (partition by pareto_level, team, period) as reps,
    from scoped
    window w as (partition by pareto_level, team, period order by won_amount desc, rep_id asc)
),

final as (
    select
        pareto_level,
        team,
        period,
        any_value(is_current) as is_current,
        any_value(reps) as reps,
        (any_value(reps) + 4) // 5 as top_reps,
        sum(won_amount) as won_amount,
        coalesce(sum(won_amount) filter (where won_rank <= (reps + 4) // 5), 0) as top_won_amount,
        divide(sum(won_amount) filter (where won_rank <= (reps + 4) // 5), sum(won_amount)) as top_share,
    from ranked
    group by pareto_level, team, period
)

select * from final
