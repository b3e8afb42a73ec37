/*
grain: one row per rep per fiscal quarter in which the rep closed or had open deals (rep_id, period).
  Deals count in the quarter of their close_date.
columns:
  rep_id: Deal owner.
  period: Fiscal quarter of close_date.
  won_amount: Sum of amount over won deals (those without an amount add nothing: see won_deals_without_amount).
  lost_amount: Sum of amount over lost deals.
  deals_won: Count of won deals.
  deals_lost: Count of lost deals.
  cycle_days_sum: Sum of cycle_days over won deals with valid dates.
  cycle_deals: Won deals with valid dates (the cycle-time denominator).
  open_pipeline_now: Sum of amount over deals open today whose close_date is in the quarter.
  weighted_pipeline_now: Sum of amount × stage probability over the same deals.
  open_deals_now: Count of the same deals.
  won_deals_without_amount: Won deals without an amount (counted in deals_won, not in won_amount).
  lost_deals_without_amount: Lost deals without a value (empty or 0).
*/
with

opportunities as (
    select * from int_opportunities
),

final as (
    select
        owner_id as rep_id,
        close_period as period,
        coalesce(sum(amount) filter (where is_won), 0) as won_amount,
        coalesce(sum(amount) filter (where is_lost), 0) as lost_amount,
        count(*) filter (where is_won) as deals_won,
        count(*) filter (where is_lost) as deals_lost,
        coalesce(sum(cycle_days), 0) as cycle_days_sum,
        count(cycle_days) as cycle_deals,
        coalesce(sum(amount) filter (where is_open), 0) as open_pipeline_now,
        coalesce(sum(weighted_amount) filter (where is_open), 0) as weighted_pipeline_now,
        count(*) filter (where is_open) as open_deals_now,
        count(*) filter (where is_won and amount is null) as won_deals_without_amount,
        count(*) filter (where is_lost and coalesce(amount, 0) = 0) as lost_deals_without_amount,
    from opportunities
    where close_period is not null
    group by owner_id, close_period
)

select * from final
