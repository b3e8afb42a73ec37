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

deal_rates as (
    select
        opportunity_id,
        corporate_rate(currency, coalesce(close_date, getvariable('as_of'))) as conversion_rate,
    from raw_opportunities
    where currency is not null
),

final as (
    select
        source.opportunity_id,
        source.changed_at,
        cast(source.changed_at as date) as changed_date,
        source.stage,
        cast(source.amount as double) / coalesce(deal_rates.conversion_rate, 1) as amount,
        source.close_date,
        forecast_category(source.forecast_category) as forecast_category,
    from source
    left join deal_rates on source.opportunity_id = deal_rates.opportunity_id
)

select * from final
