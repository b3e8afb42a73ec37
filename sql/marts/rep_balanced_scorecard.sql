/*
grain: one row per rep per fiscal quarter for the current and the previous quarter (rep_id, period): grades 1-5
  on seven dimensions. Each dimension is a ratio to plan turned into a grade with grades.cutoffs [c1, c2, c3,
  c4] by the grade() macro: ratio < c1 → 1, < c2 → 2, < c3 → 3, < c4 → 4, else 5, compared at
  grades.precision decimals. A dimension with no input (no quota, nothing
  closed, no target) has a null ratio and grade and is left out of the overall grade.
unique: [rep_id, period]
columns:
  rep_id: The rep.
  team: The rep's team today.
  period: Fiscal quarter YYYY-Qn.
  is_current: True for the current quarter, false for the previous (closed) one.
  results_ratio: Current quarter: projected_attainment (won plus weighted open pipeline ÷ quota); previous
    quarter: attainment (won ÷ quota). The plan is 1.0.
  results_grade: Grade of results_ratio.
  pipeline_ratio: pipeline_coverage (rep_scorecard) ÷ the rep's pipeline_coverage target.
  pipeline_grade: Grade of pipeline_ratio.
  conversion_ratio: win_rate (count) ÷ the rep's win_rate target.
  conversion_grade: Grade of conversion_ratio.
  activity_ratio: Activities per week in the quarter (activities dated from the quarter start, or hire_date
    when later, to the quarter end or as_of, ÷ those days ÷ 7) ÷ the activities_per_week target; null when
    the org has logged no activities at all (no activities extract).
  activity_grade: Grade of activity_ratio.
  discipline_ratio: discipline_score (rep_hygiene, today) ÷ the discipline_score target; current quarter only
    (hygiene cannot be rebuilt for past days), null for the previous quarter.
  discipline_grade: Grade of discipline_ratio.
  forecast_ratio: forecast_accuracy of the latest closed quarter (the previous quarter for the current row,
    the quarter itself for the previous row; rep_forecast_accuracy) ÷ the forecast_accuracy target.
  forecast_grade: Grade of forecast_ratio.
  cycle_ratio: The avg_cycle_days target ÷ avg_cycle_days (inverted: lower cycle time is better).
  cycle_grade: Grade of cycle_ratio.
  graded_dimensions: How many of the seven grades are not null.
  overall_grade: Mean of the non-null grades rounded to the nearest whole grade (halves round up); null when
    no dimension could be graded.
tests:
  - overall_grade between 1 and 5
  - results_grade between 1 and 5
  - cycle_grade between 1 and 5
*/
with

scorecard as (
    select * from rep_scorecard
),

quarters as (
    select * from int_fiscal_quarters
),

reps as (
    select * from int_reps
),

targets as (
    select * from rep_targets
),

hygiene as (
    select * from rep_hygiene
),

forecasts as (
    select * from rep_forecast_accuracy
),

activities as (
    select * from stg_activities
),

current_quarter as (
    select
        period,
        period_start,
    from quarters
    where is_current
),

graded_quarters as (
    select
        quarters.period,
        quarters.period_start,
        quarters.period_end,
        quarters.is_current,
        -- the closed quarter whose forecast accuracy this row is graded on
        case when quarters.is_current then previous.period else quarters.period end as forecast_period,
    from quarters
    cross join current_quarter
    left join quarters as previous on current_quarter.period_start - 1 = previous.period_end
    where
        quarters.is_current
        or quarters.period_end = current_quarter.period_start - 1
),

quarter_activities as (
    select
        activities.owner_id as rep_id,
        graded_quarters.period,
        count(*) as activities,
    from activities
    inner join graded_quarters
        on activities.activity_date between graded_quarters.period_start and graded_quarters.period_end
    where activities.activity_date <= getvariable('as_of')
    group by all
),

has_activity_data as (
    select count(*) > 0 as has_activities from activities
),

