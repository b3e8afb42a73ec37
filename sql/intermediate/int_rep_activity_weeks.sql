/*
grain: one row per rep per week over the last 13 full ISO weeks (rep_id, week_start): activities against
  the weekly plan. The last full week is the Monday-to-Sunday week ending on as_of when as_of is a Sunday,
  else the week before the one containing as_of (a part week would look behind plan). Reps: everyone active,
  plus anyone who logged activities in those weeks; weeks ending before the rep's hire_date are left out.
  Without an activities extract there are no rows: activity is no data, never 0 activities against a plan.
dictionary: [rep_id, team, week_start, week_end, calls, emails, meetings, other_activities, activities,
  target_per_week, target_source, ratio_to_target]
tests:
  - activities = calls + emails + meetings + other_activities
  - week_end = week_start + 6
*/
with

activities as (
    select * from stg_activities
),

reps as (
    select * from int_reps
),

targets as (
    select * from int_rep_targets
    where metric = 'activities_per_week'
),

bounds as (
    select last_full_week_start(getvariable('as_of')) as last_week_start
),

weeks as (
    select
        cast(unnest(generate_series(last_week_start - interval 84 day, last_week_start, interval 7 day)) as date)
            as week_start,
    from bounds
),

weekly as (
    select
        activities.owner_id as rep_id,
        cast(date_trunc('week', activities.activity_date) as date) as week_start,
        count(*) filter (where activities.activity_type = 'call') as calls,
        count(*) filter (where activities.activity_type = 'email') as emails,
        count(*) filter (where activities.activity_type = 'meeting') as meetings,
        count(*) filter (where activities.activity_type not in ('call', 'email', 'meeting')) as other_activities,
        count(*) as activities,
    from activities
    cross join bounds
    where activities.activity_date between bounds.last_week_start - interval 84 day and bounds.last_week_start + 6
    group by all
),

active_reps as (
    select
        reps.rep_id,
        reps.team,
        reps.hire_date,
    from reps
    where
        (reps.is_active or reps.rep_id in (select weekly.rep_id from weekly))
        and (
            select s.is_present from stg_sources as s
            where s.table_name = 'activities'
        )
),

spine as (
    select
        active_reps.rep_id,
        active_reps.team,
        weeks.week_start,
    from active_reps
    cross join weeks
    where active_reps.hire_date is null or weeks.week_start + 6 >= active_reps.hire_date
),

final as (
    select
        spine.rep_id,
        spine.team,
        spine.week_start,
        spine.week_start + 6 as week_end,
        coalesce(weekly.calls, 0) as calls,
        coalesce(weekly.emails, 0) as emails,
        coalesce(weekly.meetings, 0) as meetings,
        coalesce(weekly.other_activities, 0) as other_activities,
        coalesce(weekly.activities, 0) as activities,
        targets.target as target_per_week,
        targets.source as target_source,
        coalesce(weekly.activities, 0) / nullif(targets.target, 0) as ratio_to_target,
    from spine
    left join weekly on spine.rep_id = weekly.rep_id and spine.week_start = weekly.week_start
    left join targets on spine.rep_id = targets.rep_id
)

select * from final
