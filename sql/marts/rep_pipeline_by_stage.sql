/*
grain: one row per rep per open stage holding deals today (rep_id, stage).
unique: [rep_id, stage]
columns:
  rep_id: Deal owner.
  stage: Open stage.
  stage_order: Position of the stage in the configured order.
  open_deals: Deals open in the stage today.
  open_amount (money): Sum of their amount (missing amounts count 0).
  weighted_amount (money): Sum of amount × stage probability.
*/
select
    owner_id as rep_id,
    stage,
    any_value(stage_order) as stage_order,
    count(*) as open_deals,
    cast(coalesce(sum(amount), 0) as double) as open_amount,
    coalesce(sum(weighted_amount), 0) as weighted_amount,
from int_opportunities
where is_open
group by owner_id, stage
