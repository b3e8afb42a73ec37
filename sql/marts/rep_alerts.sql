/*
grain: one row per active rep per metric that is off its target by more than thresholds.deviation in the
  current quarter (rep_id, metric). Both directions are listed: the sign of deviation says whether it is
  worse (negative) or better than plan.
unique: [rep_id, metric]
columns:
  rep_id: The rep.
  team: The rep's team today.
  period: The current fiscal quarter.
  metric: attainment (projected_attainment from rep_scorecard against 1.0, i.e. won plus weighted open
    pipeline against quota), pipeline_coverage, win_rate, avg_cycle_days (the current quarter's values in
    rep_scorecard), activities_per_week (mean weekly activities over the last 4 full weeks in
    rep_activity_vs_plan) or discipline_score (rep_hygiene, today).
  actual: The rep's value.
  target: 1.0 for attainment; else the rep's target from rep_targets.
  deviation: actual ÷ target − 1, with the sign flipped for avg_cycle_days (lower is better) so that negative
    always means worse than plan; a metric with no value (e.g. no quota, nothing closed) is never alerted.
  direction: below or above: whether the actual is under or over the target (for avg_cycle_days, above is
    the bad side).
  is_worse: deviation < 0.
tests:
  - abs(deviation) > getvariable('deviation')
  - direction in ('below', 'above')
*/
with

scorecard as (
    select * from rep_scorecard
    where is_current
),

reps as (
    select * from int_reps
    where is_active
),

targets as (
    select * from rep_targets
),

activity_weeks as (
    select * from rep_activity_vs_plan
),

hygiene as (
    select * from rep_hygiene
),

last_week as (
    select max(week_start) as last_week_start from activity_weeks
),

recent_activity as (
    select
        activity_weeks.rep_id,
        avg(activity_weeks.activities) as activities_per_week,
    from activity_weeks
    cross join last_week
    where activity_weeks.week_start > last_week.last_week_start - 28
    group by activity_weeks.rep_id
),

actuals as (
    select
        reps.rep_id,
        reps.team,
        scorecard.period,
        scorecard.projected_attainment,
        scorecard.pipeline_coverage,
        scorecard.win_rate,
        scorecard.avg_cycle_days,
        recent_activity.activities_per_week,
        hygiene.discipline_score,
    from reps
    inner join scorecard on reps.rep_id = scorecard.rep_id
    left join recent_activity on reps.rep_id = recent_activity.rep_id
    left join hygiene on reps.rep_id = hygiene.rep_id
),

measured as (
    select
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
        actuals.rep_id,
        actuals.team,
        actuals.period,
        targets.metric,
        case targets.metric
            when 'pipeline_coverage' then actuals.pipeline_coverage
            when 'win_rate' then actuals.win_rate
            when 'avg_cycle_days' then actuals.avg_cycle_days
            when 'activities_per_week' then actuals.activities_per_week
            when 'discipline_score' then actuals.discipline_score
        end as actual,
        targets.target,
        targets.metric = 'avg_cycle_days' as lower_is_better,
    from actuals
    inner join targets
        on
            actuals.rep_id = targets.rep_id
            and targets.metric in (
                'pipeline_coverage', 'win_rate', 'avg_cycle_days', 'activities_per_week', 'discipline_score'
            )
),

scored as (
    select
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
