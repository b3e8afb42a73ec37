/*
grain: one row per rep per fiscal quarter (rep_id, period): the pipeline as it stood on the quarter's first day.
columns:
  rep_id: Deal owner (today's owner).
  period: Fiscal quarter.
  open_pipeline_at_start: Sum of amount over deals open on period_start whose close date then fell in the quarter.
  commit_at_start: Same, for deals whose forecast category then was Commit.
  best_case_at_start: Same, for Commit plus Best Case.
*/
with

states as (
    select * from int_opportunity_states
),

quarters as (
    select * from int_fiscal_quarters
),

open_at_start as (
    select
        opportunities.owner_id as rep_id,
        quarters.period,
        states.amount,
        states.forecast_category,
    from quarters
    inner join states
        on
            quarters.period_start >= states.valid_from
            and quarters.period_start < states.valid_to
            and states.close_date between quarters.period_start and quarters.period_end
            and states.stage_kind = 'open'
    inner join stg_opportunities as opportunities on states.opportunity_id = opportunities.opportunity_id
    where quarters.period_start <= getvariable('as_of')
),

final as (
    select
        rep_id,
        period,
        coalesce(sum(amount), 0) as open_pipeline_at_start,
        coalesce(sum(amount) filter (where forecast_category = 'Commit'), 0) as commit_at_start,
        coalesce(sum(amount) filter (where forecast_category in ('Commit', 'Best Case')), 0) as best_case_at_start,
    from open_at_start
    group by rep_id, period
)

select * from final
