/*
grain: one row per person shown on the site (rep_id).
unique: [rep_id]
columns:
  rep_id: CRM user id; the rep page URL derives from it.
  name: Display name.
  team: Resolved team (see int_reps).
  manager_id: rep_id of the manager.
  manager_name: The manager's display name.
  role: Role (AE, Senior AE, Manager, ...); selects the per-role targets.
  hire_date: First day at the company.
  email: Email address (published only when privacy.publish_emails is true).
  is_active: False for reps who have left.
  is_manager: True when anyone reports to this person.
  months_since_hire: Completed months from hire_date to as_of (the completed_months macro: 31 January to
    28 February is 0); null without a hire date.
  is_new_hire: Hired within thresholds.new_hire_months of as_of (completed months).
  is_ramping: Still ramping: fewer completed months since hire than targets.ramp has months, or than
    thresholds.new_hire_months when targets.ramp is not set; pages show a badge.
*/
with

reps as (
    select * from int_reps
),

final as (
    select
        reps.rep_id,
        reps.name,
        reps.team,
        reps.manager_id,
        managers.name as manager_name,
        reps.role,
        reps.hire_date,
        reps.email,
        reps.is_active,
        reps.is_manager,
        completed_months(reps.hire_date, getvariable('as_of')) as months_since_hire,
        coalesce(months_since_hire < getvariable('new_hire_months'), false) as is_new_hire,
        coalesce(
            months_since_hire
            < coalesce(nullif(len(getvariable('ramp')), 0), getvariable('new_hire_months')),
            false
        ) as is_ramping,
    from reps
    left join reps as managers on reps.manager_id = managers.rep_id
)

select * from final
