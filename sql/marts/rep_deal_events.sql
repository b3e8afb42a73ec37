/*
grain: one row per change of a deal in the last 35 days to as_of (opportunity_id, event_date, event): what
  the coaching page ("since last month") and the Monday meeting pack ("last week") talk about.
  Built from int_opportunity_states: each new state is compared with the one before it.
unique: [opportunity_id, event_date, event]
columns:
  opportunity_id: The deal.
  rep_id: Deal owner (today's owner).
  team: The owner's team today.
  opportunity_name: Deal name.
  account: Account name.
  event_date: Day of the change.
  event: created (when the deal was created that day: int_opportunity_states.is_created, or its created_date
    when the history, already started, first shows it later; a deal first seen when the history starts is not),
    won, lost (a deal never seen open, such as one the deal history has no row for, is won or lost on its close
    date), pushed_out (close date moved to a later
    fiscal quarter while open), pulled_in (close date moved to an earlier fiscal quarter while open), advanced
    (moved to a later open stage), went_back (moved to an earlier open stage), amount_up or amount_down (while
    open).
  stage: Stage after the change.
  amount (money): Amount after the change.
  previous_amount (money): Amount before the change (null for created).
  close_date: Close date after the change.
  previous_close_date: Close date before the change (null for created).
  days_ago: as_of − event_date.
  is_standing: For won and lost: the deal is still won (lost) today and this is its latest such event, so a deal
    won, reopened and won again is won once (won and reopened, not at all); null for other events.
tests:
  - days_ago between 0 and 35
*/
with

with_previous as (
    select
        states.opportunity_id,
        states.valid_from as event_date,
        states.stage,
        states.stage_kind,
        states.stage_order,
        states.amount,
        states.close_date,
        states.previous_stage_kind as previous_kind,
        states.previous_stage_order as previous_order,
        states.previous_amount,
        states.previous_close_date,
        states.state_number,
        states.is_created,
        states.valid_to,
    from int_opportunity_states as states
),

recent as (
    select
        with_previous.*,
        close_q.period_start as close_quarter,
        previous_q.period_start as previous_close_quarter,
    from with_previous
    left join int_fiscal_days as close_q on with_previous.close_date = close_q.day
    left join int_fiscal_days as previous_q on with_previous.previous_close_date = previous_q.day
    where with_previous.event_date > getvariable('as_of') - interval 35 day
),

never_open as (
    -- deals never seen open, nor changing between won and lost: entered as won or lost, or first seen closed
    -- because the deal history has no earlier row for them. No change of state shows when they closed; the
    -- CRM's close date (today's, as the scorecard counts it) does. Any other deal closes by a change of state
    -- (below).
    select
        * replace (close_date as event_date),
        cast(null as date) as close_quarter,
        cast(null as date) as previous_close_quarter,
    from with_previous
    where
        valid_to = date '9999-12-31' and stage_kind in ('won', 'lost')
        and close_date > getvariable('as_of') - interval 35 day
        and opportunity_id not in (
            select o.opportunity_id from with_previous as o
            where o.stage_kind = 'open' or (o.state_number > 1 and o.previous_kind <> o.stage_kind)
        )
),

created_unseen as (
    -- deals the history shows only after they were created, though it had started by then (a history extract
    -- that leaves deals out): their created date says when, and their first known amount is the best known
    select
        with_previous.* replace (opportunities.created_date as event_date),
        cast(null as date) as close_quarter,
        cast(null as date) as previous_close_quarter,
    from with_previous
    inner join stg_opportunities as opportunities on with_previous.opportunity_id = opportunities.opportunity_id
    cross join int_data_coverage as coverage
    where
        with_previous.state_number = 1 and not with_previous.is_created
        and opportunities.created_date >= coverage.history_starts_on
        and opportunities.created_date > getvariable('as_of') - interval 35 day
        and opportunities.created_date < with_previous.event_date
),

events as (
    select
        *,
        'created' as event,
    from recent
    where is_created
    union all
    select
        *,
        'created' as event,
    from created_unseen
    union all
    select
        *,
        stage_kind as event,
    from never_open
    union all
    select
        *,
        stage_kind as event,
    from recent
    where state_number > 1 and stage_kind in ('won', 'lost') and previous_kind <> stage_kind
    union all
    select
        *,
        'pushed_out' as event,
    from recent
    where state_number > 1 and stage_kind = 'open' and previous_kind = 'open' and close_quarter > previous_close_quarter
    union all
    select
        *,
        'pulled_in' as event,
    from recent
    where state_number > 1 and stage_kind = 'open' and previous_kind = 'open' and close_quarter < previous_close_quarter
    union all
    select
        *,
        case when stage_order > previous_order then 'advanced' else 'went_back' end as event,
    from recent
    where state_number > 1 and stage_kind = 'open' and previous_kind = 'open' and stage_order <> previous_order
    union all
    select
        *,
        case when amount > previous_amount then 'amount_up' else 'amount_down' end as event,
    from recent
    where
        state_number > 1 and stage_kind = 'open' and previous_kind = 'open'
        and amount is distinct from previous_amount and amount is not null and previous_amount is not null
),

final as (
    select
        events.opportunity_id,
        opportunities.owner_id as rep_id,
        reps.team,
        opportunities.opportunity_name,
        opportunities.account,
        events.event_date,
        events.event,
        events.stage,
        cast(events.amount as double) as amount,
        case when events.event <> 'created' then cast(events.previous_amount as double) end as previous_amount,
        events.close_date,
        case when events.event <> 'created' then events.previous_close_date end as previous_close_date,
        datediff('day', events.event_date, getvariable('as_of')) as days_ago,
        case
            when events.event in ('won', 'lost')
                then
                    events.event = case when opportunities.is_won then 'won' when opportunities.is_lost then 'lost' end
                    and events.event_date = max(events.event_date) over (
                        partition by events.opportunity_id, events.event
                    )
        end as is_standing,
    from events
    inner join int_opportunities as opportunities on events.opportunity_id = opportunities.opportunity_id
    left join int_reps as reps on opportunities.owner_id = reps.rep_id
    where events.event_date <= getvariable('as_of')
)

select * from final
