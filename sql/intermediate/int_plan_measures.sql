/*
grain: one row per rep and per team, per graded quarter (the current one and the one before it), per
  balanced-scorecard dimension (measure_level, rep_id, team, period, dimension): the actual against its plan,
  the ratio and grade, why there is none, and the money the gap puts at risk. rep_balanced_scorecard,
  team_balanced_scorecard, rep_alerts and team_alerts all read it, so grades and alerts score alike.
  Dimensions (ratio = actual ÷ target unless said):
  results: attainment (won ÷ quota) against expected_share, the share of the quarter's won amount usually won by
    now (1 once the quarter is closed); none without a quota, while expected_share is below
    thresholds.min_expected_share, or when a won deal has no amount (the won amount is then only a lower bound),
    unless that lower bound already earns the top grade (results_top_grade_known).
  pipeline: pipeline_coverage against the coverage target; none when the quota is met, there is no quota, the
    opening pipeline of a closed quarter is not known, or, in the current quarter, a won deal has no amount and
    the priced wins do not meet the quota (what is left to close is then not known: int_rep_quarters).
  conversion: win_rate against the win-rate target; none below thresholds.min_closed_deals closed deals.
  activity: activities per week in the quarter (from the quarter start, or hire_date when later, to the quarter
    end or as_of) against activities_per_week; none without an activities extract, or while those days (for a
    team, its longest-serving member's) are fewer than thresholds.min_activity_days.
  discipline: discipline_score (today's open deals) against its target; current quarter only.
  forecast: forecast_accuracy of the last closed quarter (the quarter itself for a closed row) against its target.
  cycle: the avg_cycle_days target ÷ avg_cycle_days (lower is better); none below thresholds.min_won_deals won
    deals.
  Only people graded per grades.roles and grades.require_quota (a quota above 0 in the quarter) get ratios; a
  team is graded when any of its reps is. Team targets are the mean of its active reps' targets.
dictionary: [period, is_current, metric, actual, target, deviation]
columns:
  measure_level: rep or team.
  rep_id: The rep (null on team rows).
  team: The team (the rep's team today on rep rows).
  dimension: results, pipeline, conversion, activity, discipline, forecast or cycle.
  ratio: The ratio to plan (see above); null when the dimension is not graded.
  grade: 1-5 from ratio and grades.cutoffs for the dimension (the grade() macro); null with ratio, but for a
    Results ratio left unknown by a won deal without an amount whose lower bound (the priced wins alone) already
    earns the top grade: more won can only raise it, so the grade is known while the ratio is not.
  note: Why ratio is null, in words ("no quota", "only 3 deals closed (fewer than 5)", ...); null when graded.
  is_graded: The person (or team) is graded at all.
  quota: The quota of the quarter (the team's sum on team rows).
  money_at_risk: Current quarter, graded and below plan: for results the amount behind pace (expected_share ×
    quota − won, floored at 0), for the others (1 − ratio) × quota; 0 when on or above plan; null otherwise.
    Alerts are ranked by it and the coaching page picks its weakest dimensions by it.
tests:
  - grade between 1 and 5
  - ratio >= 0
*/
with

rollup as (
    select * from int_scorecard_rollup
    where rollup_level in ('rep', 'team')
),

quarters as (
    select * from int_fiscal_quarters
),

current_quarter as (
    select * from quarters
    where is_current
),

graded_quarters as (
    -- the current quarter, and the closed quarter just before it; a current row's forecast is the one before
    select
        quarters.period,
        quarters.period_start,
        quarters.period_end,
        case when quarters.is_current then previous.period else quarters.period end as forecast_period,
    from quarters
    cross join current_quarter
    left join quarters as previous on current_quarter.period_start - 1 = previous.period_end
    where quarters.is_current or quarters.period_end = current_quarter.period_start - 1
),

activities_extract as (
    select is_present as has_activities from stg_sources
    where table_name = 'activities'
),

