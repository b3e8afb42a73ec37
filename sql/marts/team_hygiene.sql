/*
grain: one row per team (team): the CRM discipline of its reps' open deals today, summed from rep_hygiene.
unique: [team]
dictionary: [open_deals, past_close_date, no_next_step, no_amount, untouched, deals_with_problems, clean_deals,
  discipline_score]
columns:
  team: Team name.
  reps_with_problems: Reps with at least one open deal with a problem.
*/
select
    team,
    sum(open_deals) as open_deals,
    sum(past_close_date) as past_close_date,
    sum(no_next_step) as no_next_step,
    sum(no_amount) as no_amount,
    sum(untouched) as untouched,
    sum(deals_with_problems) as deals_with_problems,
    sum(clean_deals) as clean_deals,
    divide(sum(clean_deals), sum(open_deals)) as discipline_score,
    count(*) filter (where deals_with_problems > 0) as reps_with_problems,
from int_rep_hygiene
group by team
