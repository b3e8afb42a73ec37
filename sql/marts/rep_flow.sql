/*
grain: one row per rep per fiscal quarter up to the current one (rep_id, period): the pipeline waterfall of
  the quarter, built from the deal history (int_rep_flow defines the scope, the window and every bucket).
  closing = opening + created + pulled_in + other_in + amount_up − amount_down − won − lost − pushed_out −
  other_out holds exactly (sql/tests/flow_adds_up.sql).
unique: [rep_id, period]
columns_from: int_rep_flow
*/
select *
from int_rep_flow
