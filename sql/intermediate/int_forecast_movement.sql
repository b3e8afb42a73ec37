/*
grain: one row per rep, per team and for the organisation per roll-up column, current quarter (movement_level,
  rep_id, team, forecast_column): each column's change over the last full week, explained by its deals
  (int_forecast_week_moves summed), so closing = opening + added + upgraded + downgraded + amount_changed + won
  + lost + slipped + other. Movements are signed: what left the column is negative (won is negative in commit
  and positive in closed). No rows when the deal history does not reach back to the week's opening (no data);
  without forecast categories only closed and uncategorized have rows. rep_forecast_movement,
  team_forecast_movement and org_forecast_movement read it.
dictionary: [period, week_start, week_end]
columns:
  movement_level: rep, team or org.
  rep_id: The rep (null on team and org rows).
  team: The team (the rep's team today on rep rows); null on the org row.
  forecast_column: closed, commit, best_case, pipeline, omitted or uncategorized (the roll-up columns).
  opening: The column's amount at the end of the day before week_start.
  added: Deals that entered the column from outside the quarter's forecast (created, pulled in).
  upgraded: Deals that moved up the ladder into the column (positive) or out of it (negative).
  downgraded: Deals that moved down the ladder into the column (positive) or out of it (negative).
  amount_changed: Amount changes of deals that stayed in the column.
  won: Deals won: negative in the open column they left, positive in closed.
  lost: Deals lost (negative).
  slipped: Deals whose close date moved after the quarter while open (negative).
  other: Any other way in or out (a close date moved before the quarter, a deal closed outside it, reopened).
  closing: The column's amount at the end of week_end.
  deals_moved: Deals whose row is not unchanged.
tests:
  - abs(opening + added + upgraded + downgraded + amount_changed + won + lost + slipped + other - closing) < 0.01
*/
with

moves as (
    select * from int_forecast_week_moves
),

reps as (
    select * from int_rep_quarters
    where is_current
),

coverage as (
    select * from int_data_coverage
),

weeks as (
    select
        period,
        any_value(week_start) as week_start,
        any_value(week_end) as week_end,
    from int_forecast_days
    where is_week_opening or is_week_closing
    group by period
    having count(*) filter (where is_week_opening) > 0
),

spine as (
    select
        reps.rep_id,
        reps.team,
        reps.period,
        weeks.week_start,
        weeks.week_end,
        columns.forecast_column,
    from reps
    inner join weeks on reps.period = weeks.period
    cross join coverage
    cross join (
        values ('closed'), ('commit'), ('best_case'), ('pipeline'), ('omitted'), ('uncategorized')
    ) as columns (forecast_column)
    where coverage.has_forecast_category or columns.forecast_column in ('closed', 'uncategorized')
),

per_rep as (
    select
        spine.*,
        coalesce(sum(moves.opening_amount), 0) as opening,
        coalesce(sum(moves.change) filter (where moves.movement = 'added'), 0) as added,
        coalesce(sum(moves.change) filter (where moves.movement = 'upgraded'), 0) as upgraded,
        coalesce(sum(moves.change) filter (where moves.movement = 'downgraded'), 0) as downgraded,
        coalesce(sum(moves.change) filter (where moves.movement = 'amount_changed'), 0) as amount_changed,
        coalesce(sum(moves.change) filter (where moves.movement = 'won'), 0) as won,
        coalesce(sum(moves.change) filter (where moves.movement = 'lost'), 0) as lost,
        coalesce(sum(moves.change) filter (where moves.movement = 'slipped'), 0) as slipped,
        coalesce(sum(moves.change) filter (where moves.movement = 'other'), 0) as other,
        coalesce(sum(moves.closing_amount), 0) as closing,
        count(moves.opportunity_id) filter (where moves.movement <> 'unchanged') as deals_moved,
    from spine
    left join moves on spine.rep_id = moves.rep_id and spine.forecast_column = moves.forecast_column
    group by all
),

final as (
    select
        rollup_level(grouping(rep_id), grouping(team)) as movement_level,
        rep_id,
        team,
        period,
        any_value(week_start) as week_start,
        any_value(week_end) as week_end,
        forecast_column,
        sum(opening) as opening,
        sum(added) as added,
        sum(upgraded) as upgraded,
        sum(downgraded) as downgraded,
        sum(amount_changed) as amount_changed,
        sum(won) as won,
        sum(lost) as lost,
        sum(slipped) as slipped,
        sum(other) as other,
        sum(closing) as closing,
        sum(deals_moved) as deals_moved,
    from per_rep
    group by grouping sets (
        (rep_id, team, period, forecast_column), (team, period, forecast_column),
        (period, forecast_column)
    )
)

select * from final
