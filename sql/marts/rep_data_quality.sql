/*
grain: one row per person with rows in the quarantine (rep_id): how many of their input rows were rejected
  or flagged, for their own page and the Data quality page.
unique: [rep_id]
dictionary: [rep_id, name, team]
columns:
  rows_rejected: Their rows left out of every metric.
  rows_flagged: Their rows loaded with a problem worth fixing.
  rows_with_problems: Their rows with any problem (a row counts once).
*/
select
    owner_id as rep_id,
    any_value(owner_name) as name,
    any_value(owner_team) as team,
    count(distinct row_key) filter (where action = 'rejected') as rows_rejected,
    count(distinct row_key) filter (where action = 'flagged') as rows_flagged,
    count(distinct row_key) as rows_with_problems,
from int_owned_quarantine
group by owner_id
