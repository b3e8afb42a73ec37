/*
macro: last_full_week_start(day)
help: The Monday of the last full week (Monday to Sunday) that has ended by the end of day: day's own week when
  day is a Sunday, else the week before.
*/
create or replace macro last_full_week_start(day) as
cast(
    date_trunc('week', day)
    - case when isodow(day) = 7 then interval 0 day else interval 7 day end
    as date
);
