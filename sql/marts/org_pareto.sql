/*
grain: one row per fiscal quarter up to the current one (period): how concentrated the organisation's won
  amount is. The top 20% is ceil(0.2 × reps) of the reps with a rep_scorecard row in the quarter, ranked by won
  amount (ties broken by rep_id); int_pareto defines it once for teams and the org.
unique: [period]
dictionary: [period, is_current, reps]
columns:
  top_reps: ceil(0.2 × reps).
  won_amount: Won amount of all reps.
  top_won_amount: Won amount of the top_reps reps with the most won.
  top_share: top_won_amount ÷ won_amount; null when nothing was won.
*/
with

pareto as (
    select * from int_pareto
    where pareto_level = 'org'
),

final as (
    select * exclude (pareto_level, team) from pareto
)

select * from final
