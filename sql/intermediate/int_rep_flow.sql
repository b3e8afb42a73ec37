/*
grain: one row per rep per fiscal quarter up to the current one (rep_id, period): the pipeline waterfall of
  the quarter, built from int_opportunity_states (deal history).
  Scope: a deal is in a quarter's pipeline on a day when it is open and its close date falls in the quarter.
  Window: from the quarter's first day to its last day (to as_of for the current quarter). The opening is the
  pipeline at the end of the day before the quarter starts (the rule of int_pipeline_at_quarter_start,
  applied at the window's start); every change of a deal dated inside the window
  is attributed to exactly one bucket, so closing = opening + created + pulled_in + other_in +
  amount_up − amount_down − won − lost − pushed_out − other_out holds exactly (sql/tests/flow_adds_up.sql).
  Before the history starts (int_data_coverage.history_starts_on) nothing is known: a quarter that ends before
  it has every amount null (no data), and the quarter it starts in has its window start that day, with the deals
  already there (first seen, not created then: int_opportunity_states.is_created) as its opening; a deal is
  'created' only in the state it was created in.
  Amounts: a deal's amount in the state (empty counts 0). Deals are attributed to today's owner. Deals no
  longer in the current extract (deleted) are not in int_opportunity_states at all, so they are in no bucket
  and in no opening or closing.
dictionary: [rep_id, team, period, window_start, window_end, opening_pipeline, created, pulled_in, other_in,
  amount_up, amount_down, won, lost, pushed_out, other_out, closing_pipeline]
tests:
  - opening_pipeline >= 0
  - closing_pipeline >= 0
  - least(created, pulled_in, other_in, amount_up, amount_down, won, lost, pushed_out, other_out) >= 0
*/
with

-- not materialized: the three readers of flow_states each scan the columns and rows they need from the table;
-- materialized, the deal states are copied once more and spill past the memory limit (20,000 reps: 8.0 CPU s
-- instead of 4.6)
states as not materialized (
    select * from int_opportunity_states
),

opportunities as (
    select * from stg_opportunities
),

reps as (
    select * from int_reps
),

quarters as (
    select * from int_fiscal_quarters
),

scorecard as (
    select * from int_rep_quarters
),

history_start as (
    select history_starts_on as first_day from int_data_coverage
),

windows as (
    select
        quarters.period,
        quarters.period_start,
        quarters.period_end,
        case
            when quarters.period_end < history_start.first_day then quarters.period_start
            else greatest(quarters.period_start, history_start.first_day)
        end as window_start,
        least(quarters.period_end, getvariable('as_of')) as window_end,
        quarters.period_end < history_start.first_day as is_before_history,
    from quarters
    cross join history_start
    where quarters.period_start <= getvariable('as_of')
),

flow_states as not materialized (
    -- a deal first seen the day the history starts, and not created then, was already there: it opens the
    -- window that starts that day instead of entering it
    select
        states.* replace (
            case
                when not states.is_created and states.valid_from = history_start.first_day
                    then states.valid_from - 1
                else states.valid_from
            end as valid_from
        ),
    from states
    cross join history_start
),

state_changes as (
    select
        opportunity_id,
        valid_from,
        state_number = 1 as is_first_state,
        is_created,
        previous_stage_kind as previous_kind,
        previous_close_date,
        coalesce(previous_amount, 0) as previous_amount,
        stage_kind,
        close_date,
        coalesce(amount, 0) as amount,
    from flow_states
),

scoped_changes as (
    select
        state_changes.opportunity_id,
        windows.period,
        windows.period_end,
        state_changes.is_first_state,
        state_changes.is_created,
        state_changes.previous_kind,
        state_changes.previous_close_date,
        state_changes.previous_amount,
        state_changes.stage_kind,
        state_changes.close_date,
        state_changes.amount,
        coalesce(
            state_changes.previous_kind = 'open'
            and state_changes.previous_close_date between windows.period_start and windows.period_end,
            false
        ) as was_in_scope,
        coalesce(
            state_changes.stage_kind = 'open'
            and state_changes.close_date between windows.period_start and windows.period_end,
            false
        ) as is_in_scope,
        coalesce(
            state_changes.stage_kind in ('won', 'lost')
            and state_changes.close_date between windows.period_start and windows.period_end
            and state_changes.previous_kind is distinct from 'won'
            and state_changes.previous_kind is distinct from 'lost',
            false
        ) as closes_in_period,
    from state_changes
    -- the day's quarter first (a hash join), then its window, which lies inside the quarter
    inner join int_fiscal_days as days on state_changes.valid_from = days.day
    inner join windows
        on
            days.period = windows.period
            and state_changes.valid_from between windows.window_start and windows.window_end
),

bucketed as (
    select
        opportunity_id,
        period,
        case
            when not was_in_scope and (is_in_scope or closes_in_period) then
                case
                    when is_created then 'created'
                    when is_first_state then 'other_in'  -- first seen after the history started
                    when previous_kind = 'open' and previous_close_date > period_end then 'pulled_in'
                    else 'other_in'
                end
        end as entry_bucket,
        case
            when was_in_scope and not is_in_scope and not closes_in_period then
                case
                    when stage_kind = 'open' and close_date > period_end then 'pushed_out'
                    else 'other_out'
                end
        end as exit_bucket,
        previous_amount,
        amount,
        was_in_scope,
        is_in_scope,
        closes_in_period,
        stage_kind,
    from scoped_changes
),

