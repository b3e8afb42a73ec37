/*
grain: one row per rep per closed fiscal quarter and one per team per closed fiscal quarter
  (forecast_level, rep_id, team, period): the forecast at the checkpoint against what was won; team rows sum
  their reps (counted in their team of today). rep_forecast_accuracy and team_forecast_accuracy read it, and the
  balanced scorecard grades its forecast_accuracy, so the accuracy formula exists once.
  The forecast: the call as it stood at the end of the checkpoint day, day forecast.checkpoint_days of the
  quarter (its first day is day 1): the last call submitted on or before that day (int_quarter_calls; monthly
  calls summed), a rep's own call (scope self) on a rep row, the manager's team call on a team row. Without
  one, the CRM's own forecast that day: won to date plus open Commit closing in the quarter (crm_forecast).
dictionary: [team, period, reps, commit_at_start, best_case_at_start, won_amount, forecast_gap,
  best_case_accuracy]
columns:
  forecast_level: rep or team.
  rep_id: The rep (null on team rows).
  forecast_accuracy: The accuracy the balanced scorecard grades: accuracy, once the rep (or team) has at least
    forecast.min_quarters closed quarters with an accuracy up to this one; else null (too few quarters to grade).
  checkpoint_day: Day forecast.checkpoint_days of the quarter, the day the forecast is taken at.
  forecast: The forecast scored: the call at the checkpoint, else crm_forecast; null (no data) when there is no
    call and the CRM forecast is not known.
  forecast_source: call or crm: where forecast comes from; null when there is none.
  forecast_submitted_at: When the (latest part of the) call used was submitted; null for a CRM forecast.
  crm_forecast: The CRM's own forecast at the end of the checkpoint day, won to date plus open Commit closing in
    the quarter (int_forecast_checkpoint), shown even when a call is scored; null (no data) when the export has
    no forecast category, the deal history starts after the checkpoint day, or it has no row that day for a
    deal that may have been open then (int_forecast_checkpoint's unseen_deals; any of the team's, on a team
    row).
  won: Amount won in the quarter (won_amount): what the forecast is scored against.
  accuracy (ratio): max(0, 1 − |won − forecast| ÷ won) as a fraction (the forecast_accuracy macro); 0 when something
    was forecast and nothing won; null (no data) when both are 0 or there is no forecast.
  bias (ratio): (forecast − won) ÷ won as a fraction: below 0 the forecast was under what was won (sandbagging), above
    0 over it; null (no data) when nothing was won.
  quarters_with_forecast: Closed quarters up to and including this one with an accuracy (the forecast grade's
    sample, against forecast.min_quarters).
  accuracy_note: Why accuracy or forecast_accuracy is null, in words; null when both are known.
  commit_at_checkpoint: Open Commit closing in the quarter at the end of the checkpoint day (null when not known).
  commit_won: The part of commit_at_checkpoint whose deals were won in the quarter.
  commit_slipped: The part whose deals did not close in the quarter (still open at its end, or closed later).
  commit_lost: The part whose deals were lost in the quarter.
  commit_reliability (ratio): commit_won ÷ commit_at_checkpoint: how much of the Commit was won; null when nothing was
    committed.
  commit_slipped_share (ratio): commit_slipped ÷ commit_at_checkpoint.
  commit_lost_share (ratio): commit_lost ÷ commit_at_checkpoint.
*/
with

scored_quarters as (
    select * from int_rep_quarters
    where is_closed
),

scorecard as (
    -- a person who called a closed quarter is scored on it even outside their scorecard quarters (a rep who
    -- left, or called before their first deal): they won nothing in it
    select
        rep_id,
        team,
        period,
        period_start,
        won_amount,
    from scored_quarters
    union all
    select
        rep_id,
        team,
        period,
        period_start,
        0 as won_amount,
    from int_quarter_calls
    where
        moment = 'checkpoint'
        and scope = 'self'
        and period_end < getvariable('as_of')
        and (rep_id, period) not in (select (s.rep_id, s.period) from scored_quarters as s)
),

at_start as (
    select
        rep_id,
        period,
        sum(amount) filter (where forecast_category = 'Commit') as commit_at_start,
        sum(amount) filter (where forecast_category in ('Commit', 'Best Case')) as best_case_at_start,
    from int_pipeline_at_quarter_start
    group by rep_id, period
),

coverage as (
    select * from int_data_coverage
),

checkpoint as (
    select * from int_forecast_checkpoint
),

calls as (
    select * from int_quarter_calls
    where moment = 'checkpoint'
),

team_calls as (
    select
        team,
        period,
        sum(amount) as amount,
        max(submitted_at) as submitted_at,
    from calls
    where scope = 'team'
    group by team, period
),

