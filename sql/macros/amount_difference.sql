/*
macro: amount_difference(a, b)
help: a − b, and exactly 0 when the two differ by less than a billionth of the larger: amounts are sums of
  doubles, which DuckDB's threads add up in no fixed order, so two sums of the same deals can differ in their
  last bits; without this, a forecast equal to what was won showed a bias of 1e-16 in one build and 0 in the
  next.
*/
create or replace macro amount_difference(a, b) as
case when abs(a - b) <= 1e-9 * greatest(abs(a), abs(b)) then 0 else a - b end;
