/*
grain: one row per team per fiscal quarter up to the current one (team, period): how concentrated the team's
  won amount is, by the same definition as org_pareto (int_pareto) over the team's reps.
unique: [team, period]
dictionary: [period, is_current, reps]
columns:
  team: Team name.
  top_reps: ceil(0.2 × reps), at least one.
  won_amount: Won amount of the team's reps.
  top_won_amount: Won amount of the top_reps reps with the most won.
  top_share: top_won_amount ÷ won_amount; null when nothing was won.
*/
with

pareto as (
    select * from int_pareto
    where pareto_level = 'team'
),

final as (
    select * exclude (pareto_level) from pareto
)

select * from final
