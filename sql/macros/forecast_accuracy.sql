/*
macro: forecast_accuracy(won, forecast)
help: HubSpot's forecast accuracy, max(0, 1 − |won − forecast| ÷ won), as a fraction; 0 when something was
  forecast and nothing won (the forecast was entirely wrong); null (no data) when both are 0, or when the
  forecast or the won amount is not known.
*/
create or replace macro forecast_accuracy(won, forecast) as
case
    when won is null or forecast is null then null
    when won = 0 and forecast = 0 then null
    when won = 0 then 0
    else greatest(0, 1 - abs(amount_difference(won, forecast)) / won)
end;
