/*
grain: one row per input table, problem and action (table_name, reason, action): how many rows have it.
unique: [table_name, reason, action]
columns:
  table_name: Canonical table the rows were read for.
  reason: What is wrong.
  action: rejected (left out of every metric) or flagged (loaded, worth fixing in the CRM).
  rows: Rows with the problem (a row counts once per problem).
*/
with

quarantine as (
    select
        *,
        file || ':' || row_number as row_key,
    from stg_quarantine
),

final as (
    select
        table_name,
        reason,
        action,
        count(distinct row_key) as rows,
    from quarantine
    group by table_name, reason, action
)

select * from final
