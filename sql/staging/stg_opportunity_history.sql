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
select
    opportunity_id,
    changed_at,
    cast(changed_at as date) as changed_date,
    stage,
    cast(amount as double) / deal_rate(opportunity_id) as amount,
    close_date,
    forecast_category(forecast_category) as forecast_category,
from raw_opportunity_history
