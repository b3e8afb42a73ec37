/*
grain: one row per deal open today that has at least one hygiene problem (opportunity_id), for coaching pages.
unique: [opportunity_id]
columns_from: int_deal_hygiene
columns:
  problems: How many of the five problems the deal has (1-5).
tests:
  - problems between 1 and 5
*/
select *
from int_deal_hygiene
where problems > 0
