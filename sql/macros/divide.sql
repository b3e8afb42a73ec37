/*
macro: divide(numerator, denominator)
help: numerator ÷ denominator; null (no data) when the denominator is 0 or null, never an error or infinity.
*/
create or replace macro divide(numerator, denominator) as
numerator / nullif(denominator, 0);
