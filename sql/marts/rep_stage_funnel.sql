/*
grain: one row per team (plus one org-wide row set, team 'All teams') per fiscal quarter up to the current one
  per configured stage (team, period, stage), from int_stage_stints. Deals count in their owner's team of
  today. Conversion is by entry cohort: deals that entered the stage in the quarter, followed to as_of, so a
  recent quarter's conversion is still rising while its deals are open.
unique: [team, period, stage]
columns:
  team: Team name, or 'All teams' for the whole organisation.
  is_org: True for the org-wide rows.
  period: Fiscal quarter YYYY-Qn.
  stage: Stage name.
  stage_kind: open, won or lost.
  stage_order: Position of the stage in the configured order.
  deals_entered: Deals that entered the stage in the quarter (a deal's first stage is entered on its
    created_date; a deal entering the same stage twice in a quarter counts once). Null (no data) for a quarter
    that starts before the deal history does: entries before it are not known, and are not counted as none.
  deals_advanced: Of those, deals that later reached a later open stage or a won stage (stages can be
    skipped, so "reached stage i+1" means i+1 or beyond); open stages only.
  conversion_rate (ratio): deals_advanced ÷ deals_entered (stage-to-stage conversion); null for won and lost stages
    and when nothing entered.
  stints_ended: Stays in the stage that ended (the deal moved to another stage) in the quarter; null for a quarter
    that starts before the deal history does.
  median_days_in_stage (days): Median days of the stays that ended in the quarter; null when none ended.
tests:
  - deals_advanced <= deals_entered
  - conversion_rate between 0 and 1
*/
with

stints as (
    select * from int_stage_stints
),

opportunities as (
    select * from stg_opportunities
),

reps as (
    select * from int_reps
),

stages as (
    select * from stg_stages
),

quarters as (
    select
        int_fiscal_quarters.*,
        int_fiscal_quarters.period_start >= coverage.history_starts_on as is_known,
    from int_fiscal_quarters
    cross join int_data_coverage as coverage
    where int_fiscal_quarters.period_start <= getvariable('as_of')
),

owned_stints as (
    select
        stints.*,
        coalesce(reps.team, 'Unassigned') as team,
    from stints
    inner join opportunities on stints.opportunity_id = opportunities.opportunity_id
    left join reps on opportunities.owner_id = reps.rep_id
    where stints.stage_kind is not null
),

entries as (
    -- one row per deal per stage entered in the quarter (a deal entering the same stage twice counts once)
    select
        owned_stints.team,
        quarters.period,
        owned_stints.stage,
        owned_stints.opportunity_id,
        bool_or(owned_stints.reached_later_stage) as reached_later_stage,
    from owned_stints
    inner join int_fiscal_days as days on owned_stints.entered_on = days.day
    inner join quarters on days.period = quarters.period
    group by all
),

exits as (
    select
        owned_stints.team,
        quarters.period,
        owned_stints.stage,
        owned_stints.days_in_stage,
    from owned_stints
    inner join int_fiscal_days as days on owned_stints.left_on = days.day
    inner join quarters on days.period = quarters.period
    where owned_stints.left_on <= getvariable('as_of')
),

entry_counts as (
    select
        team,
        period,
        stage,
        count(*) as deals_entered,
        count(*) filter (where reached_later_stage) as deals_advanced,
    from entries
    group by grouping sets ((team, period, stage), (period, stage))
),

exit_stats as (
    -- two group bys rather than grouping sets: with median in it, grouping sets spill the stints to disk over and
    -- over once they pass the memory limit (20,000 reps: 30 CPU s instead of 7)
    select
        team,
        period,
        stage,
        count(*) as stints_ended,
        median(days_in_stage) as median_days_in_stage,
    from exits
    group by team, period, stage
    union all
    select
        null as team,
        period,
        stage,
        count(*) as stints_ended,
        median(days_in_stage) as median_days_in_stage,
    from exits
    group by period, stage
),

scopes as (
    select distinct
        team,
        period,
    from entry_counts
    union
    select distinct
        team,
        period,
    from exit_stats
),

final as (
    select
        coalesce(scopes.team, 'All teams') as team,
        scopes.team is null as is_org,
        scopes.period,
        stages.stage,
        stages.stage_kind,
        stages.stage_order,
        case when quarters.is_known then coalesce(entry_counts.deals_entered, 0) end as deals_entered,
        case
            when stages.stage_kind = 'open' and quarters.is_known then coalesce(entry_counts.deals_advanced, 0)
        end as deals_advanced,
        case
            when stages.stage_kind = 'open' and quarters.is_known
                then entry_counts.deals_advanced / entry_counts.deals_entered
        end as conversion_rate,
        case when quarters.is_known then coalesce(exit_stats.stints_ended, 0) end as stints_ended,
        cast(exit_stats.median_days_in_stage as double) as median_days_in_stage,
    from scopes
    inner join quarters on scopes.period = quarters.period
    cross join stages
    left join entry_counts
        on
            scopes.team is not distinct from entry_counts.team
            and scopes.period = entry_counts.period
            and stages.stage = entry_counts.stage
    left join exit_stats
        on
            scopes.team is not distinct from exit_stats.team
            and scopes.period = exit_stats.period
            and stages.stage = exit_stats.stage
)

select * from final
