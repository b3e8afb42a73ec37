/*
grain: one row per deal per stored snapshot day (snapshot_date, opportunity_id).
columns:
  snapshot_date: Day the extract was loaded.
  opportunity_id: The deal.
  owner_id: Owner on that day.
  stage: Stage on that day.
  amount: Amount on that day.
  close_date: Close date on that day.
  forecast_category: Forecast category on that day (mapped as in stg_opportunities).
*/
with

source as (
    select * from raw_opportunity_snapshots
),

final as (
    select
        snapshot_date,
        opportunity_id,
        owner_id,
        stage,
        amount,
        close_date,
        forecast_category(forecast_category) as forecast_category,
    from source
)

select * from final
