/*
grain: one row per rep, per team and for the organisation per roll-up column, current quarter (movement_level,
  rep_id, team, forecast_column): each column's change over the last full week, explained by its deals
  (int_forecast_week_moves summed), so closing = opening + added + upgraded + downgraded + amount_changed + won
  + lost + slipped + other. Movements are signed: what left the column is negative (won is negative in commit
  and positive in closed). No rows when the deal history does not reach back to the week's opening (no data);
  without forecast categories only closed and uncategorized have rows. While the state of one of a rep's deals
  is not known on the week's opening or closing day (int_late_seen_deals: the history leaves it out), the rep's
  figures are null, and so are its team's and the org's: their sums would quietly leave it out.
  rep_forecast_movement, team_forecast_movement and org_forecast_movement read it.
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
  unseen_deals: Deals whose state is not known at the week's opening or at its closing (created by then, first
    known later, not closed before the quarter); every figure above is null while it is above 0. Summed for a
    team and the org.
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

late_seen as (
    select * from int_late_seen_deals
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

unseen as (
    -- deals the history leaves out at the week's opening (the end of the day before week_start) or its closing
    select
        reps.rep_id,
        count(*) as unseen_deals,
    from reps
    inner join weeks on reps.period = weeks.period
    inner join late_seen
        on
            reps.rep_id = late_seen.rep_id
            and coalesce(reps.period_start <= late_seen.close_date, true)
            and (
                unknown_on(weeks.week_start - 1, late_seen.created_date, late_seen.first_known_on)
                or unknown_on(weeks.week_end, late_seen.created_date, late_seen.first_known_on)
            )
    group by reps.rep_id
),

summed as (
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

per_rep as (
    -- a rep's sums over a week in which one of its deals is not known would leave the deal out: no data
    select
        summed.rep_id,
        summed.team,
        summed.period,
        summed.week_start,
        summed.week_end,
        summed.forecast_column,
        coalesce(unseen.unseen_deals, 0) as unseen_deals,
        case
            when unseen.unseen_deals is null
                then columns([
                    'opening', 'added', 'upgraded', 'downgraded', 'amount_changed', 'won', 'lost', 'slipped',
                    'other', 'closing', 'deals_moved'
                ])
        end,
    from summed
    left join unseen on summed.rep_id = unseen.rep_id
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
        case
            when bool_and(unseen_deals = 0)
                then sum(columns([
                    'opening', 'added', 'upgraded', 'downgraded', 'amount_changed', 'won', 'lost', 'slipped',
                    'other', 'closing', 'deals_moved'
                ]))
        end,
        sum(unseen_deals) as unseen_deals,
    from per_rep
    group by grouping sets (
        (rep_id, team, period, forecast_column), (team, period, forecast_column),
        (period, forecast_column)
    )
)

select * from final
