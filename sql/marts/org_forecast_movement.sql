/*
grain: one row per roll-up column for the organisation in the current fiscal quarter (period, forecast_column):
  the org row of int_forecast_movement, each column's change over the last full week explained by its deals.
unique: [period, forecast_column]
columns_from: int_forecast_movement
tests:
  - abs(opening + added + upgraded + downgraded + amount_changed + won + lost + slipped + other - closing) < 0.01
*/
select * exclude (movement_level, rep_id, team)
from int_forecast_movement
where movement_level = 'org'