rep_plan as (
    select
        rep_id,
        max(target) filter (where metric = 'pipeline_coverage') as pipeline_coverage,
        max(target) filter (where metric = 'win_rate') as win_rate,
        max(target) filter (where metric = 'activities_per_week') as activities_per_week,
        max(target) filter (where metric = 'avg_cycle_days') as avg_cycle_days,
        max(target) filter (where metric = 'discipline_score') as discipline_score,
        max(target) filter (where metric = 'forecast_accuracy') as forecast_accuracy,
    from targets
    group by rep_id
),

inputs as (
    select
        scorecard.rep_id,
        scorecard.team,
        scorecard.period,
        graded_quarters.is_current,
        case when graded_quarters.is_current then scorecard.projected_attainment else scorecard.attainment end
            as results_ratio,
        scorecard.pipeline_coverage / nullif(rep_plan.pipeline_coverage, 0) as pipeline_ratio,
        scorecard.win_rate / nullif(rep_plan.win_rate, 0) as conversion_ratio,
        case
            when has_activity_data.has_activities
                then
                    coalesce(quarter_activities.activities, 0)
                    / nullif(
                        greatest(
                            datediff(
                                'day',
                                greatest(
                                    graded_quarters.period_start, coalesce(reps.hire_date, graded_quarters.period_start)
                                ),
                                least(graded_quarters.period_end, getvariable('as_of'))
                            ) + 1,
                            0
                        ) / 7,
                        0
                    )
                    / nullif(rep_plan.activities_per_week, 0)
        end as activity_ratio,
        case
            when graded_quarters.is_current then hygiene.discipline_score / nullif(rep_plan.discipline_score, 0)
        end as discipline_ratio,
        forecasts.forecast_accuracy / nullif(rep_plan.forecast_accuracy, 0) as forecast_ratio,
        rep_plan.avg_cycle_days / nullif(scorecard.avg_cycle_days, 0) as cycle_ratio,
    from scorecard
    inner join graded_quarters on scorecard.period = graded_quarters.period
    cross join has_activity_data
    left join reps on scorecard.rep_id = reps.rep_id
    left join rep_plan on scorecard.rep_id = rep_plan.rep_id
    left join quarter_activities
        on
            scorecard.rep_id = quarter_activities.rep_id
            and scorecard.period = quarter_activities.period
    left join hygiene on scorecard.rep_id = hygiene.rep_id
    left join forecasts
        on
            scorecard.rep_id = forecasts.rep_id
            and graded_quarters.forecast_period = forecasts.period
),

graded as (
    select
        *,
        grade(results_ratio, getvariable('grade_cutoffs')) as results_grade,
        grade(pipeline_ratio, getvariable('grade_cutoffs')) as pipeline_grade,
        grade(conversion_ratio, getvariable('grade_cutoffs')) as conversion_grade,
        grade(activity_ratio, getvariable('grade_cutoffs')) as activity_grade,
        grade(discipline_ratio, getvariable('grade_cutoffs')) as discipline_grade,
        grade(forecast_ratio, getvariable('grade_cutoffs')) as forecast_grade,
        grade(cycle_ratio, getvariable('grade_cutoffs')) as cycle_grade,
    from inputs
),

final as (
    select
        rep_id,
        team,
        period,
        is_current,
        results_ratio,
        results_grade,
        pipeline_ratio,
        pipeline_grade,
        conversion_ratio,
        conversion_grade,
        activity_ratio,
        activity_grade,
        discipline_ratio,
        discipline_grade,
        forecast_ratio,
        forecast_grade,
        cycle_ratio,
        cycle_grade,
        list_count(
            [
                results_grade, pipeline_grade, conversion_grade, activity_grade, discipline_grade, forecast_grade,
                cycle_grade
            ]
        ) as graded_dimensions,
        cast(
            round(
                list_avg(
                    [
                        results_grade, pipeline_grade, conversion_grade, activity_grade, discipline_grade,
                        forecast_grade, cycle_grade
                    ]
                )
            ) as integer
        ) as overall_grade,
    from graded
)

select * from final
