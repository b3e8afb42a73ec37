/*
grain: one row per rep per started fiscal quarter with deals whose state is not known on a day that quarter's
  past-state metrics look at (rep_id, period): deals created by that day whose first known state
  (int_opportunity_states) starts later, because the deal history has no row for them that early (a history
  extract that leaves deals out), and that could have counted in the quarter (not closed before it; an undated
  deal could). A deal without a created date counts when an opportunity_history extract is given and has no row
  for it (it should have shown the deal). A sum of the rep's deals on that day would leave them out, so it is
  not known while the count is above 0. Quarters whose checkpoint day is before the history starts are left
  out: every such sum is unknown there anyway. Note: an opportunity_history that only logs changes, with no
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

first_states as (
    select * from int_opportunity_states
    where state_number = 1
),

opportunities as (
    select * from stg_opportunities
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
    select
        *,
        (select count(*) from stg_opportunity_history) > 0 as has_history_extract,
    from int_data_coverage
),

deals as (
    -- a deal without a created date and without history rows may have existed any day before it was first seen
    -- when an opportunity_history extract (which should have shown it) is given; without one, it is most likely
    -- new (int_opportunity_states); with rows, its first one is when it started
    select
        opportunities.owner_id as rep_id,
        opportunities.created_date,
        opportunities.close_date,
        first_states.valid_from as first_known_on,
    from opportunities
    inner join first_states on opportunities.opportunity_id = first_states.opportunity_id
    cross join coverage
    where
        coalesce(
            opportunities.created_date < first_states.valid_from,
            coverage.has_history_extract and first_states.history_source <> 'history'
        )
),

final as (
    select
        deals.rep_id,
        quarters.period,
        count(*) filter (
            where coalesce(deals.created_date <= quarters.eve, true) and deals.first_known_on > quarters.eve
        ) as unseen_at_start,
        count(*) filter (
            where coalesce(deals.created_date <= quarters.checkpoint_day, true)
            and deals.first_known_on > quarters.checkpoint_day
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
