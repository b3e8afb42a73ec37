/*
grain: one row per deal per state it held (opportunity_id, valid_from); a state holds from
  valid_from up to, not including, valid_to.
  Source: opportunity_history where the deal has any; otherwise the versions the loader stores
  (stg_opportunity_versions); the current extract always gives the latest state.
columns:
  opportunity_id: The deal.
  valid_from: First day of the state. The first state starts on the deal's created_date when it comes from
    opportunity_history, or when the deal was created after the first stored snapshot; a deal first seen in
    a snapshot otherwise starts there (what it looked like before is not known, and is not guessed).
  valid_to: Day the next state starts (9999-12-31 for the current one).
  stage: Stage in that state.
  stage_kind: open, won or lost.
  stage_order: Position of the stage in the configured order (null for a stage not in config).
  amount: Amount in that state.
  close_date: Close date in that state.
  forecast_category: Forecast category in that state.
  history_source: history, snapshot or current.
  is_created: True for the state a deal was created in: its first state when that comes from opportunity_history,
    or when its created_date is on or after the first day deals were seen without a history of their own. A deal
    first seen when the history starts, created before, is not created then: it was already there, and every
    model reading deal states treats its first state as opening, never as created.
  state_number: 1 for the deal's first state, 2 for the next, ... (in valid_from order).
  previous_stage: Stage in the deal's state before this one (null for its first state).
  previous_stage_kind: stage_kind of the state before (null for the first state).
  previous_stage_order: stage_order of the state before (null for the first state).
  previous_amount: Amount in the state before (null for the first state).
  previous_close_date: Close date in the state before (null for the first state).
*/
with

opportunities as (
    select * from stg_opportunities
),

history_deals as (
    select distinct opportunity_id from stg_opportunity_history
),

from_history as (
    select
        opportunity_id,
        changed_date as valid_from,
        changed_at as seen_at,
        stage,
        amount,
        close_date,
        forecast_category,
        'history' as history_source,
    from stg_opportunity_history
),

from_snapshots as (
    select
        opportunity_id,
        valid_from,
        cast(valid_from as timestamp) as seen_at,
        stage,
        amount,
        close_date,
        forecast_category,
        'snapshot' as history_source,
    from stg_opportunity_versions
    where stg_opportunity_versions.opportunity_id not in (select history_deals.opportunity_id from history_deals)
),

current_state as (
    select
        opportunity_id,
        getvariable('as_of') as valid_from,
        cast(getvariable('as_of') as timestamp) + interval 1 day as seen_at,
        stage,
        amount,
        close_date,
        forecast_category,
        'current' as history_source,
    from opportunities
),

all_states as (
    select * from from_history
    union all
    select * from from_snapshots
    union all
    select * from current_state
),

last_per_day as (
    -- deals no longer in the current extract (deleted) have no states
    select
        all_states.*,
        opportunities.created_date,
    from all_states
    inner join opportunities on all_states.opportunity_id = opportunities.opportunity_id
    -- the first of its day in the deal's own order: partitioned by the deal alone, as the windows after this are
    -- (about 0.3 CPU s less at 5,000 reps than a window per deal and day)
    qualify
        lag(all_states.valid_from)
            over (
                partition by all_states.opportunity_id
                -- two history rows of one deal at the same instant: the same one wins in every build
                order by
                    all_states.valid_from asc,
                    all_states.seen_at desc, all_states.stage asc, all_states.amount asc,
                    all_states.close_date asc, all_states.forecast_category asc
            )
        is distinct from all_states.valid_from
),

changes_only as (
    -- a day dropped here has the stage, amount and close date of the kept state before it, so these lags over
    -- every day are the lags over the kept states
    select
        *,
        row_number() over w = 1 as is_first_state,
        lag(stage) over w as previous_stage,
        lag(amount) over w as previous_amount,
        lag(close_date) over w as previous_close_date,
    from last_per_day
    window w as (partition by opportunity_id order by valid_from)
    qualify
        row_number() over w = 1
        or lag(stage) over w is distinct from stage
        or lag(amount) over w is distinct from amount
        or lag(close_date) over w is distinct from close_date
        or lag(forecast_category) over w is distinct from forecast_category
),

first_snapshot as (
    -- the first day deals were seen without a history of their own: a stored version, or today's extract
    select least(min(s.valid_from), getvariable('as_of')) as first_day from stg_opportunity_versions as s
),

with_creation as (
    select
        changes_only.*,
        coalesce(
            changes_only.is_first_state
            and (
                changes_only.history_source = 'history'
                or changes_only.created_date >= (select first_snapshot.first_day from first_snapshot)
            ),
            false
        ) as is_created,
    from changes_only
),

final as (
    select
        with_creation.opportunity_id,
        case
            when with_creation.is_created then least(with_creation.valid_from, with_creation.created_date)
            else with_creation.valid_from
        end as valid_from,
        coalesce(lead(with_creation.valid_from) over w, date '9999-12-31') as valid_to,
        with_creation.stage,
        stages.stage_kind,
        stages.stage_order,
        with_creation.amount,
        with_creation.close_date,
        with_creation.forecast_category,
        with_creation.history_source,
        with_creation.is_created,
        row_number() over w as state_number,
        with_creation.previous_stage,
        previous_stages.stage_kind as previous_stage_kind,
        previous_stages.stage_order as previous_stage_order,
        with_creation.previous_amount,
        with_creation.previous_close_date,
    from with_creation
    left join stg_stages as stages on with_creation.stage = stages.stage
    left join stg_stages as previous_stages on with_creation.previous_stage = previous_stages.stage
    window w as (partition by with_creation.opportunity_id order by with_creation.valid_from)
)

select * from final
