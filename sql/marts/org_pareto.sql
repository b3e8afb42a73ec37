/*
grain: one row per fiscal quarter up to the current one (period): how concentrated the won amount is.
  The top 20% is ceil(0.2 × reps) reps, reps being those with a rep_scorecard row in the quarter, ranked by
  won amount (ties broken by rep_id).
unique: [period]
columns:
  period: Fiscal quarter YYYY-Qn.
  is_current: The quarter containing as_of (won amount to date).
  reps: Reps with a rep_scorecard row in the quarter.
  top_reps: ceil(0.2 × reps).
  won_amount: Won amount of all reps.
  top_won_amount: Won amount of the top_reps reps with the most won.
  top_share: top_won_amount ÷ won_amount; null when nothing was won.
tests:
  - top_share between 0 and 1
  - top_reps <= reps
*/
with

scorecard as (
    select * from rep_scorecard
    where period_start <= getvariable('as_of')
),

ranked as (
    select
        period,
        is_current,
        won_amount,
        row_number() over (partition by period order by won_amount desc, rep_id asc) as won_rank,
        count(*) over (partition by period) as reps,
    from scorecard
),

final as (
    select
        period,
        any_value(is_current) as is_current,
        any_value(reps) as reps,
        (any_value(reps) + 4) // 5 as top_reps,
        sum(won_amount) as won_amount,
        coalesce(sum(won_amount) filter (where won_rank <= (reps + 4) // 5), 0) as top_won_amount,
        sum(won_amount) filter (where won_rank <= (reps + 4) // 5) / nullif(sum(won_amount), 0) as top_share,
    from ranked
    group by period
)

select * from final
