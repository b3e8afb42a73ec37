/*
grain: one row per note on how the extracts were read (table_name, note): fallbacks used, columns renamed.
columns:
  table_name: Canonical table the note is about.
  note: The note, naming the file and what to change in config.yml.
*/
with

source as (
    select * from raw_extract_notes
),

final as (
    select
        table_name,
        note,
    from source
)

select * from final
