/*
macro: quota_to_close(quota, won, is_current)
help: What pipeline coverage divides by: in the current quarter the quota not yet won (quota − won, floored at
  0: a met quota needs no more pipeline), in other quarters the whole quota; null without a quota.
*/
create or replace macro quota_to_close(quota, won, is_current) as
-- greatest() skips a null argument: without the first branch, no quota (or no won figure) would read as 0.
case when quota is null or won is null then null when is_current then greatest(quota - won, 0) else quota end;
