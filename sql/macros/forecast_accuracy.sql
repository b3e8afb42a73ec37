/*
macro: forecast_accuracy(won, forecast)
help: HubSpot's forecast accuracy, max(0, 1 − |won − forecast| ÷ won); null when nothing was won or the forecast
  is not known.
*/
create or replace macro forecast_accuracy(won, forecast) as
case when won <> 0 and forecast is not null then greatest(0, 1 - abs(won - forecast) / won) end;
