/*
grain: one row per deal as it stands in the latest extract (opportunity_id).
dictionary: [opportunity_id, owner_id, account, opportunity_name, stage, amount, created_date, close_date,
  forecast_category, next_step, deal_currency, deal_amount, conversion_rate]
columns:
  last_activity_date: Last logged activity on the deal, as the extract gives it.
*/
with

source as (
    select
        *,
        -- the rate in force on the close date; today's for an open deal without one
        corporate_rate(currency, coalesce(close_date, getvariable('as_of'))) as conversion_rate,
    from raw_opportunities
),

final as (
    select
        opportunity_id,
        owner_id,
        account,
        name as opportunity_name,
        stage,
        cast(amount as double) / conversion_rate as amount,
        created_date,
        close_date,
        forecast_category(forecast_category) as forecast_category,
        next_step,
        last_activity_date,
        currency as deal_currency,
        amount as deal_amount,
        conversion_rate,
    from source
)

select * from final
