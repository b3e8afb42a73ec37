/*
grain: one row per rep (rep_id): sales velocity today, from the last four closed fiscal quarters.
  velocity = qualified open deals × average deal size × win rate ÷ average cycle days, in amount per day
  (the common definition; see shared crm-extracts.md). Qualified = open today in any stage after the first
  open stage of the configured order.
unique: [rep_id]
dictionary: [velocity_per_day]
columns:
  rep_id: The rep.
  team: The rep's team today.
  qualified_open_deals: Deals open today past the first open stage.
  deals_won: Won deals in the last four closed quarters.
  deals_lost: Lost deals in the last four closed quarters.
  win_rate (ratio): deals_won ÷ (deals_won + deals_lost) over those quarters.
  avg_deal_size (money): Mean amount of those won deals that have one (avg_deal_size of rep_scorecard, over the
    four quarters: won deals without an amount are left out, not counted as 0).
  avg_cycle_days (days): Mean close_date − created_date over those won deals.
  velocity_per_quarter (money): velocity_per_day × 91.
tests:
  - velocity_per_day >= 0
  - win_rate between 0 and 1
*/
with

opportunities as (
    select * from int_opportunities
),

reps as (
    select * from int_reps
),

quarters as (
    select * from int_fiscal_quarters
),

first_open_stage as (
    select min(stage_order) as stage_order from stg_stages
    where stage_kind = 'open'
),

window_start as (
    select min(period_start) as first_day
    from (
        select period_start from quarters
        where is_closed
        order by period_start desc limit 4
    ) as last_four
),

closed as (
    select
        owner_id as rep_id,
        count(*) filter (where is_won) as deals_won,
        count(*) filter (where is_lost) as deals_lost,
        sum(amount) filter (where is_won) / nullif(count(amount) filter (where is_won), 0) as avg_deal_size,
        avg(cycle_days) as avg_cycle_days,
    from opportunities
    where
        (is_won or is_lost)
        and close_date >= (select window_start.first_day from window_start)
        and close_date < (
            select min(quarters.period_start) from quarters
            where not quarters.is_closed
        )
    group by owner_id
),

qualified as (
    select
        owner_id as rep_id,
        count(*) as qualified_open_deals,
    from opportunities
    where is_open and stage_order > (select first_open_stage.stage_order from first_open_stage)
    group by owner_id
),

final as (
    select
        reps.rep_id,
        reps.team,
        coalesce(qualified.qualified_open_deals, 0) as qualified_open_deals,
        coalesce(closed.deals_won, 0) as deals_won,
        coalesce(closed.deals_lost, 0) as deals_lost,
        win_rate(closed.deals_won, closed.deals_lost) as win_rate,
        closed.avg_deal_size,
        closed.avg_cycle_days,
        divide(
            nullif(qualified.qualified_open_deals, 0) * closed.avg_deal_size
            * win_rate(closed.deals_won, closed.deals_lost),
            closed.avg_cycle_days
        ) as velocity_per_day,
        velocity_per_day * 91 as velocity_per_quarter,
    from reps
    left join closed on reps.rep_id = closed.rep_id
    left join qualified on reps.rep_id = qualified.rep_id
)

select * from final
