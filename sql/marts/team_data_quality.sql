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
select
    owner_team as team,
    table_name,
    reason,
    action,
    count(distinct row_key) as rows,
from int_owned_quarantine
-- an owner the reps extract does not know has no team
where owner_team is not null
group by owner_team, table_name, reason, action
