/*
grain: one row per problem found in an input row (table_name, file, row_number, column_name, reason); a row
  can have several problems.
columns:
  table_name: Canonical table the row was read for.
  file: The file, as named in config.yml.
  row_number: Row as a spreadsheet shows it (the header is row 1).
  column_name: The canonical column with the problem; empty for a malformed line.
  value: The value as written in the file.
  reason: What is wrong.
  action: rejected (left out of every metric) or flagged (loaded, worth fixing in the CRM).
  owner_id: The rep whose row it is, when the table has an owner column.
*/
with

source as (
    select * from raw_quarantine
),

final as (
    select
        table_name,
        file,
        row_number,
        column_name,
        value,
        reason,
        action,
        owner_id,
    from source
)

select * from final