targets as (
    select
        rep_id,
        metric,
        target,
    from int_rep_targets
),

reps as (
    select * from int_reps
),

plan as (
    pivot targets
    on metric in (
        'pipeline_coverage', 'win_rate', 'activities_per_week', 'avg_cycle_days', 'discipline_score',
        'forecast_accuracy'
    )
    using first(target)
    group by rep_id
),

activity_counts as (
    select
        activities.owner_id as rep_id,
        graded_quarters.period,
        count(*) as activities,
    from stg_activities as activities
    inner join int_fiscal_days as days on activities.activity_date = days.day
    inner join graded_quarters on days.period = graded_quarters.period
    where activities.activity_date <= getvariable('as_of')
    group by all
),

rep_inputs as (
    select
        rollup.rep_id,
        rollup.team,
        rollup.period,
        graded_quarters.forecast_period,
        reps.is_active,
        coalesce(activity_counts.activities, 0) as activities,
        greatest(
            datediff(
                'day',
                greatest(graded_quarters.period_start, coalesce(reps.hire_date, graded_quarters.period_start)),
                least(graded_quarters.period_end, getvariable('as_of'))
            ) + 1,
            0
        ) as activity_days,
        case when rollup.is_current then hygiene.open_deals end as open_deals,
        case when rollup.is_current then hygiene.clean_deals end as clean_deals,
        (len(getvariable('grade_roles')) = 0 or list_contains(getvariable('grade_roles'), reps.role))
        and (not getvariable('grade_require_quota') or coalesce(rollup.quota, 0) > 0) as is_graded,
        plan.* exclude (plan.rep_id),
    from rollup
    inner join graded_quarters on rollup.period = graded_quarters.period
    left join reps on rollup.rep_id = reps.rep_id
    left join activity_counts on rollup.rep_id = activity_counts.rep_id and rollup.period = activity_counts.period
    left join int_rep_hygiene as hygiene on rollup.rep_id = hygiene.rep_id
    left join plan on rollup.rep_id = plan.rep_id
    where rollup.rollup_level = 'rep'
),

grouped as (
    select
        case when grouping(rep_id) = 1 then 'team' else 'rep' end as measure_level,
        rep_id,
        team,
        period,
        forecast_period,
        sum(activities) as activities,
        sum(activity_days) as activity_days,
        max(activity_days) as longest_activity_days,
        sum(open_deals) as open_deals,
        sum(clean_deals) as clean_deals,
        bool_or(is_graded) as is_graded,
        coalesce(avg(pipeline_coverage) filter (where is_active), avg(pipeline_coverage)) as t_coverage,
        coalesce(avg(win_rate) filter (where is_active), avg(win_rate)) as t_win_rate,
        coalesce(avg(activities_per_week) filter (where is_active), avg(activities_per_week)) as t_activities,
        coalesce(avg(avg_cycle_days) filter (where is_active), avg(avg_cycle_days)) as t_cycle,
        coalesce(avg(discipline_score) filter (where is_active), avg(discipline_score)) as t_discipline,
        coalesce(avg(forecast_accuracy) filter (where is_active), avg(forecast_accuracy)) as t_forecast,
    from rep_inputs
    group by grouping sets ((rep_id, team, period, forecast_period), (team, period, forecast_period))
),

subjects as (
    select
        grouped.*,
        rollup.is_current,
        rollup.quota,
        rollup.won_amount,
        rollup.won_deals_without_amount,
        rollup.attainment,
        rollup.expected_share,
        rollup.pipeline_coverage,
        rollup.quota_met,
        rollup.open_pipeline,
        rollup.win_rate,
        rollup.deals_won + rollup.deals_lost as closed_deals,
        rollup.avg_cycle_days,
        rollup.cycle_deals,
        forecasts.forecast_accuracy,
        forecasts.accuracy_note as forecast_accuracy_note,
        activities_extract.has_activities,
    from grouped
    cross join activities_extract
    inner join rollup
        on
            grouped.measure_level = rollup.rollup_level
            and grouped.rep_id is not distinct from rollup.rep_id
            and grouped.team = rollup.team
            and grouped.period = rollup.period
    left join int_forecast_accuracy as forecasts
        on
            grouped.measure_level = forecasts.forecast_level
            and grouped.rep_id is not distinct from forecasts.rep_id
            and grouped.team = forecasts.team
            and grouped.forecast_period = forecasts.period
),

