/*
grain: one row per recorded change of a deal (opportunity_id, changed_at).
columns:
  opportunity_id: The deal.
  changed_at: When the change was recorded.
  changed_date: The day of the change.
  stage: Stage after the change.
  amount: Amount after the change.
  close_date: Close date after the change.
  forecast_category: Forecast category after the change (mapped as in stg_opportunities).
*/
with

source as (
    select * from raw_opportunity_history
),

final as (
    select
        opportunity_id,
        changed_at,
        cast(changed_at as date) as changed_date,
        stage,
        amount,
        close_date,
        forecast_category(forecast_category) as forecast_category,
    from source
)

select * from final
