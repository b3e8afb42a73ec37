/*
grain: one row per recorded change of a deal (opportunity_id, changed_at).
columns:
  opportunity_id: The deal.
  changed_at: When the change was recorded.
  changed_date: The day of the change.
  stage: Stage after the change.
  amount: Amount after the change, in the corporate currency at the deal's rate (as in stg_opportunities), so
    the flow of a deal adds up to its won amount.
  close_date: Close date after the change.
  forecast_category: Forecast category after the change (mapped as in stg_opportunities).
*/
with

source as (
    select * from raw_opportunity_history
),

spellings as (
    select distinct forecast_category as spelling from source
),

categories as (
    -- the forecast_category macro (a regular expression) once per distinct spelling, not once per change
    select
        spelling,
        forecast_category(spelling) as forecast_category,
    from spellings
),

final as (
    select
        source.opportunity_id,
        source.changed_at,
        cast(source.changed_at as date) as changed_date,
        source.stage,
        cast(source.amount as double) / deal_rate(source.opportunity_id) as amount,
        source.close_date,
        categories.forecast_category,
    from source
    -- the join leaves the rows in no fixed order: readers order by what they need (int_opportunity_states does)
    left join categories on source.forecast_category = categories.spelling
)

select * from final
