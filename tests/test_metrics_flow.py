"""Pipeline flow (rep_flow, team_flow) on the metrics fixture, against values worked out by hand.

tests/fixtures/metrics: calendar fiscal year, as_of 2026-05-15, so 2026-Q2's window is 04-01..05-15.
Opening = deals open with a close date in the quarter at the end of the day before the quarter starts.
"""

from pathlib import Path

import pytest

from pipelines.models import SQL_DIR
from tests.conftest import FIXTURES, models_on, rows

BUCKETS = ("opening_pipeline", "created", "pulled_in", "other_in", "amount_up", "amount_down",
           "won", "lost", "pushed_out", "other_out", "closing_pipeline")


@pytest.fixture(scope="module")
def metrics(tmp_path_factory):
    return models_on(FIXTURES / "metrics" / "config.yml", tmp_path_factory.mktemp("metrics"))


def flow(con, table, key, value, period):
    found = rows(con, f"select * from {table} where {key} = ? and period = ?", [value, period])
    assert len(found) == 1, found
    return {b: found[0][b] for b in BUCKETS}


def expect(**kw):
    return {b: float(kw.get(b, 0)) for b in BUCKETS}


def test_rep_flow_closed_quarter(metrics):
    # r1 2026-Q1: opening o18 120,000 (open on 12-31, Commit, closing 02-15).
    # created: o1 90,000 + o3 30,000 + o2 50,000 + o11 25,000 + o4 80,000 = 275,000 (o13 is created closing in Q2).
    # amount_up: o1 90,000 -> 100,000 on 02-01. won: o18 120,000 + o1 100,000 + o2 50,000. lost: o3 30,000.
    # pushed_out: o4 close date 03-31 -> 06-10 on 03-20. closing: o11 25,000 (still open, close date 03-25).
    assert flow(metrics, "rep_flow", "rep_id", "r1", "2026-Q1") == expect(
        opening_pipeline=120000, created=275000, amount_up=10000, won=270000, lost=30000,
        pushed_out=80000, closing_pipeline=25000)


def test_rep_flow_current_quarter_every_bucket(metrics):
    # r1 2026-Q2: opening o4 80,000 + o13 60,000. o11 (overdue, close 03-25) re-dated to 06-15 on 04-08:
    # other_in 25,000. o13 slipped from 05-20 to 07-31 on 05-01: pushed_out 60,000. closing o4 + o11.
    assert flow(metrics, "rep_flow", "rep_id", "r1", "2026-Q2") == expect(
        opening_pipeline=140000, other_in=25000, pushed_out=60000, closing_pipeline=105000)
    # r2: created o5 20,000 + o14 10,000 + o10 15,000; o14 won at 12,000 (amount_up 2,000 at the win);
    # o10 close date moved back to 03-31 on 05-02: other_out 15,000. closing: o5 20,000.
    assert flow(metrics, "rep_flow", "rep_id", "r2", "2026-Q2") == expect(
        created=45000, amount_up=2000, won=12000, other_out=15000, closing_pipeline=20000)
    # r3: created o6 40,000 + o12 30,000. o9 pulled in from 08-15 to 05-31 on 04-15 (70,000), then cut to
    # 50,000 on 05-05 (amount_down 20,000). o15 won on 04-28 straight from a Q3 close date: pulled_in 20,000
    # and won 20,000. o12 raised to 45,000 (amount_up 15,000), lost at 45,000. won: o6 40,000 + o15 20,000.
    assert flow(metrics, "rep_flow", "rep_id", "r3", "2026-Q2") == expect(
        created=70000, pulled_in=90000, amount_up=15000, amount_down=20000, won=60000, lost=45000,
        closing_pipeline=50000)
    # r4: o17 (created in Q1, closing 04-30) opens the quarter and is won at 10,000.
    assert flow(metrics, "rep_flow", "rep_id", "r4", "2026-Q2") == expect(
        opening_pipeline=10000, won=10000)


def test_rep_flow_won_matches_scorecard_and_zero_rows(metrics):
    got = rows(metrics, """select f.rep_id, f.period, f.won, s.won_amount from rep_flow f
                           join rep_scorecard s using (rep_id, period) order by all""")
    assert all(r["won"] == r["won_amount"] for r in got), got
    # rows for every rep_scorecard row up to the current quarter; 2026-Q3 (future) has none.
    periods = {r["period"] for r in rows(metrics, "select distinct period from rep_flow")}
    assert periods == {"2025-Q4", "2026-Q1", "2026-Q2"}
    assert flow(metrics, "rep_flow", "rep_id", "m2", "2026-Q2") == expect()
    window = rows(metrics, "select window_start, window_end from rep_flow where rep_id = 'r1' and period = '2026-Q2'")
    assert [(str(w["window_start"]), str(w["window_end"])) for w in window] == [("2026-04-01", "2026-05-15")]


def test_team_flow_sums_reps(metrics):
    # East = m1 + r1 + r2; West = r3 + r4 + m2.
    assert flow(metrics, "team_flow", "team", "East", "2026-Q2") == expect(
        opening_pipeline=140000, created=45000, other_in=25000, amount_up=2000, won=12000,
        pushed_out=60000, other_out=15000, closing_pipeline=125000)
    assert flow(metrics, "team_flow", "team", "West", "2026-Q2") == expect(
        opening_pipeline=10000, created=70000, pulled_in=90000, amount_up=15000, amount_down=20000,
        won=70000, lost=45000, closing_pipeline=50000)


def test_flow_identity_holds(metrics):
    for table in ("rep_flow", "team_flow", "org_flow"):
        for r in rows(metrics, f"select * from {table}"):
            inflow = r["opening_pipeline"] + r["created"] + r["pulled_in"] + r["other_in"] + r["amount_up"]
            outflow = r["amount_down"] + r["won"] + r["lost"] + r["pushed_out"] + r["other_out"]
            assert r["closing_pipeline"] == pytest.approx(inflow - outflow, abs=0.005), r
    # and the singular data test agrees (it returns failing rows)
    failing = rows(metrics, (SQL_DIR / "tests" / "flow_adds_up.sql").read_text())
    assert failing == []


def test_flow_adds_up_catches_a_broken_row(metrics):
    metrics.execute("create or replace temp table rep_flow_backup as select * from int_rep_flow")
    try:
        metrics.execute("update int_rep_flow set won = won + 0.01 where rep_id = 'r3' and period = '2026-Q2'")
        failing = rows(metrics, Path(SQL_DIR / "tests" / "flow_adds_up.sql").read_text())
        assert [f["owner"] for f in failing] == ["rep r3"]
    finally:
        metrics.execute("create or replace table int_rep_flow as select * from rep_flow_backup")
