/*
grain: one row per deal open today (opportunity_id), with its owner's team and how long it has gone without
  activity: the deal lists (hygiene, stuck deals) all start here.
dictionary: [opportunity_id, rep_id, team, opportunity_name, account, stage, stage_order, amount, created_date,
  close_date, forecast_category, next_step, last_activity_date, days_since_activity, deal_currency, deal_amount]
*/
with

opportunities as (
    select * from int_opportunities
    where is_open
),

reps as (
    select * from int_reps
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id as rep_id,
        reps.team,
        opportunities.opportunity_name,
        opportunities.account,
        opportunities.stage,
        opportunities.stage_order,
        cast(opportunities.amount as double) as amount,
        opportunities.created_date,
        opportunities.close_date,
        opportunities.forecast_category,
        opportunities.next_step,
        opportunities.last_activity_date,
        -- an activity dated after as_of (a meeting already scheduled; Salesforce's LastActivityDate is the
        -- furthest one) is as recent as as_of: 0 days, not a negative count
        case
            when opportunities.last_activity_date > getvariable('as_of') then 0
            else datediff(
                'day', coalesce(opportunities.last_activity_date, opportunities.created_date), getvariable('as_of')
            )
        end as days_since_activity,
        opportunities.deal_currency,
        cast(opportunities.deal_amount as double) as deal_amount,
    from opportunities
    left join reps on opportunities.owner_id = reps.rep_id
)

select * from final
