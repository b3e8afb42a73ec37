/*
Singular data test: the pipeline waterfall adds up exactly, to the cent, for every rep, team and the org in
every quarter:
closing = opening + created + pulled_in + other_in + amount_up − amount_down − won − lost − pushed_out − other_out.
Returns the rows where it does not.
*/
with

flows as (
    select
        'rep ' || rep_id as owner,
        * exclude (rep_id, team, window_start, window_end),
    from int_rep_flow
    union all by name
    select
        coalesce('team ' || team, 'org') as owner,
        * exclude (rollup_level, team, reps, window_start, window_end),
    from int_flow_rollup
),

in_cents as (
    select
        owner,
        period,
        cast(closing_pipeline as decimal(38, 2)) as closing_pipeline,
        cast(opening_pipeline as decimal(38, 2))
        + cast(created as decimal(38, 2))
        + cast(pulled_in as decimal(38, 2))
        + cast(other_in as decimal(38, 2))
        + cast(amount_up as decimal(38, 2))
        - cast(amount_down as decimal(38, 2))
        - cast(won as decimal(38, 2))
        - cast(lost as decimal(38, 2))
        - cast(pushed_out as decimal(38, 2))
        - cast(other_out as decimal(38, 2)) as expected_closing,
    from flows
),

final as (
    select * from in_cents
    where closing_pipeline <> expected_closing
)

select * from final
