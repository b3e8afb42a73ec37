/*
grain: one row per day of every fiscal quarter in int_fiscal_quarters (day).
  A date finds its quarter by an equality join on day, a hash join, where a join on
  `between period_start and period_end` sorts every row of the larger side (a range join).
unique: [day]
dictionary: [period, period_start]
columns:
  day: A day of the quarter.
*/
with

quarters as (
    select * from int_fiscal_quarters
),

final as (
    select
        cast(unnest(generate_series(period_start, period_end, interval 1 day)) as date) as day,
        period,
        period_start,
    from quarters
)

select * from final
