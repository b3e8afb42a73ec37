/*
grain: one row per rep per started fiscal quarter with deals whose state is not known on a day that quarter's
  past-state metrics look at (rep_id, period): deals created by that day whose first known state
  (int_opportunity_states) starts later, because the deal history has no row for them that early
  (int_late_seen_deals), and that could have counted in the quarter (not closed before it; an undated deal
  could). A sum of the rep's deals on that day would leave them out, so it is not known while the count is
  above 0. Quarters whose checkpoint day is before the history starts are left out: every such sum is unknown
  there anyway. Note: an opportunity_history that only logs changes, with no
  row for a deal that never changed, makes every such deal unseen; Salesforce's has a row from each deal's
  creation.
columns:
  rep_id: The deal's owner today.
  period: The fiscal quarter.
  unseen_at_start: Such deals on the eve of the quarter's first day: its opening pipeline
    (int_pipeline_at_quarter_start).
  unseen_at_checkpoint: Such deals at the end of the checkpoint day, day forecast.checkpoint_days of the quarter:
    the CRM forecast that day (int_forecast_checkpoint).
*/
with

deals as (
    select * from int_late_seen_deals
),

quarters as (
    select
        period,
        period_start,
        cast(period_start - interval 1 day as date) as eve,
        cast(period_start + to_days(getvariable('forecast_checkpoint_days') - 1) as date) as checkpoint_day,
    from int_fiscal_quarters
    where period_start <= getvariable('as_of')
),

coverage as (
    select * from int_data_coverage
),

final as (
    select
        deals.rep_id,
        quarters.period,
        count(*) filter (
            where unknown_on(quarters.eve, deals.created_date, deals.first_known_on)
        ) as unseen_at_start,
        count(*) filter (
            where unknown_on(quarters.checkpoint_day, deals.created_date, deals.first_known_on)
        ) as unseen_at_checkpoint,
    from deals
    inner join quarters
        on
            coalesce(deals.created_date <= quarters.checkpoint_day, true)
            and deals.first_known_on > quarters.eve
            and coalesce(deals.close_date >= quarters.period_start, true)
    -- before the history starts, every such sum is unknown already (int_data_coverage)
    inner join coverage on quarters.checkpoint_day >= coverage.history_starts_on
    group by deals.rep_id, quarters.period
)

select * from final
