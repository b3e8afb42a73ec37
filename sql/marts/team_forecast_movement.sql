/*
grain: one row per team per roll-up column in the current fiscal quarter (team, period, forecast_column), the
  team's reps summed:
  how each column changed over the last full week, explained by its deals: closing = opening + added + upgraded
  + downgraded + amount_changed + won + lost + slipped + other (signed; see int_forecast_movement). No rows when
  the deal history does not reach back to the week's opening.
unique: [team, period, forecast_column]
columns_from: int_forecast_movement
tests:
  - abs(opening + added + upgraded + downgraded + amount_changed + won + lost + slipped + other - closing) < 0.01
*/
select * exclude (movement_level, rep_id)
from int_forecast_movement
where movement_level = 'team'
