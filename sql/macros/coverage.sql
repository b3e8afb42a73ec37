/*
macro: coverage(pipeline, quota, won, is_current)
help: Pipeline coverage: pipeline ÷ the quota still to close; in the current quarter that is quota − won (null
  once the quota is met), in other quarters the whole quota; null without a quota.
*/
create or replace macro coverage(pipeline, quota, won, is_current) as
case
    when is_current and quota > won then pipeline / (quota - won)
    when not is_current and quota > 0 then pipeline / quota
end;
