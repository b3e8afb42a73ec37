/*
grain: one row per deal (opportunity_id), with its stage kind and fiscal periods.
dictionary: [opportunity_id, owner_id, account, opportunity_name, stage, stage_kind, stage_order, amount,
  created_date, close_date, forecast_category, next_step, last_activity_date, deal_currency, deal_amount,
  conversion_rate]
columns:
  probability: Stage win probability (0 when not configured).
  weighted_amount: amount × probability.
  is_open: Stage kind is open.
  is_won: Stage kind is won.
  is_lost: Stage kind is lost.
  close_period: Fiscal quarter of close_date.
  created_period: Fiscal quarter of created_date.
  cycle_days: close_date − created_date for won deals; null when negative (bad dates).
*/
with

opportunities as (
    select * from stg_opportunities
),

stages as (
    select * from stg_stages
),

days as (
    select * from int_fiscal_days
),

last_activity as (
    select
        opportunity_id,
        max(activity_date) as last_linked_activity,
    from stg_activities
    where opportunity_id is not null
    group by opportunity_id
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id,
        opportunities.account,
        opportunities.opportunity_name,
        opportunities.stage,
        stages.stage_kind,
        stages.stage_order,
        coalesce(stages.probability, 0) as probability,
        opportunities.amount,
        cast(opportunities.amount as double) * coalesce(stages.probability, 0) as weighted_amount,
        opportunities.created_date,
        opportunities.close_date,
        opportunities.forecast_category,
        opportunities.next_step,
        greatest(opportunities.last_activity_date, last_activity.last_linked_activity) as last_activity_date,
        stages.stage_kind = 'open' as is_open,
        stages.stage_kind = 'won' as is_won,
        stages.stage_kind = 'lost' as is_lost,
        close_q.period as close_period,
        created_q.period as created_period,
        case
            when stages.stage_kind = 'won' and opportunities.close_date >= opportunities.created_date
                then datediff('day', opportunities.created_date, opportunities.close_date)
        end as cycle_days,
        opportunities.deal_currency,
        opportunities.deal_amount,
        opportunities.conversion_rate,
    from opportunities
    inner join stages on opportunities.stage = stages.stage
    left join days as close_q on opportunities.close_date = close_q.day
    left join days as created_q on opportunities.created_date = created_q.day
    left join last_activity on opportunities.opportunity_id = last_activity.opportunity_id
)

select * from final
