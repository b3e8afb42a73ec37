/*
grain: one row per deal per roll-up column it was in at the opening or the closing of the last full week
  (opportunity_id, forecast_column), current quarter: how the deal moved the roll-up over the week, from
  int_opportunity_states (deal history or snapshots) at the end of the day before the week (opening) and at the
  end of its Sunday (closing; the days are in int_forecast_days). No rows when the deal history does not reach
  back to the opening (no data). A deal that changed column has two rows: it leaves one and enters the other.
  movement (per row, so each column adds up: closing = opening + the changes):
  unchanged / amount_changed: in the same column at both ends (amount_changed when its amount moved);
  added: entered an open column from outside the quarter's forecast (created, pulled into the quarter, a stage
  becoming a configured open one); won: moved to closed (negative in the column it left, positive in closed);
  upgraded / downgraded: moved between open columns up or down the ladder uncategorized < omitted < pipeline <
  best_case < commit (negative where it left, positive where it arrived); lost: lost; slipped: still open with a
  close date after the quarter; other: any other way out (close date moved before the quarter, closed with a
  date outside it, a won deal reopened).
dictionary: [opportunity_id, rep_id, team, period, week_start, week_end, opportunity_name, account]
columns:
  forecast_column: The roll-up column the row is about: closed, commit, best_case, pipeline, omitted or
    uncategorized.
  movement: unchanged, amount_changed, added, won, upgraded, downgraded, lost, slipped or other (see above).
  opening_amount (money): The deal's amount in this column at the opening (0 when it was not in the column).
  closing_amount (money): The deal's amount in this column at the closing (0 when it is not in the column).
  change: closing_amount − opening_amount.
  from_column: The column the deal was in at the opening (null: not in the quarter's forecast).
  to_column: The column the deal is in at the closing (null: not in the quarter's forecast).
*/
with

days as (
    select * from int_forecast_days
    where is_week_opening or is_week_closing
),

windows as (
    select
        period,
        any_value(period_start) as period_start,
        any_value(period_end) as period_end,
        any_value(week_start) as week_start,
        any_value(week_end) as week_end,
        max(snapshot_day) filter (where is_week_opening) as opening_day,
        max(snapshot_day) filter (where is_week_closing) as closing_day,
    from days
    group by period
    having opening_day is not null and closing_day is not null
),

ends as (
    select
        states.opportunity_id,
        windows.period,
        windows.period_end,
        windows.week_start,
        windows.week_end,
        case when windows.opening_day >= states.valid_from and windows.opening_day < states.valid_to then 1 end
            as at_opening,
        case when windows.closing_day >= states.valid_from and windows.closing_day < states.valid_to then 1 end
            as at_closing,
        case
            when states.close_date between windows.period_start and windows.period_end
                then forecast_bucket(states.stage_kind, states.forecast_category)
        end as forecast_column,
        coalesce(cast(states.amount as double), 0) as amount,
        states.stage_kind,
        states.close_date,
    from windows
    inner join int_opportunity_states as states
        on
            (windows.opening_day >= states.valid_from and windows.opening_day < states.valid_to)
            or (windows.closing_day >= states.valid_from and windows.closing_day < states.valid_to)
),

paired as (
    select
        opportunity_id,
        any_value(period) as period,
        any_value(period_end) as period_end,
        any_value(week_start) as week_start,
        any_value(week_end) as week_end,
        max(forecast_column) filter (where at_opening = 1) as from_column,
        max(amount) filter (where at_opening = 1) as opening_amount,
        max(forecast_column) filter (where at_closing = 1) as to_column,
        max(amount) filter (where at_closing = 1) as closing_amount,
        max(stage_kind) filter (where at_closing = 1) as closing_kind,
        max(close_date) filter (where at_closing = 1) as closing_close_date,
    from ends
    group by opportunity_id
    having from_column is not null or to_column is not null
),

ranked as (
    select
        *,
        list_position(['uncategorized', 'omitted', 'pipeline', 'best_case', 'commit'], from_column) as from_rank,
        list_position(['uncategorized', 'omitted', 'pipeline', 'best_case', 'commit'], to_column) as to_rank,
        case
            when from_column = to_column
                then
                    case when opening_amount = closing_amount then 'unchanged' else 'amount_changed' end
            when from_column is null then case when to_column = 'closed' then 'won' else 'added' end
            when from_column = 'closed' then 'other'
            when to_column = 'closed' then 'won'
            when to_column is not null then case when to_rank > from_rank then 'upgraded' else 'downgraded' end
            when closing_kind = 'lost' then 'lost'
            when closing_kind = 'open' and closing_close_date > period_end then 'slipped'
            else 'other'
        end as movement,
    from paired
),

rows as (
    select
        *,
        from_column as forecast_column,
    from ranked
    where from_column is not null
    union all
    select
        *,
        to_column as forecast_column,
    from ranked
    where to_column is not null and to_column is distinct from from_column
),

final as (
    select
        rows.opportunity_id,
        opportunities.owner_id as rep_id,
        reps.team,
        rows.period,
        rows.week_start,
        rows.week_end,
        opportunities.opportunity_name,
        opportunities.account,
        rows.forecast_column,
        rows.movement,
        case when rows.forecast_column = rows.from_column then rows.opening_amount else 0 end as opening_amount,
        case when rows.forecast_column = rows.to_column then rows.closing_amount else 0 end as closing_amount,
        (case when rows.forecast_column = rows.to_column then rows.closing_amount else 0 end)
        - (case when rows.forecast_column = rows.from_column then rows.opening_amount else 0 end) as change,
        rows.from_column,
        rows.to_column,
    from rows
    inner join stg_opportunities as opportunities on rows.opportunity_id = opportunities.opportunity_id
    left join int_reps as reps on opportunities.owner_id = reps.rep_id
)

select * from final
