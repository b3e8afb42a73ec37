/*
grain: one row per forecast call submitted by as_of (rep_id, call_period_start, submitted_at): every call, with
  the quarter it counts in, whether it is the call scored at the checkpoint or the one standing today, and
  whether that standing call of the current quarter is stale.
unique: [rep_id, call_period_start, submitted_at]
columns_from: int_forecast_calls
columns:
  age_days: as_of − submitted_on.
  is_stale: The call stands today for the current quarter (is_latest_call) and age_days is above
    forecast.stale_days.
*/
with

calls as (
    select * from int_forecast_calls
),

quarters as (
    select * from int_fiscal_quarters
),

final as (
    select
        calls.*,
        datediff('day', calls.submitted_on, getvariable('as_of')) as age_days,
        calls.is_latest_call and quarters.is_current and age_days > getvariable('forecast_stale_days') as is_stale,
    from calls
    inner join quarters on calls.period = quarters.period
)

select * from final
