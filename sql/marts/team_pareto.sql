/*
grain: one row per team per fiscal quarter up to the current one (team, period): how concentrated the team's
  won amount is, by the same definition as org_pareto (int_pareto) over the team's reps.
unique: [team, period]
columns_from: int_pareto
columns:
  team: Team name.
*/
select * exclude (pareto_level)
from int_pareto
where pareto_level = 'team'
