/*
grain: one row per canonical input table (table_name): whether the build was given an extract for it, and
  what became of its rows.
columns:
  table_name: Canonical table (reps, opportunities, opportunity_history, activities, quotas, targets).
  is_present: True when at least one file was read for it; metrics that need a missing table show "no data".
  files: Files read for it.
  rows_read: Rows read from those files (malformed lines included).
  rows_loaded: Rows loaded (flagged rows included).
  rows_rejected: Rows left out of every metric, each listed in the quarantine.
  rows_flagged: Rows loaded with a problem worth fixing in the CRM.
*/
select
    table_name,
    present as is_present,
    files,
    rows_read,
    rows_loaded,
    rows_rejected,
    rows_flagged,
from raw_sources
