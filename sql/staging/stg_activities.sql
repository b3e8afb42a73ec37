/*
grain: one row per logged activity (activity_id).
materialized: view
columns:
  activity_id: CRM activity id.
  owner_id: rep_id of who did it.
  activity_date: Day it happened.
  activity_type: Lower-cased type (call, email, meeting, ...); 'other' when empty.
  opportunity_id: Related deal, if any.
*/
with

source as (
    select * from raw_activities
),

final as (
    select
        activity_id,
        owner_id,
        activity_date,
        coalesce(lower(type), 'other') as activity_type,
        opportunity_id,
    from source
)

select * from final
