/*
grain: one row per rep per kind of deal change in the 30 days to as_of (rep_id, event): what changed since
  last month, counted, for the coaching page (rep_deal_events lists the changes themselves).
unique: [rep_id, event]
dictionary: [rep_id, team]
columns:
  event: created, won, lost, pushed_out, pulled_in, advanced, went_back, amount_up or amount_down (as in
    rep_deal_events).
  deals: Deals with that change in the 30 days (a deal counts once per kind). A log of what changed: a deal won
    and then reopened or lost still counts as won here (team_monday and the contest count standing wins only).
  amount: Sum of the deals' amounts after the change, each deal at its latest change of that kind (empty
    amounts count 0).
*/
with

events as (
    -- a deal once per kind of change, at its latest: deals and amount then count the same deals
    select * from rep_deal_events
    where days_ago <= 30
    qualify row_number() over (partition by opportunity_id, event order by event_date desc) = 1
),

final as (
    select
        rep_id,
        any_value(team) as team,
        event,
        count(distinct opportunity_id) as deals,
        coalesce(sum(amount), 0) as amount,
    from events
    group by rep_id, event
)

select * from final
