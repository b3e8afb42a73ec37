/*
macro: gap_to_quota(quota, won)
help: quota − won, floored at 0; null without a quota.
*/
create or replace macro gap_to_quota(quota, won) as
case when quota is not null then greatest(quota - won, 0) end;
