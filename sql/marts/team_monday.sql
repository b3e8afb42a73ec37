/*
grain: one row per team (team): the figures of the Monday meeting pack, as of as_of: the last 7 days and the
  next 30.
unique: [team]
columns:
  team: Team name.
  won_last_week (money): Amount of the team's deals won in the 7 days to as_of and still won (rep_deal_events'
    standing wins: a deal won, reopened and won again counts once).
  deals_won_last_week: How many.
  slipped_last_week (money): Amount of deals whose close date moved to a later quarter in those 7 days; null (no
    data) when the deal history starts after the first of them (see week_known).
  deals_slipped_last_week: How many; null with slipped_last_week.
  created_last_week (money): Amount of the deals created in those 7 days; null (no data) when the deal history
    starts after the first of them.
  deals_created_last_week: How many; null with created_last_week.
  closing_next_30_days (money): Open amount of the team's deals with a close date in the next 30 days (rep_open_deals).
  deals_closing_next_30_days: How many.
  stuck_deals: The team's stuck deals today (rep_stuck_deals).
  stuck_amount (money): Their amount.
  week_known: The deal history (int_data_coverage.history_starts_on) covers the 7 days, so the slips and new
    deals in them are known; wins are known either way (a won deal's close date says when).
*/
with

teams as (
    select distinct team from int_reps
),

coverage as (
    select history_covers_week as week_known,
    from int_data_coverage
),

week as (
    select
        team,
        coalesce(sum(amount) filter (where event = 'won' and is_standing), 0) as won_last_week,
        count(*) filter (where event = 'won' and is_standing) as deals_won_last_week,
        coalesce(sum(amount) filter (where event = 'pushed_out'), 0) as slipped_last_week,
        count(*) filter (where event = 'pushed_out') as deals_slipped_last_week,
        coalesce(sum(amount) filter (where event = 'created'), 0) as created_last_week,
        count(*) filter (where event = 'created') as deals_created_last_week,
    from rep_deal_events
    where days_ago < 7
    group by team
),

ahead as (
    select
        team,
        coalesce(sum(amount), 0) as closing_next_30_days,
        count(*) as deals_closing_next_30_days,
    from rep_open_deals
    where is_closing_soon
    group by team
),

stuck as (
    select
        team,
        count(*) as stuck_deals,
        coalesce(sum(amount), 0) as stuck_amount,
    from rep_stuck_deals
    group by team
),

final as (
    select
        teams.team,
        coalesce(week.won_last_week, 0) as won_last_week,
        coalesce(week.deals_won_last_week, 0) as deals_won_last_week,
        case when coverage.week_known then coalesce(week.slipped_last_week, 0) end as slipped_last_week,
        case when coverage.week_known then coalesce(week.deals_slipped_last_week, 0) end as deals_slipped_last_week,
        case when coverage.week_known then coalesce(week.created_last_week, 0) end as created_last_week,
        case when coverage.week_known then coalesce(week.deals_created_last_week, 0) end as deals_created_last_week,
        coalesce(ahead.closing_next_30_days, 0) as closing_next_30_days,
        coalesce(ahead.deals_closing_next_30_days, 0) as deals_closing_next_30_days,
        coalesce(stuck.stuck_deals, 0) as stuck_deals,
        coalesce(stuck.stuck_amount, 0) as stuck_amount,
        coverage.week_known,
    from teams
    cross join coverage
    left join week on teams.team = week.team
    left join ahead on teams.team = ahead.team
    left join stuck on teams.team = stuck.team
)

select * from final
