/*
grain: one row per rep per week over the last 13 full ISO weeks (rep_id, week_start): activities against
  the weekly plan (int_rep_activity_weeks says which weeks and which reps).
unique: [rep_id, week_start]
dictionary: [rep_id, team, week_start, week_end, calls, emails, meetings, other_activities, activities,
  target_per_week, target_source, ratio_to_target]
*/
with

weeks as (
    select * from int_rep_activity_weeks
),

final as (
    select * from weeks
)

select * from final
