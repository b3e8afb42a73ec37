/*
grain: one row per rep and per team per graded quarter (scorecard_level, rep_id, team, period): the seven
  dimensions of int_plan_measures side by side, and the overall grade. rep_balanced_scorecard and
  team_balanced_scorecard read it.
dictionary: [period, is_current]
columns:
  scorecard_level: rep or team.
  rep_id: The rep (null on team rows).
  team: The team (the rep's team today on rep rows).
  results_ratio (attainment): Attainment ÷ the share of the quarter's won amount expected by now (1 for a closed
    quarter); of the attainment kind, so that privacy.hide_quotas hides a rep's.
  results_grade (attainment): Grade of results_ratio (hidden with it).
  pipeline_ratio (ratio): pipeline_coverage ÷ the coverage target.
  pipeline_grade: Grade of pipeline_ratio.
  conversion_ratio (ratio): win_rate (count) ÷ the win-rate target; null below thresholds.min_closed_deals closed deals.
  conversion_grade: Grade of conversion_ratio.
  activity_ratio (ratio): Activities per week in the quarter ÷ the activities_per_week target; null without an
    activities extract.
  activity_grade: Grade of activity_ratio.
  discipline_ratio (ratio): discipline_score (today) ÷ its target; current quarter only.
  discipline_grade: Grade of discipline_ratio.
  forecast_ratio (ratio): forecast_accuracy of the last closed quarter ÷ its target.
  forecast_grade: Grade of forecast_ratio.
  cycle_ratio (ratio): The avg_cycle_days target ÷ avg_cycle_days (lower cycle time is better); null below
    thresholds.min_won_deals won deals.
  cycle_grade: Grade of cycle_ratio.
  graded_dimensions: How many of the seven grades are not null.
  overall_grade: Mean of the grades rounded to the nearest whole grade (halves round up); null (not enough data)
    with fewer than grades.min_dimensions graded dimensions, or when the person is not graded.
  is_graded: The person (or team) is graded at all (grades.roles, grades.require_quota).
  overall_note: Why there is no overall grade, in words; null when there is one.
  money_at_risk (at_risk): Sum of the dimensions' money_at_risk (int_plan_measures), current quarter.
  results_note (attainment): Why results_ratio is null; null when graded. Its kind is attainment because it may
    quote the attainment's lower bound and the grade it earns: privacy.hide_quotas leaves it out of per-rep downloads.
  results_at_risk (at_risk): Money behind pace this quarter (expected_share × quota − won, floored at 0).
  pipeline_note: Why pipeline_ratio is null.
  pipeline_at_risk (at_risk): (1 − pipeline_ratio) × quota when below plan, this quarter.
  conversion_note: Why conversion_ratio is null.
  conversion_at_risk (at_risk): (1 − conversion_ratio) × quota when below plan, this quarter.
  activity_note: Why activity_ratio is null.
  activity_at_risk (at_risk): (1 − activity_ratio) × quota when below plan, this quarter.
  discipline_note: Why discipline_ratio is null.
  discipline_at_risk (at_risk): (1 − discipline_ratio) × quota when below plan, this quarter.
  forecast_note: Why forecast_ratio is null.
  forecast_at_risk (at_risk): (1 − forecast_ratio) × quota when below plan, this quarter.
  cycle_note: Why cycle_ratio is null.
  cycle_at_risk (at_risk): (1 − cycle_ratio) × quota when below plan, this quarter.
  people_with_alerts (attainment): Current quarter: on a team row, the team's reps with at least one alert worse
    than plan (a person counts once, however many dimensions are off); on a rep row, 1 or 0. Its kind is
    attainment because it counts the attainment alert: privacy.hide_quotas leaves it out of per-rep downloads.
  people_with_alerts_outside_results: As people_with_alerts, counting only alerts outside the results dimension
    (attainment): what an audience that hides quotas is shown.
*/
with

measures as (
    select * from int_plan_measures
),

-- the pivots keep only the columns they group by: one column of each kind per dimension
grades as (
    pivot measures
    on dimension in ('results', 'pipeline', 'conversion', 'activity', 'discipline', 'forecast', 'cycle')
    using first(ratio) as ratio, first(grade) as grade
    group by measure_level, rep_id, team, period, is_current
),

notes as (
    pivot measures
    on dimension in ('results', 'pipeline', 'conversion', 'activity', 'discipline', 'forecast', 'cycle')
    using first(note) as note, first(money_at_risk) as at_risk
    group by measure_level, rep_id, team, period
),

alert_people as (
    select
        alert_level,
        rep_id,
        team,
        count(distinct rep_id) filter (where is_worse) as people_with_alerts,
        count(distinct rep_id) filter (where is_worse and dimension != 'results') as people_with_alerts_outside_results,
    from int_alerts
    where alert_level = 'rep'
    group by grouping sets ((alert_level, rep_id, team), (alert_level, team))
),

overall as (
    select
        measure_level,
        rep_id,
        team,
        period,
        bool_or(is_graded) as is_graded,
        count(grade) as graded_dimensions,
        case
            when count(grade) >= getvariable('grade_min_dimensions') then cast(round(avg(grade)) as integer)
        end as overall_grade,
        case
            when not bool_or(is_graded) then 'not graded (no quota, or a role grades.roles leaves out)'
            when count(grade) < getvariable('grade_min_dimensions')
                then printf(
                    'not enough data: %d of 7 dimensions graded (grades.min_dimensions is %d)',
                    count(grade), getvariable('grade_min_dimensions')
                )
        end as overall_note,
        sum(money_at_risk) as money_at_risk,
    from measures
    group by measure_level, rep_id, team, period
),

final as (
    select
        grades.measure_level as scorecard_level,
        grades.rep_id,
        grades.team,
        grades.period,
        grades.is_current,
        grades.* exclude (grades.measure_level, grades.rep_id, grades.team, grades.period, grades.is_current),
        overall.graded_dimensions,
        overall.overall_grade,
        overall.is_graded,
        overall.overall_note,
        overall.money_at_risk,
        notes.* exclude (notes.measure_level, notes.rep_id, notes.team, notes.period),
        case when grades.is_current then coalesce(alert_people.people_with_alerts, 0) end as people_with_alerts,
        case
            when grades.is_current then coalesce(alert_people.people_with_alerts_outside_results, 0)
        end as people_with_alerts_outside_results,
    from grades
    inner join overall
        on
            grades.measure_level = overall.measure_level
            and grades.rep_id is not distinct from overall.rep_id
            and grades.team = overall.team
            and grades.period = overall.period
    inner join notes
        on
            grades.measure_level = notes.measure_level
            and grades.rep_id is not distinct from notes.rep_id
            and grades.team = notes.team
            and grades.period = notes.period
    left join alert_people
        on
            grades.team = alert_people.team
            and grades.rep_id is not distinct from alert_people.rep_id
)

select * from final
