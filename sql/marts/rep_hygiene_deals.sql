/*
grain: one row per deal open today that has at least one hygiene problem (opportunity_id), for coaching pages.
unique: [opportunity_id]
dictionary: [opportunity_id, rep_id, team, opportunity_name, account, stage, amount, close_date, next_step,
  last_activity_date, days_since_activity, is_past_close_date, has_no_next_step, has_no_amount, is_untouched]
columns:
  problems: How many of the four problems the deal has (1-4).
tests:
  - problems between 1 and 4
*/
with

deals as (
    select * from int_deal_hygiene
),

final as (
    select * from deals
    where problems > 0
)

select * from final
