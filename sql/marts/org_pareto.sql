/*
grain: one row per fiscal quarter up to the current one (period): how concentrated the organisation's won
  amount is. The top 20% is ceil(0.2 × reps) of the reps with a rep_scorecard row in the quarter, ranked by won
  amount (ties broken by rep_id); int_pareto defines it once for teams and the org.
unique: [period]
columns_from: int_pareto
*/
select * exclude (pareto_level, team)
from int_pareto
where pareto_level = 'org'
