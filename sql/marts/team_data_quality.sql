/*
grain: one row per team, input table, problem and action (team, table_name, reason, action): how many of the
  team's rows (by the row's owner, in their team of today) have it, so a team's own site can list its data
  problems without anyone else's.
unique: [team, table_name, reason, action]
columns:
  team: The owner's team today.
  table_name: Canonical table the rows were read for.
  reason: What is wrong.
  action: rejected (left out of every metric) or flagged (loaded, worth fixing in the CRM).
  rows: The team's rows with the problem (a row counts once per problem).
*/
with

quarantine as (
    select
        *,
        file || ':' || row_number as row_key,
    from stg_quarantine
    where owner_id is not null
),

reps as (
    select * from int_reps
),

final as (
    select
        reps.team,
        quarantine.table_name,
        quarantine.reason,
        quarantine.action,
        count(distinct quarantine.row_key) as rows,
    from quarantine
    inner join reps on quarantine.owner_id = reps.rep_id
    group by reps.team, quarantine.table_name, quarantine.reason, quarantine.action
)

select * from final
