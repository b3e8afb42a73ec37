/*
macro: forecast_category(value)
help: The forecast category a CRM value stands for: Pipeline, Best Case, Commit, Closed or Omitted, compared
  without case, spaces or punctuation (BEST_CASE and bestcase are Best Case), with forecast.categories mapping
  any other spelling (Salesforce's Forecast is Commit); the value itself when it maps to none, which the build
  refuses before the models run (pipelines/forecast.py).
*/
create or replace macro forecast_category(value) as
coalesce(getvariable('forecast_categories')[lower(regexp_replace(value, '[^\p{L}\p{N}]', '', 'g'))], value);
