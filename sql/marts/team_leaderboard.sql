/*
grain: one row per team member (team, rep_id): the team contest, ranked by site.contest_metric over
  site.contest_period.
  Over a quarter (the current one): attainment, won_amount and deals_won as in rep_scorecard, pipeline_created
  as created in rep_flow. Over a week (the 7 days to as_of, from rep_deal_events): won_amount and deals_won of
  the deals won in those days, pipeline_created the amount of the deals created in them, and attainment the
  amount won in them ÷ the current quarter's quota. Managers and people who have left are not on the board
  unless site.contest_includes_managers or site.contest_includes_departed say so; people hired after as_of
  never are.
unique: [team, rep_id]
dictionary: [team, rep_id, name]
columns:
  contest_metric: The metric ranked (site.contest_metric).
  contest_period: quarter or week (site.contest_period).
  value (money): The rep's value of the metric over the period; null (no data) when it cannot be measured, such as
    attainment without a quota. Privacy hides it by the kind of site.contest_metric (attainment, money or count:
    pipelines.exports.kinds_of), not by the money kind given here.
  contest_rank: 1 for the highest value; equal values share a rank; null (not ranked) for a rep without a value,
    who is listed after the ranked ones.
  is_ramping: The rep is still ramping (rep_directory), shown with a badge.
*/
with

reps as (
    select * from rep_directory
    where
        (getvariable('contest_includes_managers') or not is_manager)
        and (getvariable('contest_includes_departed') or is_active)
        -- someone hired after as_of has not started: nothing to compete with yet
        and coalesce(hire_date <= getvariable('as_of'), true)
),

scorecard as (
    select * from int_scorecard_rollup
    where is_current and rollup_level = 'rep'
),

flows as (
    select * from int_rep_flow
    where period in (
        select q.period from int_fiscal_quarters as q
        where q.is_current
    )
),

coverage as (
    select history_covers_week as week_known,
    from int_data_coverage
),

week_events as (
    select
        rep_id,
        sum(amount) filter (where event = 'won' and is_standing) as won_amount,
        count(*) filter (where event = 'won' and is_standing) as deals_won,
        sum(amount) filter (where event = 'created') as pipeline_created,
    from rep_deal_events
    where days_ago < 7
    group by rep_id
),

measured as (
    select
        reps.team,
        reps.rep_id,
        reps.name,
        reps.is_ramping,
        getvariable('contest_metric') as contest_metric,
        getvariable('contest_period') as contest_period,
        case
            when getvariable('contest_period') = 'quarter'
                then
                    case getvariable('contest_metric')
                        when 'attainment' then scorecard.attainment
                        -- a rep without a scorecard row this quarter has no deal closing in it: won 0
                        when 'won_amount' then coalesce(scorecard.won_amount, 0)
                        when 'deals_won' then coalesce(scorecard.deals_won, 0)
                        when 'pipeline_created' then flows.created
                    end
            else
                case getvariable('contest_metric')
                    when 'attainment' then divide(coalesce(week_events.won_amount, 0), scorecard.quota)
                    when 'won_amount' then coalesce(week_events.won_amount, 0)
                    when 'deals_won' then coalesce(week_events.deals_won, 0)
                    -- the deals created in the 7 days are known only when the deal history covers them
                    when 'pipeline_created' then
                        case when coverage.week_known then coalesce(week_events.pipeline_created, 0) end
                end
        end as value,
    from reps
    cross join coverage
    left join scorecard on reps.rep_id = scorecard.rep_id
    left join flows on reps.rep_id = flows.rep_id
    left join week_events on reps.rep_id = week_events.rep_id
),

final as (
    select
        *,
        case when value is not null then rank() over (partition by team order by value desc nulls last) end
            as contest_rank,
    from measured
)

select * from final
