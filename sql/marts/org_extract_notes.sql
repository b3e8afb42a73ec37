/*
grain: one row per note on how the extracts were read (table_name, note): fallbacks used, columns renamed.
unique: [table_name, note]
columns_from: stg_extract_notes
*/
select distinct *
from stg_extract_notes
