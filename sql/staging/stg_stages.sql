/*
grain: one row per configured stage (stage).
columns:
  stage: Stage name as the CRM writes it.
  stage_kind: open, won or lost.
  probability: Win probability 0-1 (config); open stages without one count 0 in the weighted pipeline.
  stage_order: Position in the configured order (1 = earliest).
*/
with

source as (
    select * from raw_stages
),

final as (
    select
        stage,
        kind as stage_kind,
        probability,
        stage_order,
    from source
)

select * from final
