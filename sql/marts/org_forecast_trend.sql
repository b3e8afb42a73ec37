/*
grain: one row per trend day of the current fiscal quarter for the organisation (snapshot_day): each roll-up
  column at the end of the day before the quarter, of each Sunday in it and of as_of, for the trend line.
unique: [snapshot_day]
columns_from: int_forecast_trend
*/
select * exclude (trend_level, rep_id, team)
from int_forecast_trend
where trend_level = 'org'
