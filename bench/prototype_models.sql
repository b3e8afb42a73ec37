-- The throwaway prototype's models.sql, reconstructed: ../shared/perf-prototype ships without it, and
-- bench --prototype needs one. Written from what its pipeline.py reads (six plain aggregates over its synthetic
-- org, AS_OF 2025-11-15, as its gen_data.py sets), so a ratio measured with it is an estimate of the original's.
-- Set up: cp bench/prototype_models.sql <prototype>/models.sql
CREATE OR REPLACE TABLE m_rep_quarter AS
SELECT q.rep_id, strftime(q.quarter_start, '%Y') || '-Q' || quarter(q.quarter_start) AS quarter, q.quarter_start,
       q.quota_amount, coalesce(w.won, 0) AS won_amount, coalesce(w.won, 0) / nullif(q.quota_amount, 0) AS attainment
FROM quotas q LEFT JOIN (
  SELECT owner_id AS rep_id, date_trunc('quarter', close_date) AS qs, sum(amount) AS won
  FROM opportunities WHERE stage = 'Closed Won' AND close_date <= DATE '2025-11-15' GROUP BY ALL) w
ON w.rep_id = q.rep_id AND w.qs = q.quarter_start;

CREATE OR REPLACE TABLE m_team_quarter AS
SELECT r.team_id, q.quarter, q.quarter_start, sum(q.quota_amount) AS quota_amount, sum(q.won_amount) AS won_amount,
       sum(q.won_amount) / nullif(sum(q.quota_amount), 0) AS attainment
FROM m_rep_quarter q JOIN reps r USING (rep_id) GROUP BY ALL;

CREATE OR REPLACE TABLE m_rep_pipeline AS
SELECT owner_id AS rep_id, stage, count(*) AS n_opps, sum(amount) AS amount
FROM opportunities WHERE stage NOT IN ('Closed Won', 'Closed Lost') GROUP BY ALL;

CREATE OR REPLACE TABLE m_rep_weekly_activity AS
SELECT rep_id, date_trunc('week', activity_date) AS week, activity_type, count(*) AS n
FROM activities WHERE activity_date > DATE '2025-11-15' - INTERVAL 26 WEEK GROUP BY ALL;

CREATE OR REPLACE TABLE m_rep_scorecard AS
WITH o AS (
  SELECT owner_id AS rep_id,
         count(*) FILTER (WHERE stage = 'Closed Won') AS won_n,
         count(*) FILTER (WHERE stage IN ('Closed Won', 'Closed Lost')) AS closed_n,
         avg(amount) FILTER (WHERE stage = 'Closed Won') AS avg_deal_size,
         avg(close_date - created_date) FILTER (WHERE stage = 'Closed Won') AS cycle_days,
         sum(amount) FILTER (WHERE stage NOT IN ('Closed Won', 'Closed Lost') AND close_date < DATE '2026-01-01') AS open_cq
  FROM opportunities GROUP BY ALL),
a AS (
  SELECT rep_id, count(*) / 100.0 AS acts_per_week,
         count(*) FILTER (WHERE activity_date > DATE '2025-11-15' - INTERVAL 4 WEEK) / 4.0 AS acts_per_week_l4w
  FROM activities GROUP BY ALL),
cq AS (SELECT * FROM m_rep_quarter WHERE quarter_start = DATE '2025-10-01'),
ytd AS (SELECT rep_id, sum(won_amount) / nullif(sum(quota_amount), 0) AS ytd_attainment FROM m_rep_quarter
        WHERE quarter_start >= DATE '2025-01-01' GROUP BY ALL)
SELECT r.rep_id, r.rep_name, r.team_id, t.team_name, r.region,
       o.won_n / nullif(o.closed_n, 0) AS win_rate, o.avg_deal_size, o.cycle_days,
       cq.quota_amount AS cq_quota, cq.attainment AS cq_attainment,
       o.open_cq / nullif(cq.quota_amount - cq.won_amount, 0) AS pipeline_coverage,
       ytd.ytd_attainment, a.acts_per_week, a.acts_per_week_l4w, o.open_cq
FROM reps r JOIN teams t USING (team_id) LEFT JOIN o USING (rep_id) LEFT JOIN a USING (rep_id)
LEFT JOIN cq USING (rep_id) LEFT JOIN ytd USING (rep_id);

CREATE OR REPLACE TABLE m_team_scorecard AS
SELECT t.team_id, t.team_name, t.region, count(*) AS n_reps, avg(s.win_rate) AS win_rate,
       avg(s.avg_deal_size) AS avg_deal_size, sum(s.cq_quota * s.cq_attainment) / nullif(sum(s.cq_quota), 0) AS cq_attainment,
       sum(s.open_cq) AS open_pipe_total, avg(s.acts_per_week) AS acts_per_week
FROM teams t JOIN m_rep_scorecard s USING (team_id) GROUP BY ALL;