wide as (
    select
        measure_level,
        rep_id,
        team,
        period,
        is_current,
        is_graded,
        quota,
        won_amount,
        expected_share,
        attainment as results_actual,
        expected_share as results_target,
        case
            when
                quota > 0 and expected_share >= getvariable('min_expected_share') and won_deals_without_amount = 0
                then divide(attainment, expected_share)
        end as results_ratio,
        -- when a won deal has no amount, the priced wins alone give a lower bound of the Results grade: at the top
        -- grade it is the grade (more won can only raise it); null otherwise
        case
            when
                quota > 0 and expected_share >= getvariable('min_expected_share') and won_deals_without_amount > 0
                and grade(divide(attainment, expected_share), getvariable('grade_cutoffs')['results'])
                = len(getvariable('grade_cutoffs')['results']) + 1
                then len(getvariable('grade_cutoffs')['results']) + 1
        end as results_top_grade_known,
        case
            when coalesce(quota, 0) = 0 then 'no quota'
            when won_deals_without_amount > 0
                then printf(
                    '%d won deal%s without an amount: attainment is at least %.0f%%, %s',
                    won_deals_without_amount, case when won_deals_without_amount = 1 then '' else 's' end,
                    100 * attainment,
                    case
                        when results_top_grade_known is not null
                            then 'which earns the top grade whatever the rest is worth'
                        else 'not known'
                    end
                )
            when expected_share < getvariable('min_expected_share')
                then
                    printf(
                        'too early in the quarter: %.0f%% of its won amount is expected by now', 100 * expected_share
                    )
        end as results_note,
        pipeline_coverage as pipeline_actual,
        t_coverage as pipeline_target,
        -- null when a won deal without an amount leaves what is left to close unknown (int_rep_quarters)
        divide(pipeline_coverage, t_coverage) as pipeline_ratio,
        case
            when coalesce(quota, 0) = 0 then 'no quota'
            when quota_met then 'quota met'
            when open_pipeline is null
                then
                    'the pipeline at the quarter start is not known '
                    || '(the deal history does not reach it for every deal)'
            when won_deals_without_amount > 0 and pipeline_coverage is null
                then printf(
                    '%d won deal%s without an amount: what is left to close is not known',
                    won_deals_without_amount, case when won_deals_without_amount = 1 then '' else 's' end
                )
            when t_coverage is null or t_coverage = 0 then 'no coverage target'
        end as pipeline_note,
        win_rate as conversion_actual,
        t_win_rate as conversion_target,
        case when closed_deals >= getvariable('min_closed_deals') then divide(win_rate, t_win_rate) end
            as conversion_ratio,
        case
            when closed_deals < getvariable('min_closed_deals')
                then printf(
                    '%d closed deal%s, fewer than the %d a win rate needs (thresholds.min_closed_deals)',
                    closed_deals, case when closed_deals = 1 then '' else 's' end, getvariable('min_closed_deals')
                )
        end as conversion_note,
        case when has_activities then divide(activities, activity_days / 7) end as activity_actual,
        t_activities as activity_target,
        case
            when longest_activity_days >= getvariable('min_activity_days') then divide(activity_actual, t_activities)
        end as activity_ratio,
        case
            when not has_activities then 'no activities extract'
            when activity_days = 0 then 'not hired yet'
            when longest_activity_days < getvariable('min_activity_days')
                then printf(
                    'only %d day%s of the quarter so far, fewer than the %d an activity rate needs '
                    || '(thresholds.min_activity_days)',
                    longest_activity_days, case when longest_activity_days = 1 then '' else 's' end,
                    getvariable('min_activity_days')
                )
        end as activity_note,
        divide(clean_deals, open_deals) as discipline_actual,
        t_discipline as discipline_target,
        divide(discipline_actual, t_discipline) as discipline_ratio,
        case
            when not is_current then 'known for today only'
            when coalesce(open_deals, 0) = 0 then 'no open deals'
        end as discipline_note,
        forecast_accuracy as forecast_actual,
        t_forecast as forecast_target,
        divide(forecast_accuracy, t_forecast) as forecast_ratio,
        case
            when forecast_accuracy is null
                then coalesce(forecast_accuracy_note, 'no closed quarter with a forecast to compare with')
        end as forecast_note,
        avg_cycle_days as cycle_actual,
        t_cycle as cycle_target,
        case when cycle_deals >= getvariable('min_won_deals') then divide(t_cycle, avg_cycle_days) end as cycle_ratio,
        case
            when cycle_deals < getvariable('min_won_deals')
                then printf(
                    '%d won deal%s with dates, fewer than the %d a cycle time needs (thresholds.min_won_deals)',
                    cycle_deals, case when cycle_deals = 1 then '' else 's' end, getvariable('min_won_deals')
                )
        end as cycle_note,
    from subjects
),

