/*
grain: one row per team per fiscal quarter up to the current one (team, period): how much of the team's won
  amount the team's manager closed personally. The team manager is the manager_id most common among the
  team's members today (ties: the smallest id).
unique: [team, period]
columns:
  team: Team name.
  period: Fiscal quarter YYYY-Qn.
  manager_id: The team manager's rep_id.
  manager_name: The team manager's display name.
  manager_won_amount (money): Won amount of deals the manager owns, closing in the quarter (rep_scorecard).
  team_won_amount (money): Won amount of the team's reps, plus the manager's when the manager sits in another team.
  manager_share (ratio): manager_won_amount ÷ team_won_amount; null when the team won nothing.
  is_flagged: manager_share is above thresholds.manager_selling_share.
tests:
  - manager_share between 0 and 1
*/
with

reps as (
    select * from int_reps
),

teams as (
    select * from team_scorecard
    where period_start <= getvariable('as_of')
),

scorecard as (
    select * from rep_scorecard
),

manager_votes as (
    select
        team,
        manager_id,
        count(*) as reports,
    from reps
    where manager_id is not null
    group by team, manager_id
),

team_managers as (
    select
        manager_votes.team,
        manager_votes.manager_id,
        managers.name as manager_name,
        managers.team as manager_team,
    from manager_votes
    left join reps as managers on manager_votes.manager_id = managers.rep_id
    qualify
        row_number()
            over (partition by manager_votes.team order by manager_votes.reports desc, manager_votes.manager_id asc)
        = 1
),

joined as (
    select
        teams.team,
        teams.period,
        team_managers.manager_id,
        team_managers.manager_name,
        coalesce(manager_scores.won_amount, 0) as manager_won_amount,
        teams.won_amount
        + case when team_managers.manager_team = teams.team then 0 else coalesce(manager_scores.won_amount, 0) end
            as team_won_amount,
    from teams
    inner join team_managers on teams.team = team_managers.team
    left join scorecard as manager_scores
        on
            team_managers.manager_id = manager_scores.rep_id
            and teams.period = manager_scores.period
),

final as (
    select
        *,
        manager_won_amount / nullif(team_won_amount, 0) as manager_share,
        coalesce(manager_won_amount / nullif(team_won_amount, 0) > getvariable('manager_selling_share'), false)
            as is_flagged,
    from joined
)

select * from final