change_amounts as (
    select
        opportunity_id,
        period,
        0 as opening_pipeline,
        case when entry_bucket = 'created' then amount else 0 end as created,
        case when entry_bucket = 'pulled_in' then amount else 0 end as pulled_in,
        case when entry_bucket = 'other_in' then amount else 0 end as other_in,
        case
            when was_in_scope and (is_in_scope or closes_in_period) then greatest(amount - previous_amount, 0)
            else 0
        end as amount_up,
        case
            when was_in_scope and (is_in_scope or closes_in_period) then greatest(previous_amount - amount, 0)
            else 0
        end as amount_down,
        case when closes_in_period and stage_kind = 'won' then amount else 0 end as won,
        case when closes_in_period and stage_kind = 'lost' then amount else 0 end as lost,
        case when exit_bucket = 'pushed_out' then previous_amount else 0 end as pushed_out,
        case when exit_bucket = 'other_out' then previous_amount else 0 end as other_out,
        0 as closing_pipeline,
    from bucketed
    -- only changes that move money: most changes (a stage step inside the scope) move none
    where
        entry_bucket is not null
        or exit_bucket is not null
        or closes_in_period
        or (was_in_scope and is_in_scope and amount <> previous_amount)
),

opening_amounts as (
    select
        states.opportunity_id,
        windows.period,
        coalesce(states.amount, 0) as opening_pipeline,
    from windows
    inner join flow_states as states
        on
            windows.window_start > states.valid_from
            and windows.window_start <= states.valid_to
            and states.close_date between windows.period_start and windows.period_end
            and states.stage_kind = 'open'
),

closing_amounts as (
    select
        states.opportunity_id,
        windows.period,
        coalesce(states.amount, 0) as closing_pipeline,
    from windows
    inner join flow_states as states
        on
            windows.window_end >= states.valid_from
            and windows.window_end < states.valid_to
            and states.close_date between windows.period_start and windows.period_end
            and states.stage_kind = 'open'
),

all_amounts as (
    select * from change_amounts
    union all by name
    select * from opening_amounts
    union all by name
    select * from closing_amounts
),

rep_sums as (
    select
        opportunities.owner_id as rep_id,
        all_amounts.period,
        sum(coalesce(all_amounts.opening_pipeline, 0)) as opening_pipeline,
        sum(coalesce(all_amounts.created, 0)) as created,
        sum(coalesce(all_amounts.pulled_in, 0)) as pulled_in,
        sum(coalesce(all_amounts.other_in, 0)) as other_in,
        sum(coalesce(all_amounts.amount_up, 0)) as amount_up,
        sum(coalesce(all_amounts.amount_down, 0)) as amount_down,
        sum(coalesce(all_amounts.won, 0)) as won,
        sum(coalesce(all_amounts.lost, 0)) as lost,
        sum(coalesce(all_amounts.pushed_out, 0)) as pushed_out,
        sum(coalesce(all_amounts.other_out, 0)) as other_out,
        sum(coalesce(all_amounts.closing_pipeline, 0)) as closing_pipeline,
    from all_amounts
    inner join opportunities on all_amounts.opportunity_id = opportunities.opportunity_id
    group by opportunities.owner_id, all_amounts.period
),

spine as (
    select
        rep_id,
        period,
    from scorecard
    where period_start <= getvariable('as_of')
    union
    select
        rep_id,
        period,
    from rep_sums
),

final as (
    select
        spine.rep_id,
        reps.team,
        spine.period,
        windows.window_start,
        windows.window_end,
        -- before the history starts nothing is known: no data, not 0
        case when not windows.is_before_history then cast(coalesce(rep_sums.opening_pipeline, 0) as double) end
            as opening_pipeline,
        case when not windows.is_before_history then cast(coalesce(rep_sums.created, 0) as double) end as created,
        case when not windows.is_before_history then cast(coalesce(rep_sums.pulled_in, 0) as double) end as pulled_in,
        case when not windows.is_before_history then cast(coalesce(rep_sums.other_in, 0) as double) end as other_in,
        case when not windows.is_before_history then cast(coalesce(rep_sums.amount_up, 0) as double) end as amount_up,
        case when not windows.is_before_history then cast(coalesce(rep_sums.amount_down, 0) as double) end
            as amount_down,
        case when not windows.is_before_history then cast(coalesce(rep_sums.won, 0) as double) end as won,
        case when not windows.is_before_history then cast(coalesce(rep_sums.lost, 0) as double) end as lost,
        case when not windows.is_before_history then cast(coalesce(rep_sums.pushed_out, 0) as double) end
            as pushed_out,
        case when not windows.is_before_history then cast(coalesce(rep_sums.other_out, 0) as double) end
            as other_out,
        case when not windows.is_before_history then cast(coalesce(rep_sums.closing_pipeline, 0) as double) end
            as closing_pipeline,
    from spine
    inner join windows on spine.period = windows.period
    left join rep_sums on spine.rep_id = rep_sums.rep_id and spine.period = rep_sums.period
    left join reps on spine.rep_id = reps.rep_id
)

select * from final
