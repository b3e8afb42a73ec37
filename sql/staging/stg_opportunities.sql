/*
grain: one row per deal as it stands in the latest extract (opportunity_id).
dictionary: [opportunity_id, owner_id, account, opportunity_name, stage, amount, created_date, close_date,
  forecast_category, next_step]
columns:
  last_activity_date: Last logged activity on the deal, as the extract gives it.
*/
with

source as (
    select * from raw_opportunities
),

final as (
    select
        opportunity_id,
        owner_id,
        account,
        name as opportunity_name,
        stage,
        amount,
        created_date,
        close_date,
        forecast_category(forecast_category) as forecast_category,
        next_step,
        last_activity_date,
    from source
)

select * from final
