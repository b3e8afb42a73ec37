/*
grain: one row for the build (as_of): what the extracts make known, so every page can say why a figure reads
  "no data".
unique: [as_of]
columns:
  as_of: The reporting date.
  has_next_step: The opportunities extract maps next_step.
  has_activity_data: The opportunities extract maps last_activity_date, or an activities extract is given.
  has_forecast_category: The opportunities extract maps forecast_category.
  history_starts_on: First day the deal history covers (opportunity_history, else the first stored
    snapshot); the past before it is no data.
  history_days: Days of deal history up to as_of (as_of − history_starts_on); null without any.
*/
with

coverage as (
    select * from int_data_coverage
),

final as (
    select
        getvariable('as_of') as as_of,
        has_next_step,
        has_activity_data,
        has_forecast_category,
        history_starts_on,
        datediff('day', history_starts_on, getvariable('as_of')) as history_days,
    from coverage
)

select * from final
