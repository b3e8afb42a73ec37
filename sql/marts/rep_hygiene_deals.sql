/*
grain: one row per deal open today that has at least one hygiene problem (opportunity_id), for coaching pages.
unique: [opportunity_id]
columns:
  opportunity_id: The deal.
  rep_id: Deal owner.
  team: The owner's team today.
  opportunity_name: Deal name.
  account: Account name.
  stage: Current stage.
  amount: Deal value (null when missing).
  close_date: Expected close date.
  next_step: Next step text (null when empty).
  last_activity_date: Last activity on the deal (the extract's date or the latest linked activity).
  days_since_activity: as_of − last_activity_date; as_of − created_date when no activity was ever logged.
  is_past_close_date: The close date is before as_of while the deal is still open.
  has_no_next_step: The next step is empty (never, when the export has no next-step column).
  has_no_amount: The amount is empty or 0.
  is_untouched: days_since_activity is above thresholds.untouched_days (never, when the extracts carry no
    activity dates at all).
  problems: How many of the four problems the deal has (1-4).
tests:
  - problems between 1 and 4
*/
with

opportunities as (
    select * from int_opportunities
),

reps as (
    select * from int_reps
),

coverage as (
    select * from int_data_coverage
),

flagged as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id as rep_id,
        reps.team,
        opportunities.opportunity_name,
        opportunities.account,
        opportunities.stage,
        cast(opportunities.amount as double) as amount,
        opportunities.close_date,
        opportunities.next_step,
        opportunities.last_activity_date,
        datediff(
            'day', coalesce(opportunities.last_activity_date, opportunities.created_date), getvariable('as_of')
        ) as days_since_activity,
        opportunities.close_date < getvariable('as_of') as is_past_close_date,
        coverage.has_next_step and coalesce(trim(opportunities.next_step), '') = '' as has_no_next_step,
        coalesce(opportunities.amount, 0) = 0 as has_no_amount,
        coverage.has_activity_data,
    from opportunities
    cross join coverage
    left join reps on opportunities.owner_id = reps.rep_id
    where opportunities.is_open
),

final as (
    select
        * exclude (has_activity_data),
        has_activity_data and days_since_activity > getvariable('untouched_days') as is_untouched,
        cast(is_past_close_date as integer)
        + cast(has_no_next_step as integer)
        + cast(has_no_amount as integer)
        + cast(has_activity_data and days_since_activity > getvariable('untouched_days') as integer) as problems,
    from flagged
    where
        is_past_close_date
        or has_no_next_step
        or has_no_amount
        or (has_activity_data and days_since_activity > getvariable('untouched_days'))
)

select * from final
