/*
grain: one row per problem found in an input row that has an owner (table_name, file, row_number, column_name,
  reason), with the owner's name and team of today: what rep_data_quality and team_data_quality count.
columns_from: stg_quarantine
columns:
  row_key: The input row (file:row_number), to count a row once however many problems it has.
  owner_name: The owner's display name (owner_id when the owner is not in int_reps).
  owner_team: The owner's team today; null when the owner is not in int_reps.
*/
with

quarantine as (
    select * from stg_quarantine
    where owner_id is not null
),

reps as (
    select * from int_reps
),

final as (
    select
        quarantine.*,
        quarantine.file || ':' || quarantine.row_number as row_key,
        coalesce(reps.name, quarantine.owner_id) as owner_name,
        reps.team as owner_team,
    from quarantine
    left join reps on quarantine.owner_id = reps.rep_id
)

select * from final
