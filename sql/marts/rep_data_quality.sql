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
        quarantine.owner_id as rep_id,
        coalesce(any_value(reps.name), quarantine.owner_id) as name,
        any_value(reps.team) as team,
        count(distinct quarantine.row_key) filter (where quarantine.action = 'rejected')
            as rows_rejected,
        count(distinct quarantine.row_key) filter (where quarantine.action = 'flagged')
            as rows_flagged,
        count(distinct quarantine.row_key) as rows_with_problems,
    from quarantine
    left join reps on quarantine.owner_id = reps.rep_id
    group by quarantine.owner_id
)

select * from final
