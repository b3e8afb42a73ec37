/*
grain: one row per fiscal quarter (period): how much of a quarter's won amount is usually won by its day
  days_elapsed, so a young quarter is judged against its pace, not against the full quota.
  For the current quarter: the median, over the last grades.pace_quarters closed quarters that won anything,
  of (won by that quarter's day days_elapsed ÷ that quarter's won amount); with fewer than 2 such quarters,
  days_elapsed ÷ quarter_days. Closed quarters expect all of it (1), future quarters none (0).
unique: [period]
dictionary: [period, is_current, is_closed]
columns:
  days_elapsed: Days of the quarter up to and including as_of (the first day is day 1).
  quarter_days: Days in the quarter.
  expected_share: Share of the quarter's won amount expected to be won by as_of (see above).
  pace_basis: history (the median of past quarters), calendar (the share of days gone), closed or future.
  pace_quarters: Closed quarters the history median is taken over (null unless pace_basis is history).
tests:
  - expected_share between 0 and 1
*/
with

quarters as (
    select * from int_fiscal_quarters
),

won as (
    select
        close_date,
        amount,
    from int_opportunities
    where is_won and amount is not null
),

current_quarter as (
    select * from quarters
    where is_current
),

past_quarters as (
    select * from quarters
    where is_closed
    qualify row_number() over (order by period_start desc) <= getvariable('pace_quarters')
),

past_shares as (
    select
        past_quarters.period,
        sum(won.amount) filter (
            where won.close_date < past_quarters.period_start + cast(current_quarter.days_elapsed as integer)
        ) / sum(won.amount) as share_by_day,
    from past_quarters
    cross join current_quarter
    inner join won on won.close_date between past_quarters.period_start and past_quarters.period_end
    group by past_quarters.period
    having sum(won.amount) > 0
),

history as (
    select
        median(share_by_day) as median_share,
        count(*) as quarters_used,
    from past_shares
),

final as (
    select
        quarters.period,
        quarters.is_current,
        quarters.is_closed,
        quarters.days_elapsed,
        quarters.quarter_days,
        case
            when quarters.is_closed then 1.0
            when quarters.is_future then 0.0
            when history.quarters_used >= 2 then coalesce(history.median_share, 0)
            else quarters.days_elapsed / quarters.quarter_days
        end as expected_share,
        case
            when quarters.is_closed then 'closed'
            when quarters.is_future then 'future'
            when history.quarters_used >= 2 then 'history'
            else 'calendar'
        end as pace_basis,
        case when quarters.is_current and history.quarters_used >= 2 then history.quarters_used end as pace_quarters,
    from quarters
    cross join history
)

select * from final
