/*
grain: one row per canonical column that the extracts give values for (table_name, column_name); optional
  columns missing from an export are absent here, so the checks that need them say "no data".
columns:
  table_name: Canonical table (opportunities, reps, ...).
  column_name: Canonical column mapped from at least one file of that table.
*/
with

source as (
    select * from raw_columns
),

final as (
    select
        table_name,
        column_name,
    from source
)

select * from final
