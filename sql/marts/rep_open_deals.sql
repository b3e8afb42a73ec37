/*
grain: one row per deal open today (opportunity_id): every open deal with its owner, stage, amount, dates and
  what is wrong with it, the deals table a manager filters and sorts.
unique: [opportunity_id]
dictionary: [opportunity_id, rep_id, team, opportunity_name, account, stage, stage_order, amount, created_date,
  close_date, forecast_category, next_step, last_activity_date, days_since_activity, deal_currency, deal_amount]
columns:
  days_to_close: close_date − as_of: negative when the close date has passed; null without a close date.
  is_closing_soon: The close date is within the next 30 days (as_of included).
  hygiene_problems: How many CRM-discipline problems the deal has (rep_hygiene_deals); 0 when clean.
  is_stuck: The deal is in rep_stuck_deals.
*/
with

deals as (
    select * from int_open_deals
),

hygiene as (
    select * from int_deal_hygiene
),

final as (
    select
        deals.*,
        datediff('day', getvariable('as_of'), deals.close_date) as days_to_close,
        coalesce(deals.close_date between getvariable('as_of') and getvariable('as_of') + 30, false)
            as is_closing_soon,
        coalesce(hygiene.problems, 0) as hygiene_problems,
        deals.opportunity_id in (select s.opportunity_id from rep_stuck_deals as s) as is_stuck,
    from deals
    left join hygiene on deals.opportunity_id = hygiene.opportunity_id
)

select * from final
