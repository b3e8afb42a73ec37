/*
grain: one row per person in the reps extract (rep_id).
columns:
  rep_id: CRM user id.
  name: Display name; the rep_id when the extract has none.
  team: Team as given in the extract (may be empty; resolved in int_reps).
  manager_id: rep_id of the manager.
  role: Role (AE, Manager, ...); selects the per-role targets.
  hire_date: First day at the company.
  email: Lower-cased email address.
  is_active: False for reps who have left; true when not given.
  is_system_user: True for CRM users that are not people who sell (a user_type other than Standard: integration,
    automated-process, licence-manager users); false when the export has no user type.
*/
with

source as (
    select * from raw_reps
),

final as (
    select
        rep_id,
        coalesce(name, rep_id) as name,
        team,
        manager_id,
        role,
        hire_date,
        lower(email) as email,
        coalesce(active, true) as is_active,
        coalesce(lower(user_type) <> 'standard', false) as is_system_user,
    from source
)

select * from final
