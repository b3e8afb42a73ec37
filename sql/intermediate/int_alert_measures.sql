/*
grain: one row per rep or team per metric with a target, in the current quarter (alert_level, subject,
  metric): each actual beside its plan and its deviation. rep_alerts and team_alerts keep the rows off
  plan by more than thresholds.deviation, so the scoring exists once for both levels.
columns:
  alert_level: rep or team.
  subject: rep_id for rep rows, the team name for team rows.
  rep_id: The rep (null on team rows).
  team: The team (the rep's team today on rep rows).
  period: The current fiscal quarter.
  metric: attainment (projected_attainment against 1.0), pipeline_coverage, win_rate, avg_cycle_days (the
    current quarter's scorecard), activities_per_week (the last 4 full weeks of int_rep_activity_weeks: a rep's
    mean; a team's activities ÷ its rep-weeks) or discipline_score (int_rep_hygiene today; a team's clean open
    deals ÷ its open deals).
  actual: The value.
  target: 1.0 for attainment; else the rep's target (rep_targets), or for a team the mean of its active
    reps' targets.
  deviation: actual ÷ target − 1, with the sign flipped for avg_cycle_days (lower is better) so that negative
    always means worse than plan; a metric with no value (no quota, nothing closed) has no row.
  direction: below or above: whether the actual is under or over the target.
  is_worse: deviation < 0.
*/
with

rep_now as (
    select * from int_scorecard_rollup
    where is_current and rollup_level = 'rep'
),

team_now as (
    select * from int_scorecard_rollup
    where is_current and rollup_level = 'team'
),

active_reps as (
    select * from int_reps
    where is_active
),

plans as (
    select * from int_rep_targets
),

activity_weeks as (
    select * from int_rep_activity_weeks
),

hygiene as (
    select * from int_rep_hygiene
),

last_week as (
    select max(week_start) as last_week_start from activity_weeks
),

recent_weeks as (
    select activity_weeks.*
    from activity_weeks
    cross join last_week
    where activity_weeks.week_start > last_week.last_week_start - 28
),

rep_activity as (
    select
        rep_id,
        avg(activities) as activities_per_week,
    from recent_weeks
    group by rep_id
),

team_activity as (
    select
        team,
        sum(activities) / count(*) as activities_per_week,
    from recent_weeks
    group by team
),

team_hygiene as (
    select
        team,
        sum(clean_deals) / nullif(sum(open_deals), 0) as discipline_score,
    from hygiene
    group by team
),

team_plans as (
    select
        active_reps.team,
        plans.metric,
        avg(plans.target) as target,
    from active_reps
    inner join plans on active_reps.rep_id = plans.rep_id
    group by active_reps.team, plans.metric
),

actuals as (
    select
        'rep' as alert_level,
        active_reps.rep_id as subject,
        active_reps.rep_id,
        active_reps.team,
        rep_now.period,
        rep_now.projected_attainment,
        rep_now.pipeline_coverage,
        rep_now.win_rate,
        rep_now.avg_cycle_days,
        rep_activity.activities_per_week,
        hygiene.discipline_score,
    from active_reps
    inner join rep_now on active_reps.rep_id = rep_now.rep_id
    left join rep_activity on active_reps.rep_id = rep_activity.rep_id
    left join hygiene on active_reps.rep_id = hygiene.rep_id
    union all
    select
        'team' as alert_level,
        team_now.team as subject,
        null as rep_id,
        team_now.team,
        team_now.period,
        team_now.projected_attainment,
        team_now.pipeline_coverage,
        team_now.win_rate,
        team_now.avg_cycle_days,
        team_activity.activities_per_week,
        team_hygiene.discipline_score,
    from team_now
    left join team_activity on team_now.team = team_activity.team
    left join team_hygiene on team_now.team = team_hygiene.team
),

subject_plans as (
    select
        'rep' as alert_level,
        rep_id as subject,
        metric,
        target,
    from plans
    union all
    select
        'team' as alert_level,
        team as subject,
        metric,
        target,
    from team_plans
),

measured as (
    select
        alert_level,
        subject,
        rep_id,
        team,
        period,
        'attainment' as metric,
        projected_attainment as actual,
        1.0 as target,
        false as lower_is_better,
    from actuals
    union all
    select
        actuals.alert_level,
        actuals.subject,
        actuals.rep_id,
        actuals.team,
        actuals.period,
        subject_plans.metric,
        case subject_plans.metric
            when 'pipeline_coverage' then actuals.pipeline_coverage
            when 'win_rate' then actuals.win_rate
            when 'avg_cycle_days' then actuals.avg_cycle_days
            when 'activities_per_week' then actuals.activities_per_week
            when 'discipline_score' then actuals.discipline_score
        end as actual,
        subject_plans.target,
        subject_plans.metric = 'avg_cycle_days' as lower_is_better,
    from actuals
    inner join subject_plans
        on
            actuals.alert_level = subject_plans.alert_level
            and actuals.subject = subject_plans.subject
            and subject_plans.metric in (
                'pipeline_coverage', 'win_rate', 'avg_cycle_days', 'activities_per_week', 'discipline_score'
            )
),

final as (
    select
        alert_level,
        subject,
        rep_id,
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
        deviation < 0 as is_worse,
    from measured
    where actual is not null and target > 0
)

select * from final
