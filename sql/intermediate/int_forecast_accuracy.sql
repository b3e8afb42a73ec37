/*
grain: one row per rep per closed fiscal quarter and one per team per closed fiscal quarter
  (forecast_level, rep_id, team, period): the forecast as it stood on the quarter's first day against what was
  won; team rows sum their reps (counted in their team of today). rep_forecast_accuracy and
  team_forecast_accuracy read it, so the accuracy formula exists once.
columns:
  forecast_level: rep or team.
  rep_id: The rep (null on team rows).
  team: The team.
  period: Fiscal quarter YYYY-Qn (closed quarters only).
  reps: Reps summed into the row (1 on rep rows).
  commit_at_start: Amount of deals open on the quarter's first day, closing in the quarter, with forecast
    category Commit then (int_pipeline_at_quarter_start); 0 when none; null (no data) when the export has no
    forecast category, or the quarter starts before the deal history does (int_data_coverage).
  best_case_at_start: Same for Commit plus Best Case.
  won_amount: Won amount of deals closing in the quarter (as in rep_scorecard).
  forecast_gap: won_amount − commit_at_start (positive: beat the commit).
  forecast_accuracy: max(0, 1 − |won_amount − commit_at_start| ÷ won_amount), HubSpot's forecast accuracy
    with the commit at quarter start as the forecast; null when nothing was won (the formula divides by won)
    or the commit at start is not known.
  best_case_accuracy: The same formula with best_case_at_start as the forecast.
*/
with

scorecard as (
    select * from rep_scorecard
),

at_start as (
    select * from int_pipeline_at_quarter_start
),

coverage as (
    select * from int_data_coverage
),

joined as (
    select
        scorecard.rep_id,
        scorecard.team,
        scorecard.period,
        case
            when coverage.has_forecast_category and scorecard.period_start >= coverage.history_starts_on
                then cast(coalesce(at_start.commit_at_start, 0) as double)
        end as commit_at_start,
        case
            when coverage.has_forecast_category and scorecard.period_start >= coverage.history_starts_on
                then cast(coalesce(at_start.best_case_at_start, 0) as double)
        end as best_case_at_start,
        scorecard.won_amount,
    from scorecard
    cross join coverage
    left join at_start on scorecard.rep_id = at_start.rep_id and scorecard.period = at_start.period
    where scorecard.is_closed
),

sums as (
    select
        case when grouping(rep_id) = 1 then 'team' else 'rep' end as forecast_level,
        rep_id,
        team,
        period,
        count(*) as reps,
        sum(commit_at_start) as commit_at_start,
        sum(best_case_at_start) as best_case_at_start,
        sum(won_amount) as won_amount,
    from joined
    group by grouping sets ((rep_id, team, period), (team, period))
),

final as (
    select
        forecast_level,
        rep_id,
        team,
        period,
        reps,
        commit_at_start,
        best_case_at_start,
        won_amount,
        won_amount - commit_at_start as forecast_gap,
        case
            when won_amount <> 0 and commit_at_start is not null
                then greatest(0, 1 - abs(won_amount - commit_at_start) / won_amount)
        end as forecast_accuracy,
        case
            when won_amount <> 0 and best_case_at_start is not null
                then greatest(0, 1 - abs(won_amount - best_case_at_start) / won_amount)
        end as best_case_accuracy,
    from sums
)

select * from final
