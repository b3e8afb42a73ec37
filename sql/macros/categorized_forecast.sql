/*
macro: categorized_forecast(has_forecast_category, commit, best_case, pipeline, omitted, uncategorized)
help: The open roll-up columns as a struct {commit, best_case, pipeline, omitted, uncategorized}, shown as the
  export allows: as given when it has forecast categories; otherwise commit, best_case, pipeline and omitted are
  null (no data) and uncategorized holds all five. Expand it into columns with unnest(categorized_forecast(…)).
*/
create or replace macro categorized_forecast(has_forecast_category, commit, best_case, pipeline, omitted, uncategorized)
as
case
    when has_forecast_category
        then {
            'commit': commit, 'best_case': best_case, 'pipeline': pipeline, 'omitted': omitted,
            'uncategorized': uncategorized
        }
    else {
        'commit': null, 'best_case': null, 'pipeline': null, 'omitted': null,
        'uncategorized': uncategorized + commit + best_case + pipeline + omitted
    }
end;
