/*
grain: one row per fiscal quarter from the first deal date to the quarter after as_of (period): the calendar
  every page labels its quarters with.
unique: [period]
dictionary: [period, period_start, period_end, is_current, is_closed]
columns:
  fiscal_year: Fiscal year number.
  fiscal_quarter: Quarter 1-4 within the fiscal year.
  quarter_days: Days in the quarter.
  is_future: True for quarters that start after as_of.
  days_elapsed: Days of the quarter up to and including as_of (the quarter's first day is day 1): all of them
    for a closed quarter, 0 for a future one.
tests:
  - days_elapsed between 0 and quarter_days
*/
with

quarters as (
    select * from int_fiscal_quarters
),

final as (
    select
        period,
        fiscal_year,
        fiscal_quarter,
        period_start,
        period_end,
        quarter_days,
        is_current,
        is_closed,
        is_future,
        case
            when is_closed then quarter_days
            when is_future then 0
            else datediff('day', period_start, getvariable('as_of')) + 1
        end as days_elapsed,
    from quarters
)

select * from final
