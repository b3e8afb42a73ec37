/*
grain: one row per month since hire (month_since_hire): the org's typical ramp, i.e. the median monthly
  attainment of reps hired inside the data window, month by month from their hire date. Only complete months
  with a quota count (rep_ramp).
unique: [month_since_hire]
columns:
  month_since_hire: 1 for the first month after hire, 2 for the second, ...
  reps: Reps hired in the data window with a complete month at that tenure and a quota.
  median_attainment (attainment): Median of their attainment (won in the month ÷ the quarter's quota ÷ 3).
  mean_attainment (attainment): Mean of the same.
tests:
  - reps > 0
*/
with

ramp as (
    select * from rep_ramp
    where is_hired_in_window and is_complete and attainment is not null
),

final as (
    select
        month_since_hire,
        count(*) as reps,
        median(attainment) as median_attainment,
        avg(attainment) as mean_attainment,
    from ramp
    group by month_since_hire
)

select * from final
