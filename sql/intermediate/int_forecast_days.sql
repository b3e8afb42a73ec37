/*
grain: one row per fiscal quarter per day its forecast is looked at (period, snapshot_day), for the days the
  deal history covers: on or after int_data_coverage.history_starts_on, or as_of (today's extract). A day
  before the history starts is not known and has no row, so what depends on it says "no data".
  checkpoint: day forecast.checkpoint_days of every quarter (its first day is day 1), once it has come.
  trend: in the current quarter, the day before it began, each Sunday in it before as_of, and as_of.
  week: in the current quarter, the last full week (Monday to Sunday: the week ending on as_of when as_of is a
  Sunday, else the week before the one holding as_of, as rep_activity_vs_plan): its opening is the end of the
  Sunday before it, its closing the end of its Sunday.
dictionary: [period, period_start, period_end]
columns:
  snapshot_day: The day whose end the deals are looked at.
  is_checkpoint: The quarter's checkpoint day.
  is_trend_day: One of the current quarter's trend days.
  is_week_opening: The day before the last full week began (the week-over-week opening).
  is_week_closing: The last full week's Sunday (the week-over-week closing).
  week_start: Monday of the last full week (current quarter rows).
  week_end: Sunday of the last full week (current quarter rows).
*/
with

coverage as (
    select * from int_data_coverage
),

quarters as (
    select * from int_fiscal_quarters
    where period_start <= getvariable('as_of')
),

week as (
    select last_full_week_start(getvariable('as_of')) as week_start
),

candidates as (
    select
        period,
        cast(period_start + to_days(getvariable('forecast_checkpoint_days') - 1) as date) as snapshot_day,
        'checkpoint' as day_kind,
    from quarters
    union all
    select
        period,
        cast(unnest(range(period_start - 1, getvariable('as_of') + 1, interval 1 day)) as date) as snapshot_day,
        'trend' as day_kind,
    from quarters
    where is_current
    union all
    select
        quarters.period,
        cast(week.week_start - 1 as date) as snapshot_day,
        'week_opening' as day_kind,
    from quarters
    cross join week
    where quarters.is_current
    union all
    select
        quarters.period,
        cast(week.week_start + 6 as date) as snapshot_day,
        'week_closing' as day_kind,
    from quarters
    cross join week
    where quarters.is_current
),

kept as (
    select
        candidates.*,
        quarters.period_start,
        quarters.period_end,
    from candidates
    inner join quarters on candidates.period = quarters.period
    cross join coverage
    where
        candidates.snapshot_day <= getvariable('as_of')
        and (candidates.snapshot_day >= coverage.history_starts_on or candidates.snapshot_day = getvariable('as_of'))
        and (
            candidates.day_kind <> 'trend'
            or isodow(candidates.snapshot_day) = 7
            or candidates.snapshot_day in (quarters.period_start - 1, getvariable('as_of'))
        )
),

final as (
    select
        kept.period,
        any_value(kept.period_start) as period_start,
        any_value(kept.period_end) as period_end,
        kept.snapshot_day,
        bool_or(kept.day_kind = 'checkpoint') as is_checkpoint,
        bool_or(kept.day_kind = 'trend') as is_trend_day,
        bool_or(kept.day_kind = 'week_opening') as is_week_opening,
        bool_or(kept.day_kind = 'week_closing') as is_week_closing,
        case when bool_or(quarters.is_current) then any_value(week.week_start) end as week_start,
        case when bool_or(quarters.is_current) then cast(any_value(week.week_start) + 6 as date) end as week_end,
    from kept
    inner join quarters on kept.period = quarters.period
    cross join week
    group by kept.period, kept.snapshot_day
)

select * from final
