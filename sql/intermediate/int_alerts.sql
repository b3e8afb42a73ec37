/*
grain: one row per rep and per team per dimension off plan by more than thresholds.deviation in the current
  quarter (alert_level, rep_id, team, metric): the graded measures of int_plan_measures that deserve a manager's
  attention, both directions, ranked by the money they put at risk. rep_alerts and team_alerts read it.
  Nothing is alerted that is not graded: no alert from a table the extracts do not have, from too few closed
  deals, from a quarter too young to judge, or for a person who is not graded.
dictionary: [period, metric, actual, target, deviation, direction, is_worse]
columns:
  alert_level: rep or team.
  rep_id: The rep (null on team rows).
  team: The team (the rep's team today on rep rows).
  dimension: The balanced-scorecard dimension (results, pipeline, conversion, activity, discipline, forecast,
    cycle).
  money_at_risk (at_risk): What the gap puts at risk this quarter (int_plan_measures); 0 for an alert above plan.
  alert_rank: 1 for the person's (or team's) alert with the most money at risk; alerts worse than plan come
    before those better than plan, ties by metric name.
*/
with

measures as (
    select * from int_plan_measures
    where is_current and ratio is not null and abs(deviation) > getvariable('deviation')
),

final as (
    select
        measure_level as alert_level,
        rep_id,
        team,
        period,
        metric,
        actual,
        target,
        deviation,
        case when actual < target then 'below' else 'above' end as direction,
        deviation < 0 as is_worse,
        dimension,
        money_at_risk,
        row_number() over (
            partition by measure_level, rep_id, team
            order by deviation < 0 desc, money_at_risk desc, metric asc
        ) as alert_rank,
    from measures
)

select * from final
