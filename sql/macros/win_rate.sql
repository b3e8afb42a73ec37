/*
macro: win_rate(won, lost)
help: won ÷ (won + lost): deals (or amounts) won as a share of those closed; null when nothing closed.
*/
create or replace macro win_rate(won, lost) as
won / nullif(won + lost, 0);
