/*
macro: corporate_rate(currency_code, on_day)
help: Units of currency_code per one unit of the corporate currency on on_day (corporate amount = amount ÷ rate),
  from raw_currency_rates: the dated rate in force that day, else the currency's undated rate, else the dated
  rate nearest that day; 1 when currency_code is empty (the corporate currency). Staging models only: it reads
  a raw input.
*/
create or replace macro corporate_rate(currency_code, on_day) as
case
    when currency_code is null then 1.0
    else coalesce(
        (
            -- in force on the day; a rate with dates beats one without, the latest start wins
            select
                arg_max(
                    r.rate,
                    case when r.start_date is not null or r.end_date is not null then 1000000 else 0 end
                    + coalesce(datediff('day', date '1900-01-01', r.start_date), 0)
                )
            from raw_currency_rates as r
            where
                r.currency = currency_code
                and (r.start_date is null or r.start_date <= on_day)
                and (r.end_date is null or on_day < r.end_date)
        ),
        (
            select arg_min(r.rate, abs(datediff('day', coalesce(r.start_date, r.end_date), on_day)))
            from raw_currency_rates as r
            where r.currency = currency_code
        )
    )
end;
