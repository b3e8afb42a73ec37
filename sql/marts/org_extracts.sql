/*
grain: one row per canonical input table (table_name): what the build was given and what became of its rows.
unique: [table_name]
columns:
  table_name: Canonical table (reps, opportunities, opportunity_history, activities, quotas, targets).
  is_present: True when at least one file was read for it; metrics that need a missing table show "no data".
  files: Files read for it.
  rows_read: Rows read from those files (malformed lines included).
  rows_loaded: Rows loaded into the models (flagged rows included).
  rows_rejected: Rows left out of every metric, each listed in org_quarantine.
  rows_flagged: Rows loaded with a problem worth fixing in the CRM.
tests:
  - rows_loaded + rows_rejected = rows_read
*/
with

sources as (
    select * from stg_sources
),

final as (
    select * from sources
)

select * from final
