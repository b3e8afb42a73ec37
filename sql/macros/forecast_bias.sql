/*
macro: forecast_bias(won, forecast)
help: (forecast − won) ÷ won, as a fraction: below 0 called under what was won (sandbagging), above 0 over it;
  null (no data) when nothing was won or the forecast is not known.
*/
create or replace macro forecast_bias(won, forecast) as
amount_difference(forecast, won) / nullif(won, 0);
