/*
grain: one row per fiscal quarter from the first deal date (created or closed) to the quarter after as_of, or to the
  quarter of the latest closed deal's close date when that is later (closed deals count in the quarter of their
  close date as exported, even after as_of) (period).
columns:
  period: Fiscal quarter label YYYY-Qn (fiscal year named per config).
  fiscal_year: Fiscal year number.
  fiscal_quarter: Quarter 1-4 within the fiscal year.
  period_start: First day of the quarter.
  period_end: Last day of the quarter.
  quarter_days: Days in the quarter.
  is_current: True for the quarter that contains as_of.
  is_closed: True when the quarter ended before as_of.
  is_future: True for quarters that start after as_of.
  days_elapsed: Days of the quarter up to and including as_of (the first day is day 1): every day of a closed
    quarter, 0 for a future one.
*/
with

bounds as (
    select
        least(
            coalesce((select min(least(created_date, close_date)) from stg_opportunities), getvariable('as_of')),
            getvariable('as_of')
        ) as first_day,
        getvariable('as_of') as as_of,
        greatest(
            getvariable('as_of'),
            (
                select max(o.close_date) from stg_opportunities as o
                inner join stg_stages as s on o.stage = s.stage
                where s.stage_kind in ('won', 'lost')
            )
        ) as last_closed,
        getvariable('fiscal_start_month') - 1 as shift_months,
),

starts as (
    select
        cast(
            unnest(
                generate_series(
                    date_trunc('quarter', first_day - to_months(shift_months)),
                    greatest(
                        date_trunc('quarter', as_of - to_months(shift_months)) + interval 3 month,
                        date_trunc('quarter', last_closed - to_months(shift_months))
                    ),
                    interval 3 month
                )
            ) as date
        ) as shifted_start,
        shift_months,
        as_of,
    from bounds
),

final as (
    select
        year(shifted_start) + getvariable('fiscal_year_offset') as fiscal_year,
        quarter(shifted_start) as fiscal_quarter,
        cast(year(shifted_start) + getvariable('fiscal_year_offset') as varchar)
        || '-Q' || cast(quarter(shifted_start) as varchar) as period,
        cast(shifted_start + to_months(shift_months) as date) as period_start,
        cast(shifted_start + to_months(shift_months + 3) - interval 1 day as date) as period_end,
        datediff('day', shifted_start + to_months(shift_months), shifted_start + to_months(shift_months + 3))
            as quarter_days,
        as_of between period_start and period_end as is_current,
        period_end < as_of as is_closed,
        period_start > as_of as is_future,
        case
            when period_end < as_of then quarter_days
            when period_start > as_of then 0
            else datediff('day', period_start, as_of) + 1
        end as days_elapsed,
    from starts
)

select * from final
