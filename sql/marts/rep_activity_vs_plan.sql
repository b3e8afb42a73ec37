/*
grain: one row per rep per week over the last 13 full ISO weeks (rep_id, week_start): activities against
  the weekly plan (int_rep_activity_weeks says which weeks and which reps).
unique: [rep_id, week_start]
columns_from: int_rep_activity_weeks
*/
select *
from int_rep_activity_weeks
