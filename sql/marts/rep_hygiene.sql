/*
grain: one row per person (rep_id): the hygiene of the deals they own that are open today (as_of).
unique: [rep_id]
columns_from: int_rep_hygiene
*/
select *
from int_rep_hygiene
