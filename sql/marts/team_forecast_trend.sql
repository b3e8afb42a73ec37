/*
grain: one row per team per trend day of the current fiscal quarter (team, snapshot_day): each roll-up column at
  the end of the day before the quarter, of each Sunday in it and of as_of, for the trend line.
unique: [team, snapshot_day]
columns_from: int_forecast_trend
columns:
  team: Team name.
*/
select * exclude (trend_level, rep_id)
from int_forecast_trend
where trend_level = 'team'
