/*
macro: unknown_on(day, created_date, first_known_on)
help: Whether a deal's state at the end of `day` is not known: it existed by then (created on or before it, or
  with no created date) and its first known state starts later (int_late_seen_deals). Sums of deals on such a
  day would leave it out.
*/
create or replace macro unknown_on(day, created_date, first_known_on) as
coalesce(created_date <= day, true) and first_known_on > day;
