/*
grain: one row per rep per closed fiscal quarter and one per team per closed fiscal quarter
  (forecast_level, rep_id, team, period): the forecast as it stood on the quarter's first day against what was
  won; team rows sum their reps (counted in their team of today). rep_forecast_accuracy and
  team_forecast_accuracy read it, so the accuracy formula exists once.
dictionary: [team, period, reps, commit_at_start, best_case_at_start, won_amount, forecast_gap, forecast_accuracy,
  best_case_accuracy]
columns:
  forecast_level: rep or team.
  rep_id: The rep (null on team rows).
*/
with

scorecard as (
    select * from int_rep_quarters
),

at_start as (
    select
        rep_id,
        period,
        sum(amount) filter (where forecast_category = 'Commit') as commit_at_start,
        sum(amount) filter (where forecast_category in ('Commit', 'Best Case')) as best_case_at_start,
    from int_pipeline_at_quarter_start
    group by rep_id, period
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
        forecast_accuracy(won_amount, commit_at_start) as forecast_accuracy,
        forecast_accuracy(won_amount, best_case_at_start) as best_case_accuracy,
    from sums
)

select * from final
