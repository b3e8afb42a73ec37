/*
grain: one row per deal that existed before its first known state (opportunity_id): created before the first
  state int_opportunity_states has for it, because the deal history has no row for it that early (a history
  extract that leaves deals out). On any day from its creation to first_known_on, what it was is not known, so a
  sum of its owner's deals on that day would leave it out. int_unseen_deals counts them on the days a quarter's
  past-state metrics look at, int_forecast_trend on the trend's days.
columns:
  opportunity_id: The deal.
  rep_id: The deal's owner today.
  created_date: The deal's created date; null when the export has none (then the deal counts when an
    opportunity_history extract is given and has no row for it: it should have shown the deal, which may have
    existed any day before).
  close_date: The deal's close date today (a deal closed before a quarter could not count in it).
  first_known_on: First day of the deal's first known state.
*/
with

first_states as (
    select * from int_opportunity_states
    where state_number = 1
),

opportunities as (
    select * from stg_opportunities
),

has_history as (
    select (select count(*) from stg_opportunity_history) > 0 as has_history_extract
),

final as (
    -- a deal without a created date and without history rows may have existed any day before it was first seen
    -- when an opportunity_history extract (which should have shown it) is given; without one, it is most likely
    -- new (int_opportunity_states); with rows, its first one is when it started
    select
        opportunities.opportunity_id,
        opportunities.owner_id as rep_id,
        opportunities.created_date,
        opportunities.close_date,
        first_states.valid_from as first_known_on,
    from opportunities
    inner join first_states on opportunities.opportunity_id = first_states.opportunity_id
    cross join has_history
    where
        coalesce(
            opportunities.created_date < first_states.valid_from,
            has_history.has_history_extract and first_states.history_source <> 'history'
        )
)

select * from final
