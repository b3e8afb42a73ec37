/*
grain: one row per problem found in an input row (table_name, file, row_number, column_name, reason): every
  rejected or flagged row, as on the Data quality page. Email addresses in the values are hidden unless
  privacy.publish_emails is true.
unique: [table_name, file, row_number, column_name, reason]
columns:
  table_name: Canonical table the row was read for.
  file: The file, as named in config.yml.
  row_number: Row as a spreadsheet shows it (the header is row 1).
  column_name: The canonical column with the problem; empty for a malformed line.
  value: The value as written in the file (email addresses hidden unless published).
  reason: What is wrong.
  action: rejected (left out of every metric) or flagged (loaded, worth fixing in the CRM).
  rep_id: The rep whose row it is, when the table has an owner column.
tests:
  - action in ('rejected', 'flagged')
*/
with

quarantine as (
    select * from stg_quarantine
),

final as (
    select
        * exclude (owner_id) replace (
            case
                when getvariable('publish_emails') then value
                else regexp_replace(value, '[^\s,;:"''<>()]+@[^\s,;:"''<>()]+', '(email hidden)', 'g')
            end as value
        ),
        owner_id as rep_id,
    from quarantine
)

select * from final
