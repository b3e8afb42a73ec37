/*
Singular data test: the pipeline waterfall adds up to the cent for every rep, team and the org in every
quarter:
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
    -- amounts converted from another currency have fractions of a cent: compare the sums, to the cent
    select
        owner,
        period,
        closing_pipeline,
        opening_pipeline + created + pulled_in + other_in + amount_up - amount_down - won - lost - pushed_out
        - other_out as expected_closing,
    from flows
),

final as (
    select * from in_cents
    where abs(closing_pipeline - expected_closing) >= 0.005
)

select * from final
