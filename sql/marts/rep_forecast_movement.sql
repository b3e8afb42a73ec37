/*
grain: one row per rep per roll-up column in the current fiscal quarter (rep_id, period, forecast_column): the
  rep rows of int_forecast_movement, each column's change over the last full week explained by its deals.
unique: [rep_id, period, forecast_column]
columns_from: int_forecast_movement
tests:
  - abs(opening + added + upgraded + downgraded + amount_changed + won + lost + slipped + other - closing) < 0.01
*/
select * exclude (movement_level)
from int_forecast_movement
where movement_level = 'rep'
