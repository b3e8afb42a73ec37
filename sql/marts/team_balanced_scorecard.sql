/*
grain: one row per team per fiscal quarter for the current and the previous quarter (team, period): the
  balanced scorecard of the team as a whole, on the team's sums and its active reps' mean targets
  (int_plan_measures), graded like a rep's. A manager's page shows it beside their own selling.
unique: [team, period]
columns_from: int_balanced_scorecard
columns:
  team: Team name.
tests:
  - overall_grade between 1 and 5
*/
select * exclude (scorecard_level, rep_id)
from int_balanced_scorecard
where scorecard_level = 'team'
