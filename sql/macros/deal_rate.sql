/*
macro: deal_rate(deal_id)
help: The conversion rate of deal deal_id as stg_opportunities gives it (corporate_rate of the deal's currency on
  its close date, today's for an open deal without one); 1 when the deal has no currency or is not in the deals
  extract. A deal's past amounts (history, versions) are converted at this one rate, so its flow adds up to its
  won amount. Staging models only: it reads a raw input.
*/
create or replace macro deal_rate(deal_id) as
case
    when deal_id is null then 1.0
    else coalesce(
        (
            select corporate_rate(o.currency, coalesce(o.close_date, getvariable('as_of')))
            from raw_opportunities as o
            where o.opportunity_id = deal_id and o.currency is not null
        ),
        1.0
    )
end;
