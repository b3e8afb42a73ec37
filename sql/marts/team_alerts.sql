/*
grain: one row per team per metric that is off its target by more than thresholds.deviation in the current
  quarter (team, metric); as rep_alerts, at team level.
unique: [team, metric]
columns:
  team: Team name.
  period: The current fiscal quarter.
  metric: attainment (projected_attainment from team_scorecard against 1.0), pipeline_coverage, win_rate,
    avg_cycle_days (the current quarter in team_scorecard), activities_per_week (activities per rep per week
    over the last 4 full weeks of rep_activity_vs_plan: the team's activities ÷ its rep-weeks) or
    discipline_score (the team's clean open deals ÷ its open deals, today).
  actual: The team's value.
  target: 1.0 for attainment; else the mean of the targets (rep_targets) of the team's active reps.
  deviation: actual ÷ target − 1, sign flipped for avg_cycle_days, so negative always means worse than plan.
  direction: below or above: whether the actual is under or over the target.
  is_worse: deviation < 0.
tests:
  - abs(deviation) > getvariable('deviation')
*/
with

scorecard as (
    select * from team_scorecard
    where is_current
),

targets as (
    select * from rep_targets
),

reps as (
    select * from int_reps
    where is_active
),

activity_weeks as (
    select * from rep_activity_vs_plan
),

hygiene as (
    select * from rep_hygiene
),

team_targets as (
    select
        reps.team,
        targets.metric,
        avg(targets.target) as target,
    from reps
    inner join targets on reps.rep_id = targets.rep_id
    group by reps.team, targets.metric
),

last_week as (
    select max(week_start) as last_week_start from activity_weeks
),

recent_activity as (
    select
        activity_weeks.team,
        sum(activity_weeks.activities) / count(*) as activities_per_week,
    from activity_weeks
    cross join last_week
    where activity_weeks.week_start > last_week.last_week_start - 28
    group by activity_weeks.team
),

team_hygiene as (
    select
        team,
        sum(clean_deals) / nullif(sum(open_deals), 0) as discipline_score,
    from hygiene
    group by team
),

actuals as (
    select
        scorecard.team,
        scorecard.period,
        scorecard.projected_attainment,
        scorecard.pipeline_coverage,
        scorecard.win_rate,
        scorecard.avg_cycle_days,
        recent_activity.activities_per_week,
        team_hygiene.discipline_score,
    from scorecard
    left join recent_activity on scorecard.team = recent_activity.team
    left join team_hygiene on scorecard.team = team_hygiene.team
),

measured as (
    select
        team,
        period,
        'attainment' as metric,
        projected_attainment as actual,
        1.0 as target,
        false as lower_is_better,
    from actuals
    union all
    select
        actuals.team,
        actuals.period,
        team_targets.metric,
        case team_targets.metric
            when 'pipeline_coverage' then actuals.pipeline_coverage
            when 'win_rate' then actuals.win_rate
            when 'avg_cycle_days' then actuals.avg_cycle_days
            when 'activities_per_week' then actuals.activities_per_week
            when 'discipline_score' then actuals.discipline_score
        end as actual,
        team_targets.target,
        team_targets.metric = 'avg_cycle_days' as lower_is_better,
    from actuals
    inner join team_targets
        on
            actuals.team = team_targets.team
            and team_targets.metric in (
                'pipeline_coverage', 'win_rate', 'avg_cycle_days', 'activities_per_week', 'discipline_score'
            )
),

scored as (
    select
        team,
        period,
        metric,
        actual,
        target,
        case
            when lower_is_better then 1 - actual / target
            else actual / target - 1
        end as deviation,
        case when actual < target then 'below' else 'above' end as direction,
    from measured
    where actual is not null and target > 0
),

final as (
    select
        *,
        deviation < 0 as is_worse,
    from scored
    where abs(deviation) > getvariable('deviation')
)

select * from final
