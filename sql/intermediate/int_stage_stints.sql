/*
grain: one row per deal per uninterrupted stay in one stage (opportunity_id, stint_number): consecutive
  states of int_opportunity_states with the same stage are merged, so an amount or close-date change does
  not restart the clock.
columns:
  opportunity_id: The deal.
  stint_number: 1 for the deal's first stage, 2 for the next, ... (a deal that goes back to an earlier
    stage gets a new stint for it).
  stage: Stage held during the stint.
  stage_kind: open, won or lost (null for a stage not in config).
  stage_order: Position of the stage in the configured order.
  entered_on: Day the deal entered the stage (its created_date for the first stint); null (unknown) for the stage
    a deal was in when first seen without being created then (int_opportunity_states.is_created): when it got
    there is before the history starts.
  left_on: Day the deal moved to another stage; null while it is still in the stage.
  days_in_stage: left_on − entered_on, or as_of − entered_on for the current stint; null when entered_on is.
  is_current: True for the stage the deal is in today.
  reached_later_stage: For an open stage: whether the deal later reached an open stage further down the
    configured order or a won stage (stages can be skipped); null for closed stages.
*/
with

states as (
    select * from int_opportunity_states
),

stages as (
    select * from stg_stages
),

stint_starts as (
    select
        opportunity_id,
        valid_from,
        stage,
        stage_kind,
        state_number = 1 and not is_created as is_first_seen,
    from states
    where previous_stage is distinct from stage
),

with_progress as (
    select
        stint_starts.opportunity_id,
        stint_starts.stage,
        stint_starts.stage_kind,
        stages.stage_order,
        case when not stint_starts.is_first_seen then stint_starts.valid_from end as entered_on,
        row_number() over w as stint_number,
        lead(stint_starts.valid_from) over w as left_on,
        -- how far down the funnel the deal got after this stint: won beats every open stage
        max(
            case
                when stint_starts.stage_kind = 'won' then 1000000
                when stint_starts.stage_kind = 'open' then stages.stage_order
            end
        ) over (w rows between 1 following and unbounded following) as furthest_later_order,
    from stint_starts
    left join stages on stint_starts.stage = stages.stage
    window w as (partition by stint_starts.opportunity_id order by stint_starts.valid_from)
),

final as (
    select
        opportunity_id,
        cast(stint_number as integer) as stint_number,
        stage,
        stage_kind,
        stage_order,
        entered_on,
        left_on,
        datediff('day', entered_on, coalesce(left_on, getvariable('as_of'))) as days_in_stage,
        left_on is null as is_current,
        case
            when stage_kind = 'open' then coalesce(furthest_later_order > stage_order, false)
        end as reached_later_stage,
    from with_progress
)

select * from final
