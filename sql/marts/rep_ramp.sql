/*
grain: one row per rep with a hire_date per month since hire (rep_id, month_since_hire), for months that start
  inside the data window (from the first fiscal quarter in int_fiscal_quarters) and on or before as_of.
  Months count from the hire date: month 1 runs from hire_date to the day before hire_date + 1 month.
unique: [rep_id, month_since_hire]
columns:
  rep_id: The rep.
  team: The rep's team today.
  hire_date: First day at the company.
  month_since_hire: 1 for the first month after hire_date, 2 for the second, ...
  month_start: First day of that month.
  month_end: Last day of that month.
  is_complete: month_end is on or before as_of.
  is_hired_in_window: The rep was hired inside the data window, so the ramp is seen from month 1 (only these
    reps feed org_ramp_curve).
  won_amount (money): Won amount of the rep's deals with a close date in the month.
  monthly_quota (quota): The quota of the fiscal quarter containing month_start ÷ 3; null without a quota.
  attainment (attainment): won_amount ÷ monthly_quota; null without a quota.
tests:
  - month_since_hire >= 1
  - month_end >= month_start
*/
with

reps as (
    select * from int_reps
    where hire_date is not null
),

quarters as (
    select * from int_fiscal_quarters
),

quotas as (
    select * from int_quota_by_quarter
),

opportunities as (
    select * from int_opportunities
    where is_won
),

data_window as (
    select min(period_start) as window_start from quarters
),

month_numbers as (
    select
        reps.rep_id,
        reps.team,
        reps.hire_date,
        reps.hire_date >= data_window.window_start as is_hired_in_window,
        unnest(
            generate_series(
                greatest(datediff('month', reps.hire_date, data_window.window_start) - 1, 0),
                greatest(datediff('month', reps.hire_date, getvariable('as_of')), 0)
            )
        ) as months_after_hire,
        data_window.window_start,
    from reps
    cross join data_window
    where reps.hire_date <= getvariable('as_of')
),

months as (
    select
        rep_id,
        team,
        hire_date,
        is_hired_in_window,
        cast(months_after_hire + 1 as integer) as month_since_hire,
        cast(hire_date + to_months(cast(months_after_hire as integer)) as date) as month_start,
        cast(hire_date + to_months(cast(months_after_hire as integer) + 1) - interval 1 day as date) as month_end,
        window_start,
    from month_numbers
),

in_window as (
    select * from months
    where month_start >= window_start and month_start <= getvariable('as_of')
),

won as (
    select
        in_window.rep_id,
        in_window.month_since_hire,
        sum(opportunities.amount) as won_amount,
    from in_window
    inner join opportunities
        on
            in_window.rep_id = opportunities.owner_id
            and opportunities.close_date between in_window.month_start and in_window.month_end
    group by in_window.rep_id, in_window.month_since_hire
),

final as (
    select
        in_window.rep_id,
        in_window.team,
        in_window.hire_date,
        in_window.month_since_hire,
        in_window.month_start,
        in_window.month_end,
        in_window.month_end <= getvariable('as_of') as is_complete,
        in_window.is_hired_in_window,
        cast(coalesce(won.won_amount, 0) as double) as won_amount,
        quotas.quota / 3 as monthly_quota,
        cast(coalesce(won.won_amount, 0) as double) / nullif(quotas.quota / 3, 0) as attainment,
    from in_window
    left join won
        on
            in_window.rep_id = won.rep_id
            and in_window.month_since_hire = won.month_since_hire
    left join quarters on in_window.month_start between quarters.period_start and quarters.period_end
    left join quotas on in_window.rep_id = quotas.rep_id and quarters.period = quotas.period
)

select * from final
