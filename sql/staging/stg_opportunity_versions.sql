/*
grain: one row per deal per version it had (opportunity_id, valid_from): the stored history up to as_of and
  the load day's own versions. A version holds from valid_from up to, not including, valid_to; a deal as of
  day d is its version with valid_from <= d < valid_to (none when it had left the CRM).
unique: [opportunity_id, valid_from]
columns:
  valid_from: Day the version starts (the load day on which it was first seen).
  valid_to: Day the next version starts, or the deal left the extract (9999-12-31 for the current one).
  opportunity_id: The deal.
  owner_id: Owner in that version.
  stage: Stage in that version.
  amount: Amount in that version.
  close_date: Close date in that version.
  forecast_category: Forecast category in that version.
*/
with

source as (
    select * from raw_opportunity_versions
),

dated as (
    select
        *,
        coalesce(
            lead(valid_from) over (partition by opportunity_id order by valid_from),
            date '9999-12-31'
        ) as valid_to,
    from source
),

final as (
    select
        valid_from,
        valid_to,
        opportunity_id,
        owner_id,
        stage,
        amount,
        close_date,
        forecast_category,
    from dated
    where not is_removed
)

select * from final
