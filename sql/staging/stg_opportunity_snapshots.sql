/*
grain: one row per deal per stored snapshot day (snapshot_date, opportunity_id).
columns:
  snapshot_date: Day the extract was loaded.
  opportunity_id: The deal.
  owner_id: Owner on that day.
  stage: Stage on that day.
  amount: Amount on that day, in the corporate currency at the deal's rate today (as in stg_opportunities).
  close_date: Close date on that day.
  forecast_category: Forecast category on that day (mapped as in stg_opportunities).
*/
with

source as (
    select * from raw_opportunity_snapshots
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
        source.snapshot_date,
        source.opportunity_id,
        source.owner_id,
        source.stage,
        cast(source.amount as double) / coalesce(deal_rates.conversion_rate, 1) as amount,
        source.close_date,
        forecast_category(source.forecast_category) as forecast_category,
    from source
    left join deal_rates on source.opportunity_id = deal_rates.opportunity_id
)

select * from final
