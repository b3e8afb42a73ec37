/*
grain: one row per deal in a fiscal quarter's opening pipeline (opportunity_id, period): open at the end of the
  day before the quarter's first day, with its close date then inside the quarter, for quarters that have
  started. A deal created on the quarter's first day is not in it (the waterfall counts it as created).
  Coverage of closed quarters, the forecast at the quarter's start and the waterfall's opening all read this
  model, so "pipeline at quarter start" has one definition.
dictionary: [opportunity_id, period, forecast_category]
columns:
  rep_id: The deal's owner today.
  amount: The deal's amount then (null when it had none).
*/
with

states as (
    select * from int_opportunity_states
),

quarters as (
    select * from int_fiscal_quarters
    where period_start <= getvariable('as_of')
),

opportunities as (
    select * from stg_opportunities
),

final as (
    select
        states.opportunity_id,
        quarters.period,
        states.forecast_category,
        opportunities.owner_id as rep_id,
        cast(states.amount as double) as amount,
    from quarters
    inner join states
        on
            quarters.period_start > states.valid_from
            and quarters.period_start <= states.valid_to
            and states.close_date between quarters.period_start and quarters.period_end
            and states.stage_kind = 'open'
    inner join opportunities on states.opportunity_id = opportunities.opportunity_id
)

select * from final
