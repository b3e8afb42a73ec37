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

counts as (
    select
        reps.rep_id,
        reps.team,
        -- a rep with no open deal, or none with a problem, has 0 of each
        coalesce(open_counts.open_deals, 0) as open_deals,
        coalesce(columns(problem_counts.* exclude (problem_counts.rep_id)), 0),
    from reps
    left join open_counts on reps.rep_id = open_counts.rep_id
    left join problem_counts on reps.rep_id = problem_counts.rep_id
),

final as (
    select
        counts.rep_id,
        counts.team,
        counts.open_deals,
        counts.past_close_date,
        case when coverage.has_next_step then counts.no_next_step end as no_next_step,
        counts.no_amount,
        case when coverage.has_activity_data then counts.untouched end as untouched,
        counts.deals_with_problems,
        counts.open_deals - counts.deals_with_problems as clean_deals,
        divide(counts.open_deals - counts.deals_with_problems, counts.open_deals) as discipline_score,
        counts.no_close_date,
    from counts
    cross join coverage
)

select * from final
