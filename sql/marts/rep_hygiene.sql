/*
grain: one row per person (rep_id): the hygiene of the deals they own that are open today (as_of).
unique: [rep_id]
dictionary: [rep_id, team, open_deals, past_close_date, no_next_step, no_amount, untouched, deals_with_problems,
  clean_deals, discipline_score]
*/
with

hygiene as (
    select * from int_rep_hygiene
),

final as (
    select * from hygiene
)

select * from final
