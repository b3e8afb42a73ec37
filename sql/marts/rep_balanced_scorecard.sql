/*
grain: one row per rep per fiscal quarter for the current and the previous quarter (rep_id, period): grades 1-5
  on seven dimensions (int_plan_measures defines each one, its plan and when it is not graded). Each grade
  turns a ratio to plan into 1-5 with grades.cutoffs for the dimension (the grade() macro, compared at
  grades.precision decimals). People who are not graded (no quota, or a role grades.roles leaves out) have
  empty grades.
unique: [rep_id, period]
columns_from: int_balanced_scorecard
columns:
  team: The rep's team today.
tests:
  - overall_grade between 1 and 5
  - results_grade between 1 and 5
  - cycle_grade between 1 and 5
  - graded_dimensions between 0 and 7
*/
select * exclude (scorecard_level)
from int_balanced_scorecard
where scorecard_level = 'rep'
