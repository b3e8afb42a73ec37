/*
grain: one row per person who owns deals, activities or quota, or manages someone (rep_id), and every other
  person of the reps extract except system users (stg_reps.is_system_user), who own nothing a scorecard shows.
columns:
  rep_id: CRM user id.
  name: Display name (rep_id when unknown).
  team: Resolved team: the extract's team; else, for a manager, the most common team among their reports, or
    'Team <their own name>' when no report has one (the team their reports are in); else the most common team
    among the people who report to the same manager; else 'Team <manager name>'; else 'Unassigned'.
  manager_id: rep_id of the manager.
  role: Role; 'Manager' for people known only as someone's manager.
  hire_date: First day at the company.
  email: Email address.
  is_active: False for reps who have left.
  is_manager: True when anyone reports to this person.
  in_reps_extract: False for people known only as an owner or as a manager.
*/
with

extract_reps as (
    select * from stg_reps
),

referenced as (
    select owner_id as rep_id from stg_opportunities
    union
    select owner_id from stg_activities
    union
    select rep_id from stg_quotas
    union
    select manager_id from extract_reps
    where manager_id is not null
),

people as (
    select
        referenced.rep_id,
        extract_reps.name,
        extract_reps.team,
        extract_reps.manager_id,
        extract_reps.role,
        extract_reps.hire_date,
        extract_reps.email,
        extract_reps.is_active,
        extract_reps.rep_id is not null as in_reps_extract,
    from referenced
    left join extract_reps on referenced.rep_id = extract_reps.rep_id
    union all by name
    select
        * exclude (is_system_user),
        true as in_reps_extract,
    from extract_reps
    where extract_reps.rep_id not in (select referenced.rep_id from referenced) and not extract_reps.is_system_user
),

reports_team as (
    select
        manager_id,
        mode(team) as reports_team,
        count(*) as reports,
    from people
    where manager_id is not null
    group by manager_id
),

with_team as (
    select
        people.rep_id,
        coalesce(people.name, people.rep_id) as name,
        coalesce(
            people.team,
            case when reports_team.reports is not null then reports_team.reports_team end,
            case when reports_team.reports is not null then 'Team ' || coalesce(people.name, people.rep_id) end,
            managers_team.reports_team,
            'Team ' || coalesce(managers.name, people.manager_id),
            'Unassigned'
        ) as team,
        people.manager_id,
        coalesce(people.role, case when reports_team.reports is not null then 'Manager' end) as role,
        people.hire_date,
        people.email,
        coalesce(people.is_active, true) as is_active,
        reports_team.reports is not null as is_manager,
        people.in_reps_extract,
    from people
    left join reports_team on people.rep_id = reports_team.manager_id
    left join reports_team as managers_team on people.manager_id = managers_team.manager_id
    left join people as managers on people.manager_id = managers.rep_id
),

final as (
    select * from with_team
)

select * from final
