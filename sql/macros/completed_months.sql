/*
macro: completed_months(from_day, to_day)
help: Whole months from from_day to to_day, as a calendar counts them (and as dateutil's relativedelta does): 31
  January to 28 February is 0 months, 31 January to 31 March is 2; null when either day is unknown.
*/
create or replace macro completed_months(from_day, to_day) as
12 * (year(to_day) - year(from_day))
+ month(to_day) - month(from_day)
- case when day(to_day) < day(from_day) then 1 else 0 end;
