/*
grain: one row per conversion rate (currency, start_date): the currency_rates extract plus config `currency.rates`,
  the corporate currency at rate 1.
columns:
  currency: ISO code of the currency.
  rate: Units of the currency per one unit of the corporate currency (corporate amount = amount ÷ rate).
  start_date: First day the rate is in force (null: from the start).
  end_date: Day the next rate takes over (null: open-ended).
  is_corporate: True for the corporate currency, the one every amount is reported in.
*/
with

source as (
    select * from raw_currency_rates
),

final as (
    select
        currency,
        rate,
        start_date,
        end_date,
        coalesce(is_corporate, false) as is_corporate,
    from source
)

select * from final
