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
  amount: Amount in that version, in the corporate currency at the deal's rate today (as in stg_opportunities).
  close_date: Close date in that version.
  forecast_category: Forecast category in that version (mapped as in stg_opportunities).
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
        dated.valid_from,
        dated.valid_to,
        dated.opportunity_id,
        dated.owner_id,
        dated.stage,
        cast(dated.amount as double) / deal_rate(dated.opportunity_id) as amount,
        dated.close_date,
        forecast_category(dated.forecast_category) as forecast_category,
    from dated
    where not dated.is_removed
)

select * from final
