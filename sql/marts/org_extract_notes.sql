/*
grain: one row per note on how the extracts were read (table_name, note): fallbacks used, columns renamed.
unique: [table_name, note]
columns:
  table_name: Canonical table the note is about.
  note: The note, naming the file and what to change in config.yml.
*/
with

notes as (
    select * from stg_extract_notes
),

final as (
    select distinct * from notes
)

select * from final
