/*
grain: one row per rep, one per team and one for the organisation in the current fiscal quarter (rollup_level,
  rep_id, team, period): the forecast roll-up against quota, from today's deals. Each category column holds
  only its own deals (best_case excludes Commit); the cumulative columns add them up as Salesforce's roll-ups do.
  Beside it, the calls as they stand today (int_quarter_calls, moment latest): a rep's own call; on a team row
  the manager's team call beside the sum of the reps' own calls. Quota, closed and attainment are
  int_scorecard_rollup's for the quarter (the same rows, summed once). rep_forecast_rollup, team_forecast_rollup
  and org_forecast_rollup read it.
dictionary: [period, period_start, period_end, reps, quota, attainment]
columns:
  rollup_level: rep, team or org.
  rep_id: The rep (null on team and org rows).
  team: The team (the rep's team today on rep rows); null on the org row.
  closed: Won this quarter: the amount of won deals whose close date is in the quarter (won_amount).
  commit: Open deals in Commit whose close date is in the quarter; null (no data) when the export has no forecast
    category.
  best_case: Open deals in Best Case closing in the quarter (Commit not included); null without forecast categories.
  pipeline: Open deals in Pipeline closing in the quarter; null without forecast categories.
  omitted: Open deals in Omitted closing in the quarter, shown apart (in no cumulative figure); null without
    forecast categories.
  uncategorized: Open deals closing in the quarter with no forecast category (or Closed while still open), shown
    apart; every open deal of the quarter when the export has no forecast category.
  undated: Open deals with no close date, in no quarter, shown apart.
  commit_cumulative: closed + commit: where the quarter lands if every Commit deal closes.
  best_case_cumulative: closed + commit + best_case.
  pipeline_cumulative: closed + commit + best_case + pipeline.
  commit_attainment (attainment): commit_cumulative ÷ quota; null without quota.
  call: The call for the quarter as it stands today: the rep's own (scope self) on a rep row; on a team row the
    manager's team call; on the org row the sum of the team calls; null when there is none.
  call_submitted_at: When that call was submitted (the oldest of the team calls on the org row).
  call_age_days: as_of − the day call_submitted_at.
  is_call_stale: call_age_days is above forecast.stale_days; null when there is no call.
  reps_call_sum: Sum of the own calls (scope self) of the people in the row, for reading beside a team call.
  reps_called: People in the row with an own call for the quarter.
  stale_calls: Calls counted in the row (own and team calls) older than forecast.stale_days.
*/
with

scorecard as (
    select * from int_scorecard_rollup
    where is_current
),

quarters as (
    select * from int_rep_quarters
    where is_current
),

coverage as (
    select * from int_data_coverage
),

current_quarter as (
    select * from int_fiscal_quarters
    where is_current
),

open_deals as (
    select
        opportunities.owner_id as rep_id,
        cast(opportunities.amount as double) as amount,
        case
            when opportunities.close_date is null then 'undated'
            else forecast_bucket(opportunities.stage_kind, opportunities.forecast_category)
        end as bucket,
    from int_opportunities as opportunities
    cross join current_quarter
    where
        opportunities.is_open
        and (
            opportunities.close_date between current_quarter.period_start and current_quarter.period_end
            or opportunities.close_date is null
        )
),

deals as (
    select
        rep_id,
        sum(amount) filter (where bucket = 'commit') as commit,
        sum(amount) filter (where bucket = 'best_case') as best_case,
        sum(amount) filter (where bucket = 'pipeline') as pipeline,
        sum(amount) filter (where bucket = 'omitted') as omitted,
        sum(amount) filter (where bucket = 'uncategorized') as uncategorized,
        sum(amount) filter (where bucket = 'undated') as undated,
    from open_deals
    group by rep_id
),

calls as (
    select
        *,
        datediff('day', submitted_on, getvariable('as_of')) > getvariable('forecast_stale_days') as is_stale,
    from int_quarter_calls
    where moment = 'latest'
),

per_rep as (
    select
        quarters.rep_id,
        quarters.team,
        -- a rep with no open deal in a bucket has 0 in it
        coalesce(columns(deals.* exclude (deals.rep_id)), 0),
        own.amount as own_call,
        own.submitted_at as own_submitted_at,
        own.is_stale as own_stale,
        team_call.amount as team_call,
        team_call.submitted_at as team_submitted_at,
        team_call.is_stale as team_stale,
    from quarters
    left join deals on quarters.rep_id = deals.rep_id
    left join calls as own
        on quarters.rep_id = own.rep_id and quarters.period = own.period and own.scope = 'self'
    left join calls as team_call
        on quarters.rep_id = team_call.rep_id and quarters.period = team_call.period and team_call.scope = 'team'
),

sums as (
    select
        rollup_level(grouping(rep_id), grouping(team)) as rollup_level,
        rep_id,
        team,
        categorized_forecast(
            (select coverage.has_forecast_category from coverage),
            sum(commit), sum(best_case), sum(pipeline), sum(omitted), sum(uncategorized)
        ) as forecast,
        sum(undated) as undated,
        sum(own_call) as own_call,
        max(own_submitted_at) as own_submitted_at,
        sum(team_call) as team_call,
        min(team_submitted_at) as team_submitted_at,
        count(own_call) as reps_called,
        count(*) filter (where own_stale) + count(*) filter (where team_stale) as stale_calls,
    from per_rep
    -- one quarter: the rows of its rep, team and org are those of int_scorecard_rollup's current quarter
    group by grouping sets ((rep_id, team), (team), ())
),

final as (
    select
        -- in the order the marts show them: the rep, the quarter, quota and the ladder first (the team mart puts
        -- team first, the org mart drops rep_id and team)
        scorecard.rollup_level,
        scorecard.rep_id,
        scorecard.period,
        scorecard.quota,
        scorecard.won_amount as closed,
        sums.forecast.commit,
        sums.forecast.best_case,
        sums.forecast.pipeline,
        scorecard.team,
        scorecard.period_start,
        scorecard.period_end,
        scorecard.reps,
        sums.forecast.omitted,
        sums.forecast.uncategorized,
        sums.undated,
        scorecard.won_amount + sums.forecast.commit as commit_cumulative,
        scorecard.won_amount + sums.forecast.commit + sums.forecast.best_case as best_case_cumulative,
        scorecard.won_amount + sums.forecast.commit + sums.forecast.best_case + sums.forecast.pipeline
            as pipeline_cumulative,
        scorecard.attainment,
        divide(scorecard.won_amount + sums.forecast.commit, scorecard.quota) as commit_attainment,
        -- the call of the row: the rep's own on a rep row, the team calls above
        case when sums.rollup_level = 'rep' then sums.own_call else sums.team_call end as call,
        case when sums.rollup_level = 'rep' then sums.own_submitted_at else sums.team_submitted_at end
            as call_submitted_at,
        datediff('day', cast(call_submitted_at as date), getvariable('as_of')) as call_age_days,
        call_age_days > getvariable('forecast_stale_days') as is_call_stale,
        sums.own_call as reps_call_sum,
        sums.reps_called,
        sums.stale_calls,
    from scorecard
    inner join sums
        on
            scorecard.rollup_level = sums.rollup_level
            and scorecard.rep_id is not distinct from sums.rep_id
            and scorecard.team is not distinct from sums.team
)

select * from final
