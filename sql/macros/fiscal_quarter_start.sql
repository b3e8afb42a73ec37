/*
macro: fiscal_quarter_start(day)
help: The first day of the fiscal quarter that day falls in (fiscal_year_start_month from config), as
  int_fiscal_quarters.period_start gives it: joining on it finds a day's quarter by equality, which is far cheaper
  than `day between period_start and period_end` on a large table.
*/
create or replace macro fiscal_quarter_start(day) as
cast(
    date_trunc('quarter', day - to_months(getvariable('fiscal_start_month') - 1))
    + to_months(getvariable('fiscal_start_month') - 1)
    as date
);
