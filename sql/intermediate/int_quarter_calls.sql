/*
grain: one row per person, scope, fiscal quarter and moment with a call by then (rep_id, scope, period, moment):
  the call as it stood at the end of the moment's day. A quarter's call is the sum, over the periods called for
  (the quarter itself, or each of its months), of the latest call for that period submitted on or before the
  day (int_forecast_calls), so monthly calls sum into their quarter and a later call replaces an earlier one.
  Moments: checkpoint, the day forecast.checkpoint_days of the quarter (its first day is day 1), once that day
  has come; latest, the quarter's last day or as_of, whichever is first.
dictionary: [rep_id, team, period, period_start, period_end]
columns:
  scope: self (the person's own deals) or team (a manager's call for the team).
  moment: checkpoint or latest.
  moment_day: The day the call is taken at.
  amount: The call: the sum of the latest call of each period called for.
  submitted_at: When the most recent of those calls was submitted.
  submitted_on: The day of submitted_at.
  parts: How many calls are summed (1 for a quarterly call, up to 3 for monthly ones).
  category: The category of the most recent of those calls; null when the extract does not say.
*/
with

calls as (
    select * from int_forecast_calls
),

parts as (
    select
        *,
        'checkpoint' as moment,
        checkpoint_day as moment_day,
    from calls
    where is_checkpoint_call
    union all
    select
        *,
        'latest' as moment,
        least(period_end, getvariable('as_of')) as moment_day,
    from calls
    where is_latest_call
),

final as (
    select
        rep_id,
        any_value(team) as team,
        scope,
        period,
        any_value(period_start) as period_start,
        any_value(period_end) as period_end,
        moment,
        moment_day,
        sum(amount) as amount,
        max(submitted_at) as submitted_at,
        cast(max(submitted_at) as date) as submitted_on,
        count(*) as parts,
        arg_max(category, submitted_at) as category,
    from parts
    group by rep_id, scope, period, moment, moment_day
)

select * from final
