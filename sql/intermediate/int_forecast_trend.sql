/*
grain: one row per rep, per team and for the organisation per trend day of the current quarter (trend_level,
  rep_id, team, snapshot_day): each roll-up column at the end of the day before the quarter began, of each
  Sunday in it and of as_of (int_forecast_snapshots), for the trend line. Days before the deal history starts
  have no rows (no data). On a day the state of one of a rep's deals is not known (int_late_seen_deals: the
  history leaves it out), the rep's columns are null, and so are its team's and the org's: their sums would
  quietly leave it out. team_forecast_trend and org_forecast_trend read it.
dictionary: [period, reps]
columns:
  trend_level: rep, team or org.
  rep_id: The rep (null on team and org rows).
  team: The team (the rep's team today on rep rows); null on the org row.
  snapshot_day: The day whose end the roll-up is taken at.
  closed: Won deals with a close date in the quarter, by that day.
  commit: Open deals in Commit closing in the quarter that day; null without forecast categories.
  best_case: Open deals in Best Case closing in the quarter that day; null without forecast categories.
  pipeline: Open deals in Pipeline closing in the quarter that day; null without forecast categories.
  omitted: Open deals in Omitted closing in the quarter that day; null without forecast categories.
  uncategorized: Open deals with no forecast category closing in the quarter that day.
  unseen_deals: Deals whose state that day is not known (created by then, first known later, not closed before
    the quarter); the roll-up columns are null while it is above 0. Summed for a team and the org.
*/
with

snapshots as (
    select * from int_forecast_snapshots
    where is_trend_day
),

days as (
    select * from int_forecast_days
    where is_trend_day
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

unseen as (
    select
        reps.rep_id,
        days.snapshot_day,
        count(*) as unseen_deals,
    from reps
    inner join days on reps.period = days.period
    inner join late_seen
        on
            reps.rep_id = late_seen.rep_id
            and unknown_on(days.snapshot_day, late_seen.created_date, late_seen.first_known_on)
            and coalesce(reps.period_start <= late_seen.close_date, true)
    group by all
),

per_rep as (
    select
        reps.rep_id,
        reps.team,
        reps.period,
        days.snapshot_day,
        coalesce(sum(snapshots.amount) filter (where snapshots.forecast_column = 'closed'), 0) as closed,
        coalesce(sum(snapshots.amount) filter (where snapshots.forecast_column = 'commit'), 0) as commit,
        coalesce(sum(snapshots.amount) filter (where snapshots.forecast_column = 'best_case'), 0) as best_case,
        coalesce(sum(snapshots.amount) filter (where snapshots.forecast_column = 'pipeline'), 0) as pipeline,
        coalesce(sum(snapshots.amount) filter (where snapshots.forecast_column = 'omitted'), 0) as omitted,
        coalesce(sum(snapshots.amount) filter (where snapshots.forecast_column = 'uncategorized'), 0)
            as uncategorized,
    from reps
    inner join days on reps.period = days.period
    left join snapshots
        on
            reps.rep_id = snapshots.rep_id
            and days.period = snapshots.period
            and days.snapshot_day = snapshots.snapshot_day
    group by all
),

known as (
    -- a rep's sums on a day when one of its deals is not known would leave the deal out: no data
    select
        per_rep.rep_id,
        per_rep.team,
        per_rep.period,
        per_rep.snapshot_day,
        coalesce(unseen.unseen_deals, 0) as unseen_deals,
        case
            when unseen.unseen_deals is null
                then columns(['closed', 'commit', 'best_case', 'pipeline', 'omitted', 'uncategorized'])
        end,
    from per_rep
    left join unseen on per_rep.rep_id = unseen.rep_id and per_rep.snapshot_day = unseen.snapshot_day
),

sums as (
    select
        rollup_level(grouping(rep_id), grouping(team)) as trend_level,
        rep_id,
        team,
        period,
        snapshot_day,
        count(*) as reps,
        sum(unseen_deals) as unseen_deals,
        case
            when bool_and(unseen_deals = 0)
                then sum(columns(['closed', 'commit', 'best_case', 'pipeline', 'omitted', 'uncategorized']))
        end,
    from known
    group by grouping sets (
        (rep_id, team, period, snapshot_day), (team, period, snapshot_day),
        (period, snapshot_day)
    )
),

categorized as (
    select
        sums.*,
        categorized_forecast(
            coverage.has_forecast_category, sums.commit, sums.best_case, sums.pipeline, sums.omitted, sums.uncategorized
        ) as forecast,
    from sums
    cross join coverage
),

final as (
    select
        * exclude (commit, best_case, pipeline, omitted, uncategorized, forecast),
        forecast.*,
    from categorized
)

select * from final
