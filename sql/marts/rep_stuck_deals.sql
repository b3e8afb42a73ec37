/*
grain: one row per deal open today that is stuck (opportunity_id). A deal is stuck when it has been in its
  current stage longer than thresholds.stuck_stage_multiple × that stage's org-wide median days, or has had no
  activity for more than thresholds.stuck_no_activity_days.
unique: [opportunity_id]
columns:
  opportunity_id: The deal.
  rep_id: Deal owner.
  team: The owner's team today.
  opportunity_name: Deal name.
  account: Account name.
  stage: Current stage.
  amount: Deal value (null when missing).
  close_date: Expected close date.
  days_in_stage: Days since the deal entered its current stage (as_of − entry day; int_stage_stints).
  stage_median_days (days): Median days deals spent in this stage, over every completed stay in it in the data
    (all reps, all periods); null when no deal has left the stage yet.
  stuck_after_days (days): stage_median_days × thresholds.stuck_stage_multiple.
  last_activity_date: Last activity on the deal (the extract's date or the latest linked activity).
  days_since_activity: as_of − last_activity_date; as_of − created_date when no activity was ever logged.
  is_slow_in_stage: days_in_stage is above stuck_after_days.
  has_no_recent_activity: days_since_activity is above thresholds.stuck_no_activity_days (never, when the
    extracts carry no activity dates at all).
  reason: time in stage, no activity, or time in stage and no activity.
  deal_currency: The currency the deal is in (amount is in the corporate currency).
  deal_amount: The deal's amount in its own currency.
tests:
  - is_slow_in_stage or has_no_recent_activity
  - days_in_stage >= 0
*/
with

deals as (
    select * from int_open_deals
),

stints as (
    select * from int_stage_stints
),

stage_medians as (
    select
        stage,
        median(days_in_stage) as stage_median_days,
    from stints
    where left_on is not null
    group by stage
),

current_stints as (
    select
        opportunity_id,
        stage,
        days_in_stage,
    from stints
    where is_current
),

measured as (
    select
        deals.opportunity_id,
        deals.rep_id,
        deals.team,
        deals.opportunity_name,
        deals.account,
        deals.stage,
        deals.amount,
        deals.close_date,
        current_stints.days_in_stage,
        cast(stage_medians.stage_median_days as double) as stage_median_days,
        stage_medians.stage_median_days * getvariable('stuck_stage_multiple') as stuck_after_days,
        deals.last_activity_date,
        deals.days_since_activity,
    from deals
    inner join current_stints
        on
            deals.opportunity_id = current_stints.opportunity_id
            and deals.stage = current_stints.stage
    left join stage_medians on deals.stage = stage_medians.stage
),

flagged as (
    select
        measured.*,
        coalesce(measured.days_in_stage > measured.stuck_after_days, false) as is_slow_in_stage,
        coalesce(
            coverage.has_activity_data and measured.days_since_activity > getvariable('stuck_no_activity_days'),
            false
        ) as has_no_recent_activity,
    from measured
    cross join int_data_coverage as coverage
),

final as (
    select
        flagged.*,
        case
            when flagged.is_slow_in_stage and flagged.has_no_recent_activity then 'time in stage and no activity'
            when flagged.is_slow_in_stage then 'time in stage'
            else 'no activity'
        end as reason,
        deals.deal_currency,
        deals.deal_amount,
    from flagged
    inner join deals on flagged.opportunity_id = deals.opportunity_id
    where flagged.is_slow_in_stage or flagged.has_no_recent_activity
)

select * from final
