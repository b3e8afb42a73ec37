/*
grain: one row per deal as it stands in the latest extract (opportunity_id).
columns:
  opportunity_id: CRM deal id.
  owner_id: rep_id of the owner.
  account: Account name.
  opportunity_name: Deal name.
  stage: Current stage.
  amount: Deal value (null when the CRM has none).
  created_date: Day the deal was created.
  close_date: Expected or actual close day.
  forecast_category: Rep's forecast call (Pipeline, Best Case, Commit, Closed, Omitted).
  next_step: Next step text; null when empty.
  last_activity_date: Last logged activity on the deal.
*/
with

source as (
    select * from raw_opportunities
),

final as (
    select
        opportunity_id,
        owner_id,
        account,
        name as opportunity_name,
        stage,
        amount,
        created_date,
        close_date,
        forecast_category,
        next_step,
        last_activity_date,
    from source
)

select * from final