joined as (
    select
        scorecard.rep_id,
        scorecard.team,
        scorecard.period,
        scorecard.period_start,
        cast(scorecard.period_start + to_days(getvariable('forecast_checkpoint_days') - 1) as date)
            as checkpoint_day,
        coverage.has_forecast_category and scorecard.period_start >= coverage.history_starts_on
        and coalesce(unseen.unseen_at_start, 0) = 0 as start_known,
        coverage.has_forecast_category
        and scorecard.period_start + to_days(getvariable('forecast_checkpoint_days') - 1)
        >= coverage.history_starts_on as history_reaches_checkpoint,
        coalesce(checkpoint.unseen_deals, 0) as unseen_deals,
        history_reaches_checkpoint and coalesce(checkpoint.unseen_deals, 0) = 0 as checkpoint_known,
        case when start_known then cast(coalesce(at_start.commit_at_start, 0) as double) end as commit_at_start,
        case when start_known then cast(coalesce(at_start.best_case_at_start, 0) as double) end as best_case_at_start,
        scorecard.won_amount,
        case when checkpoint_known then coalesce(checkpoint.crm_forecast, 0) end as crm_forecast,
        case when checkpoint_known then coalesce(checkpoint.commit_at_checkpoint, 0) end as commit_at_checkpoint,
        case when checkpoint_known then coalesce(checkpoint.commit_won, 0) end as commit_won,
        case when checkpoint_known then coalesce(checkpoint.commit_slipped, 0) end as commit_slipped,
        case when checkpoint_known then coalesce(checkpoint.commit_lost, 0) end as commit_lost,
        calls.amount as call_amount,
        calls.submitted_at as call_submitted_at,
        coverage.has_forecast_category,
        coverage.history_starts_on,
    from scorecard
    cross join coverage
    left join at_start on scorecard.rep_id = at_start.rep_id and scorecard.period = at_start.period
    left join checkpoint on scorecard.rep_id = checkpoint.rep_id and scorecard.period = checkpoint.period
    left join int_unseen_deals as unseen on scorecard.rep_id = unseen.rep_id and scorecard.period = unseen.period
    left join calls on scorecard.rep_id = calls.rep_id and scorecard.period = calls.period and calls.scope = 'self'
),

sums as (
    select
        case when grouping(rep_id) = 1 then 'team' else 'rep' end as forecast_level,
        rep_id,
        team,
        period,
        any_value(period_start) as period_start,
        any_value(checkpoint_day) as checkpoint_day,
        count(*) as reps,
        case when bool_and(start_known) then sum(commit_at_start) end as commit_at_start,
        case when bool_and(start_known) then sum(best_case_at_start) end as best_case_at_start,
        sum(won_amount) as won_amount,
        -- a team's CRM forecast is known only when each of its reps' is: a sum would skip the unknown ones
        case when bool_and(checkpoint_known) then sum(crm_forecast) end as crm_forecast,
        case when bool_and(checkpoint_known) then sum(commit_at_checkpoint) end as commit_at_checkpoint,
        case when bool_and(checkpoint_known) then sum(commit_won) end as commit_won,
        case when bool_and(checkpoint_known) then sum(commit_slipped) end as commit_slipped,
        case when bool_and(checkpoint_known) then sum(commit_lost) end as commit_lost,
        sum(unseen_deals) as unseen_deals,
        bool_and(history_reaches_checkpoint) as history_reaches_checkpoint,
        sum(call_amount) as call_amount,
        max(call_submitted_at) as call_submitted_at,
        any_value(has_forecast_category) as has_forecast_category,
        any_value(history_starts_on) as history_starts_on,
    from joined
    group by grouping sets ((rep_id, team, period), (team, period))
),

with_calls as (
    select
        sums.* exclude (call_amount, call_submitted_at),
        case when sums.forecast_level = 'team' then team_calls.amount else sums.call_amount end as call_amount,
        case
            when sums.forecast_level = 'team' then team_calls.submitted_at else sums.call_submitted_at
        end as call_submitted_at,
    from sums
    left join team_calls
        on sums.forecast_level = 'team' and sums.team = team_calls.team and sums.period = team_calls.period
),

scored as (
    select
        *,
        coalesce(call_amount, crm_forecast) as forecast,
        forecast_accuracy(won_amount, coalesce(call_amount, crm_forecast)) as accuracy,
    from with_calls
),

counted as (
    select
        *,
        count(accuracy) over (
            partition by forecast_level, rep_id, team order by period_start rows unbounded preceding
        ) as quarters_with_forecast,
    from scored
),

final as (
    select
        forecast_level,
        rep_id,
        team,
        period,
        reps,
        commit_at_start,
        best_case_at_start,
        won_amount,
        won_amount - commit_at_start as forecast_gap,
        case when quarters_with_forecast >= getvariable('forecast_min_quarters') then accuracy end
            as forecast_accuracy,
        forecast_accuracy(won_amount, best_case_at_start) as best_case_accuracy,
        checkpoint_day,
        forecast,
        case when call_amount is not null then 'call' when forecast is not null then 'crm' end as forecast_source,
        call_submitted_at as forecast_submitted_at,
        crm_forecast,
        won_amount as won,
        accuracy,
        forecast_bias(won_amount, forecast) as bias,
        quarters_with_forecast,
        case
            when forecast is null and not has_forecast_category
                then 'no call, and the extracts give no forecast category for the CRM forecast'
            when forecast is null and not history_reaches_checkpoint
                then 'no call, and the deal history starts after the checkpoint day (' || checkpoint_day || ')'
            when forecast is null
                then printf(
                    'no call, and the deal history has no row on the checkpoint day (%s) for %d deal%s that may have '
                    || 'been open then, so the CRM forecast that day is not known',
                    checkpoint_day, unseen_deals, case when unseen_deals = 1 then '' else 's' end
                )
            when accuracy is null then 'nothing forecast and nothing won'
            when quarters_with_forecast < getvariable('forecast_min_quarters')
                then printf(
                    '%d closed quarter%s with a forecast so far, fewer than forecast.min_quarters (%d)',
                    quarters_with_forecast, case when quarters_with_forecast = 1 then '' else 's' end,
                    getvariable('forecast_min_quarters')
                )
        end as accuracy_note,
        commit_at_checkpoint,
        commit_won,
        commit_slipped,
        commit_lost,
        divide(commit_won, commit_at_checkpoint) as commit_reliability,
        divide(commit_slipped, commit_at_checkpoint) as commit_slipped_share,
        divide(commit_lost, commit_at_checkpoint) as commit_lost_share,
    from counted
)

select * from final
