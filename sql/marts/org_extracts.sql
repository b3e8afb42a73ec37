/*
grain: one row per canonical input table (table_name): what the build was given and what became of its rows.
unique: [table_name]
columns_from: stg_sources
tests:
  - rows_loaded + rows_rejected = rows_read
*/
select *
from stg_sources
