/*
macro: rollup_level(rep_rolled_up, team_rolled_up)
help: Which row of a rep → team → organisation roll-up a grouped row is: rep, team or org. Called in a query
  grouped by grouping sets ((rep_id, team, …), (team, …), (…)) as rollup_level(grouping(rep_id), grouping(team)).
*/
create or replace macro rollup_level(rep_rolled_up, team_rolled_up) as
case
    when team_rolled_up = 1 then 'org'
    when rep_rolled_up = 1 then 'team'
    else 'rep'
end;
