/*
grain: one row per rep per closed fiscal quarter with deals in its forecast at the checkpoint, or deals whose
  state that day is not known (rep_id, period): the CRM's own forecast at the end of the checkpoint day
  (int_forecast_snapshots), and what became of the Commit deals of that day by the quarter's end. A rep with
  no such deal has no row (0 once the day is known).
dictionary: [rep_id, period]
columns:
  checkpoint_day: Day forecast.checkpoint_days of the quarter (the first day is day 1).
  won_at_checkpoint: Amount of the deals won, with a close date in the quarter, by the end of the checkpoint day.
  commit_at_checkpoint: Amount of the open deals in Commit closing in the quarter at the end of the checkpoint day.
  crm_forecast: The CRM's own forecast that day: won_at_checkpoint + commit_at_checkpoint.
  commit_won: The part of commit_at_checkpoint (at its checkpoint amounts) whose deals were won with a close date
    in the quarter by its last day.
  commit_lost: The part whose deals were lost with a close date in the quarter.
  commit_slipped: The rest: deals not closed in the quarter (still open at its end, or closed with a later close
    date), so commit_won + commit_lost + commit_slipped = commit_at_checkpoint (none slipped is exactly 0:
    amount_difference).
  unseen_deals: The rep's deals whose state that day is not known (int_unseen_deals.unseen_at_checkpoint): the
    forecast above leaves them out, so it is not known unless this is 0.
*/
with

snapshots as (
    select * from int_forecast_snapshots
    where is_checkpoint
),

quarters as (
    select * from int_fiscal_quarters
    where is_closed
),

states as (
    select * from int_opportunity_states
),

at_checkpoint as (
    select snapshots.* from snapshots
    inner join quarters on snapshots.period = quarters.period
),

commit_fates as (
    select
        at_checkpoint.opportunity_id,
        at_checkpoint.period,
        coalesce(
            states.stage_kind = 'won' and states.close_date between quarters.period_start and quarters.period_end,
            false
        ) as was_won,
        coalesce(
            states.stage_kind = 'lost' and states.close_date between quarters.period_start and quarters.period_end,
            false
        ) as was_lost,
    from at_checkpoint
    inner join quarters on at_checkpoint.period = quarters.period
    left join states
        on
            at_checkpoint.opportunity_id = states.opportunity_id
            and quarters.period_end >= states.valid_from
            and quarters.period_end < states.valid_to
    where at_checkpoint.forecast_column = 'commit'
),

unseen as (
    select * from int_unseen_deals
    where unseen_at_checkpoint > 0
),

forecasts as (
    select
        at_checkpoint.rep_id,
        at_checkpoint.period,
        any_value(at_checkpoint.snapshot_day) as checkpoint_day,
        coalesce(sum(at_checkpoint.amount) filter (where at_checkpoint.forecast_column = 'closed'), 0)
            as won_at_checkpoint,
        coalesce(sum(at_checkpoint.amount) filter (where at_checkpoint.forecast_column = 'commit'), 0)
            as commit_at_checkpoint,
        won_at_checkpoint + commit_at_checkpoint as crm_forecast,
        coalesce(sum(at_checkpoint.amount) filter (where commit_fates.was_won), 0) as commit_won,
        coalesce(sum(at_checkpoint.amount) filter (where commit_fates.was_lost), 0) as commit_lost,
        amount_difference(commit_at_checkpoint, commit_won + commit_lost) as commit_slipped,
    from at_checkpoint
    left join commit_fates
        on at_checkpoint.opportunity_id = commit_fates.opportunity_id and at_checkpoint.period = commit_fates.period
    group by at_checkpoint.rep_id, at_checkpoint.period
),

final as (
    select
        coalesce(forecasts.rep_id, unseen.rep_id) as rep_id,
        coalesce(forecasts.period, unseen.period) as period,
        coalesce(
            forecasts.checkpoint_day,
            cast(quarters.period_start + to_days(getvariable('forecast_checkpoint_days') - 1) as date)
        ) as checkpoint_day,
        forecasts.* exclude (rep_id, period, checkpoint_day),
        coalesce(unseen.unseen_at_checkpoint, 0) as unseen_deals,
    from forecasts
    full outer join unseen on forecasts.rep_id = unseen.rep_id and forecasts.period = unseen.period
    inner join quarters on coalesce(forecasts.period, unseen.period) = quarters.period
)

select * from final
