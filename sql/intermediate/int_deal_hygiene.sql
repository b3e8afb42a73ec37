/*
grain: one row per deal open today (opportunity_id), with each CRM-discipline problem it has: what
  rep_hygiene counts and rep_hygiene_deals lists for the coaching pages.
dictionary: [opportunity_id, rep_id, team, opportunity_name, account, stage, amount, close_date, next_step,
  last_activity_date, days_since_activity, is_past_close_date, has_no_next_step, has_no_amount, is_untouched,
  has_no_close_date, deal_currency, deal_amount]
columns:
  problems: How many of the five problems the deal has (0-5): close date in the past, no close date, no next
    step, no amount, untouched.
tests:
  - problems between 0 and 5
*/
with

deals as (
    select * from int_open_deals
),

coverage as (
    select * from int_data_coverage
),

flagged as (
    select
        deals.* exclude (
            deals.stage_order, deals.created_date, deals.forecast_category, deals.deal_currency, deals.deal_amount
        ),
        coalesce(deals.close_date < getvariable('as_of'), false) as is_past_close_date,
        coverage.has_next_step and coalesce(trim(deals.next_step), '') = '' as has_no_next_step,
        coalesce(deals.amount, 0) = 0 as has_no_amount,
        coverage.has_activity_data,
        deals.deal_currency,
        deals.deal_amount,
    from deals
    cross join coverage
),

final as (
    select
        * exclude (has_activity_data, deal_currency, deal_amount),
        -- no activity and no created date: the deal's age is unknown, so it is not called untouched
        coalesce(has_activity_data and days_since_activity > getvariable('untouched_days'), false) as is_untouched,
        cast(is_past_close_date as integer)
        + cast(has_no_next_step as integer)
        + cast(has_no_amount as integer)
        + cast(is_untouched as integer)
        + cast(close_date is null as integer) as problems,
        close_date is null as has_no_close_date,
        deal_currency,
        deal_amount,
    from flagged
)

select * from final
