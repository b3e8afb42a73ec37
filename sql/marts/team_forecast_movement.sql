/*
grain: one row per team per roll-up column in the current fiscal quarter (team, period, forecast_column): the
  team rows of int_forecast_movement (the team's reps summed), each column's change over the last full week
  explained by its deals.
unique: [team, period, forecast_column]
columns_from: int_forecast_movement
tests:
  - abs(opening + added + upgraded + downgraded + amount_changed + won + lost + slipped + other - closing) < 0.01
*/
select * exclude (movement_level, rep_id)
from int_forecast_movement
where movement_level = 'team'