long as (
    select * from wide
    unpivot include nulls (
        (actual, target, ratio, note) for dimension in (
            (results_actual, results_target, results_ratio, results_note) as results,
            (pipeline_actual, pipeline_target, pipeline_ratio, pipeline_note) as pipeline,
            (conversion_actual, conversion_target, conversion_ratio, conversion_note) as conversion,
            (activity_actual, activity_target, activity_ratio, activity_note) as activity,
            (discipline_actual, discipline_target, discipline_ratio, discipline_note) as discipline,
            (forecast_actual, forecast_target, forecast_ratio, forecast_note) as forecast,
            (cycle_actual, cycle_target, cycle_ratio, cycle_note) as cycle
        )
    )
),

graded as (
    select
        * exclude (ratio, note),
        case when is_graded then cast(ratio as double) end as graded_ratio,
        case
            when not is_graded then 'not graded (no quota, or a role grades.roles leaves out)'
            when ratio is null then coalesce(note, 'no data')
        end as graded_note,
    from long
),

final as (
    select
        graded.measure_level,
        graded.rep_id,
        graded.team,
        graded.period,
        graded.is_current,
        graded.dimension,
        metrics.metric,
        cast(graded.actual as double) as actual,
        cast(graded.target as double) as target,
        graded.graded_ratio as ratio,
        coalesce(
            grade(graded.graded_ratio, getvariable('grade_cutoffs')[graded.dimension]),
            case when graded.is_graded and graded.dimension = 'results' then graded.results_top_grade_known end
        ) as grade,
        graded.graded_note as note,
        graded.is_graded,
        graded.quota,
        round(graded.graded_ratio - 1, getvariable('grade_precision')) as deviation,
        case
            when graded.is_current and graded.graded_ratio is not null and graded.dimension = 'results'
                then greatest(graded.expected_share * graded.quota - graded.won_amount, 0)
            when graded.is_current and graded.graded_ratio is not null
                then greatest(1 - graded.graded_ratio, 0) * graded.quota
        end as money_at_risk,
    from graded
    inner join (
        values
        ('results', 'attainment'), ('pipeline', 'pipeline_coverage'), ('conversion', 'win_rate'),
        ('activity', 'activities_per_week'), ('discipline', 'discipline_score'),
        ('forecast', 'forecast_accuracy'), ('cycle', 'avg_cycle_days')
    ) as metrics (dimension, metric) on graded.dimension = metrics.dimension
)

select * from final
