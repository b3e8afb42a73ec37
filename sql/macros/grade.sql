/*
macro: grade(ratio, cutoffs)
help: The 1-5 grade of a ratio to plan: 1 + the number of the four ascending cut-offs it reaches, compared at
  grades.precision decimals so a ratio exactly at a cut-off lands on it (2.4 ÷ 3 reaches 0.8); null when the
  ratio is null.
*/
create or replace macro grade(ratio, cutoffs) as
case
    when ratio is not null
        then 1 + len(list_filter(cutoffs, lambda c: round(ratio, getvariable('grade_precision')) >= c))
end;
