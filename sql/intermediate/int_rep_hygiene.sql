/*
grain: one row per person (rep_id): the hygiene of the deals they own that are open today (as_of).
dictionary: [rep_id, team, open_deals, past_close_date, no_next_step, no_amount, untouched, deals_with_problems,
  clean_deals, discipline_score, no_close_date]
tests:
  - discipline_score between 0 and 1
  - deals_with_problems <= open_deals
*/
with

reps as (
    select * from int_reps
),

opportunities as (
    select * from int_opportunities
),

problem_deals as (
    select * from int_deal_hygiene
    where problems > 0
),

coverage as (
    select * from int_data_coverage
),

open_counts as (
    select
        owner_id as rep_id,
        count(*) as open_deals,
    from opportunities
    where is_open
    group by owner_id
),

problem_counts as (
    select
        rep_id,
        count(*) filter (where is_past_close_date) as past_close_date,
        count(*) filter (where has_no_next_step) as no_next_step,
        count(*) filter (where has_no_amount) as no_amount,
        count(*) filter (where is_untouched) as untouched,
        count(*) filter (where has_no_close_date) as no_close_date,
        count(*) as deals_with_problems,
    from problem_deals
    group by rep_id
),

final as (
    select
        reps.rep_id,
        reps.team,
        coalesce(open_counts.open_deals, 0) as open_deals,
        coalesce(problem_counts.past_close_date, 0) as past_close_date,
        case when coverage.has_next_step then coalesce(problem_counts.no_next_step, 0) end as no_next_step,
        coalesce(problem_counts.no_amount, 0) as no_amount,
        case when coverage.has_activity_data then coalesce(problem_counts.untouched, 0) end as untouched,
        coalesce(problem_counts.deals_with_problems, 0) as deals_with_problems,
        coalesce(open_counts.open_deals, 0) - coalesce(problem_counts.deals_with_problems, 0) as clean_deals,
        (open_counts.open_deals - coalesce(problem_counts.deals_with_problems, 0))
        / nullif(open_counts.open_deals, 0) as discipline_score,
        coalesce(problem_counts.no_close_date, 0) as no_close_date,
    from reps
    cross join coverage
    left join open_counts on reps.rep_id = open_counts.rep_id
    left join problem_counts on reps.rep_id = problem_counts.rep_id
)

select * from final
