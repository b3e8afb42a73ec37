/*
grain: one row per forecast call (rep_id, call_period_start, submitted_at): every call the extracts and the
  history store hold, each once.
columns:
  rep_id: Whose call: the rep, or the manager for a team call.
  call_period_start: First day of the period called for: a fiscal quarter, or one of its months.
  submitted_at: When the call was submitted (the load day when the extract gave none).
  submitted_on: The day of submitted_at.
  amount: The amount called.
  category: The forecast category the amount calls (mapped like forecast_category); null when not given.
  submitted_by: rep_id of who entered it, when the extract says.
  scope: self or team as the extract gives it (lower case); null when empty.
*/
with

source as (
    select * from raw_forecast_calls
),

final as (
    select
        rep_id,
        period_start as call_period_start,
        submitted_at,
        cast(submitted_at as date) as submitted_on,
        cast(amount as double) as amount,
        forecast_category(category) as category,
        submitted_by,
        nullif(lower(trim(scope)), '') as scope,
    from source
)

select * from final
