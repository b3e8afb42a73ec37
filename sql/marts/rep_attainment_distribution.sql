/*
grain: one row per fiscal quarter up to the current one per attainment bucket (period, bucket): how many reps
  with a quota landed in each band. Attainment is won ÷ quota (rep_scorecard); for the current quarter it is
  attainment to date.
unique: [period, bucket]
columns:
  period: Fiscal quarter YYYY-Qn.
  is_current: The quarter containing as_of.
  bucket: 0-50%, 50-80%, 80-100%, 100-120% or 120%+; a band includes its lower bound (exactly 100% is in
    100-120%).
  bucket_order: 1-5, for sorting.
  reps: Reps with a quota in the quarter whose attainment falls in the band (0 when none).
  share_of_reps (ratio): reps ÷ all reps with a quota in the quarter; null when nobody had a quota.
tests:
  - bucket_order between 1 and 5
  - share_of_reps between 0 and 1
*/
with

scorecard as (
    select * from rep_scorecard
    where period_start <= getvariable('as_of')
),

buckets as (
    select
        1 as bucket_order,
        '0-50%' as bucket,
        0.0 as lower_bound,
        0.5 as upper_bound,
    union all
    select
        2 as bucket_order,
        '50-80%' as bucket,
        0.5 as lower_bound,
        0.8 as upper_bound,
    union all
    select
        3 as bucket_order,
        '80-100%' as bucket,
        0.8 as lower_bound,
        1.0 as upper_bound,
    union all
    select
        4 as bucket_order,
        '100-120%' as bucket,
        1.0 as lower_bound,
        1.2 as upper_bound,
    union all
    select
        5 as bucket_order,
        '120%+' as bucket,
        1.2 as lower_bound,
        cast('infinity' as double) as upper_bound,
),

periods as (
    select
        period,
        bool_or(is_current) as is_current,
        count(attainment) as reps_with_quota,
    from scorecard
    group by period
),

counts as (
    select
        scorecard.period,
        buckets.bucket_order,
        count(*) as reps,
    from scorecard
    inner join buckets
        on
            scorecard.attainment >= buckets.lower_bound
            and scorecard.attainment < buckets.upper_bound
    group by scorecard.period, buckets.bucket_order
),

final as (
    select
        periods.period,
        periods.is_current,
        buckets.bucket,
        buckets.bucket_order,
        coalesce(counts.reps, 0) as reps,
        coalesce(counts.reps, 0) / nullif(periods.reps_with_quota, 0) as share_of_reps,
    from periods
    cross join buckets
    left join counts
        on
            periods.period = counts.period
            and buckets.bucket_order = counts.bucket_order
)

select * from final
