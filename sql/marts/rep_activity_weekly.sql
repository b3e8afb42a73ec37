/*
grain: one row per rep per ISO week (Monday) per activity type, over the last 13 weeks to as_of.
unique: [rep_id, week_start, activity_type]
columns:
  rep_id: Who did the activities.
  week_start: Monday of the week.
  activity_type: call, email, meeting, ...
  activities: Activities of that type in the week.
*/
with

activities as (
    select * from stg_activities
),

final as (
    select
        owner_id as rep_id,
        cast(date_trunc('week', activity_date) as date) as week_start,
        activity_type,
        count(*) as activities,
    from activities
    where
        activity_date > getvariable('as_of') - interval 13 week
        and activity_date <= getvariable('as_of')
    group by all
)

select * from final
