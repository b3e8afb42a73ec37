/*
grain: one row for the whole build: which optional inputs the extracts give, so checks that need a
  missing input are left out (and shown as "no data") instead of flagging every deal.
columns:
  has_next_step: The opportunities extract maps next_step.
  has_activity_data: The opportunities extract maps last_activity_date, or an activities extract is given.
  has_forecast_category: The opportunities extract maps forecast_category.
  history_starts_on: First day the deal history covers: the earliest opportunity_history change, else the
    first stored deal version (today's extract, as of as_of, when none is stored). Past-state metrics of quarters
    that start before it are null (no data), and a deal already there that day was not created then.
  history_covers_week: history_starts_on is on or before the day before the 7 days to as_of (as_of − 7), so
    the deals created or slipped in them are known (the Monday pack, the weekly contest). With no
    opportunity_history, the changes between two loads are dated on the later load's day: builds far apart
    date them late.
*/
with

mapped as (
    select * from stg_source_columns
),

found as (
    select
        count(*) filter (
            where table_name = 'opportunities' and column_name = 'next_step'
        ) > 0 as has_next_step,
        count(*) filter (
            where (table_name = 'opportunities' and column_name = 'last_activity_date')
            or (table_name = 'activities' and column_name = 'activity_date')
        ) > 0 as has_activity_data,
        count(*) filter (
            where table_name = 'opportunities' and column_name = 'forecast_category'
        ) > 0 as has_forecast_category,
        least(
            coalesce(
                (select min(h.changed_date) from stg_opportunity_history as h),
                (select min(s.valid_from) from stg_opportunity_versions as s)
            ),
            getvariable('as_of')
        ) as history_starts_on,
    from mapped
),

final as (
    select
        *,
        -- a change on the first of the 7 days shows only against the state the day before
        history_starts_on <= getvariable('as_of') - interval 7 day as history_covers_week,
    from found
)

select * from final
