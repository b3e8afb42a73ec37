/*
grain: one row per deal per roll-up column it moved in or out of over the last full week, current quarter
  (opportunity_id, forecast_column): the deals that explain the week-over-week movement (int_forecast_week_moves,
  unchanged deals left out). A deal that changed column has a row for each.
unique: [opportunity_id, forecast_column]
columns_from: int_forecast_week_moves
*/
select *
from int_forecast_week_moves
where movement <> 'unchanged'
