/*
grain: one row per forecast call submitted by as_of (rep_id, call_period_start, submitted_at), with the fiscal
  quarter it counts in and whose call it is. Calls submitted after as_of are not known yet and are left out.
dictionary: [rep_id, team, period, period_start, period_end]
columns:
  call_period_start: First day of the period called for: the quarter, or one of its months (monthly calls sum
    into their quarter in int_quarter_calls).
  scope: self (the person's own deals) or team (the manager's team): the extract's, else team for a manager
    (anyone with reports) and self for everyone else.
  submitted_at: When the call was submitted.
  submitted_on: The day of submitted_at.
  day_of_quarter: submitted_on − period_start + 1: the quarter's first day is day 1 (0 or less: submitted
    before the quarter began).
  amount: The amount called.
  category: The forecast category the amount calls; null when the extract does not say.
  submitted_by: rep_id of who entered it, when the extract says.
  checkpoint_day: Day forecast.checkpoint_days of the quarter (its first day is day 1).
  is_checkpoint_call: The call is the one that stood for its period at the end of the checkpoint day: the latest
    of the person's calls of that scope for that period submitted on or before it (once the day has come).
  is_latest_call: The call is the latest of the person's calls of that scope for that period submitted by the
    quarter's end (the call as it stands today for the current quarter).
*/
with

calls as (
    select * from stg_forecast_calls
    where submitted_on <= getvariable('as_of')
),

reps as (
    select * from int_reps
),

quarters as (
    select * from int_fiscal_quarters
),

resolved as (
    select
        calls.rep_id,
        reps.team,
        quarters.period,
        quarters.period_start,
        quarters.period_end,
        calls.call_period_start,
        coalesce(calls.scope, case when reps.is_manager then 'team' else 'self' end) as scope,
        calls.submitted_at,
        calls.submitted_on,
        datediff('day', quarters.period_start, calls.submitted_on) + 1 as day_of_quarter,
        calls.amount,
        calls.category,
        calls.submitted_by,
    from calls
    inner join quarters on calls.call_period_start between quarters.period_start and quarters.period_end
    inner join reps on calls.rep_id = reps.rep_id
),

final as (
    select
        *,
        cast(period_start + to_days(getvariable('forecast_checkpoint_days') - 1) as date) as checkpoint_day,
        coalesce(
            checkpoint_day <= getvariable('as_of')
            and submitted_on <= checkpoint_day
            and row_number() over (one_call order by submitted_on <= checkpoint_day desc, submitted_at desc) = 1,
            false
        ) as is_checkpoint_call,
        coalesce(
            submitted_on <= period_end
            and row_number() over (one_call order by submitted_on <= period_end desc, submitted_at desc) = 1,
            false
        ) as is_latest_call,
    from resolved
    -- the versions of one call: a rep's (or manager's team) call for one quarter
    window one_call as (partition by rep_id, scope, call_period_start)
)

select * from final
