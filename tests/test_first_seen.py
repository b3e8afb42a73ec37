"""Before the deal history starts, the past is "no data": a deal first seen then is opening pipeline, not created.

Without an opportunity_history extract the history starts with the first load (the documented first day), so
nothing says when the deals already in that extract were created, entered their stage or entered the pipeline.
Every model that reads deal states (flow, funnel, stage stints, deal events, and the coaching page and Monday
pack built on them) must say so instead of dating it all to that day.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import defaultdict

import duckdb
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.demo import generate_demo
from pipelines.extract import extract
from pipelines.load import load
from pipelines.models import run
from pipelines.settings import load_config
from tests.conftest import FIXTURES, models_on, rows

FLOW = """select period, window_start, window_end, opening_pipeline, created, pulled_in, other_in, won, lost,
    pushed_out, other_out, closing_pipeline from rep_flow where rep_id = 'r1' and period in ('2026-Q1', '2026-Q2')
    order by period"""


def test_on_the_first_day_only_a_deal_created_that_day_is_created(tmp_path):
    """first_seen, history starting on as_of 2026-05-15. In 2026-Q2's pipeline (open, closing in the quarter):
    s1 (1000, created 2026-03-01) was already there: opening; s2 (500) was created that day: created. s3 was won
    before anything was seen: not a flow movement, though its close date says when it was won (a deal event on
    04-20, what the Monday pack counts). s4 closes in 2026-Q3. So the window is 2026-05-15 to
    2026-05-15, opening 1000 + created 500 = closing 1500; 2026-Q1 ended before the history: no data."""
    con = models_on(FIXTURES / "first_seen" / "config.yml", tmp_path)
    day = dt.date(2026, 5, 15)
    assert rows(con, FLOW) == [
        {"period": "2026-Q1", "window_start": dt.date(2026, 1, 1), "window_end": dt.date(2026, 3, 31),
         "opening_pipeline": None, "created": None, "pulled_in": None, "other_in": None, "won": None, "lost": None,
         "pushed_out": None, "other_out": None, "closing_pipeline": None},
        {"period": "2026-Q2", "window_start": day, "window_end": day, "opening_pipeline": 1000.0, "created": 500.0,
         "pulled_in": 0.0, "other_in": 0.0, "won": 0.0, "lost": 0.0, "pushed_out": 0.0, "other_out": 0.0,
         "closing_pipeline": 1500.0},
    ]
    assert con.execute("select opportunity_id, event from rep_deal_events order by 1").fetchall() == [
        ("s2", "created"), ("s3", "won")]
    stints = dict(con.execute("select opportunity_id, entered_on from int_stage_stints").fetchall())
    assert stints == {"s1": None, "s2": day, "s3": None, "s4": None}
    assert con.execute("select distinct deals_entered from rep_stage_funnel where period = '2026-Q2'").fetchall() == [
        (None,)
    ]


def test_a_day_later_the_changes_are_known(tmp_path):
    """first_seen loaded on 2026-05-14 with s1 still in Prospecting and s2 not yet there, then on 2026-05-15 as it is.
    The history starts 2026-05-14: s1 is opening pipeline that day and moves forward a stage on 2026-05-15 (its
    stint in Proposal is entered then; its first one, in Prospecting since before the history, is not known);
    s2 is created 2026-05-15. Window 2026-05-14 to 2026-05-15: opening 1000, created 500, closing 1500."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "first_seen", folder)
    deals = folder / "deals.csv"
    today = deals.read_text(encoding="utf-8")
    yesterday = "\n".join(line for line in today.splitlines() if not line.startswith("s2,"))
    deals.write_text(yesterday.replace("s1,r1,Proposal", "s1,r1,Prospecting") + "\n", encoding="utf-8")
    cfg = load_config(folder / "config.yml")
    con = duckdb.connect()
    load(con, extract(cfg, con), tmp_path / "wh", dt.date(2026, 5, 14), cfg=cfg)
    deals.write_text(today, encoding="utf-8")
    con = duckdb.connect()
    load(con, extract(cfg, con), tmp_path / "wh", dt.date(2026, 5, 15), cfg=cfg)
    run(cfg, con)
    flow = rows(con, FLOW)[1]
    assert (flow["window_start"], flow["opening_pipeline"], flow["created"], flow["closing_pipeline"]) == (
        dt.date(2026, 5, 14), 1000.0, 500.0, 1500.0
    )
    assert con.execute("select opportunity_id, event_date, event from rep_deal_events order by 1").fetchall() == [
        ("s1", dt.date(2026, 5, 15), "advanced"), ("s2", dt.date(2026, 5, 15), "created"),
        ("s3", dt.date(2026, 4, 20), "won"),
    ]
    assert con.execute("select stage, entered_on from int_stage_stints where opportunity_id = 's1' order by stint_number"
                       ).fetchall() == [("Prospecting", None), ("Proposal", dt.date(2026, 5, 15))]


def test_the_demo_org_without_its_history_invents_no_creations(tmp_path):
    """The demo org built without opportunity_history.csv: every 'created' event is a deal whose created_date is
    that day (only as_of can be, with one snapshot), and no team's waterfall opens at 0 with all its pipeline
    created; the quarters before the history starts are no data."""
    org = tmp_path / "org"
    config = generate_demo(org, reps=12, seed=7)
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join(line for line in text.splitlines() if "opportunity_history" not in line) + "\n",
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    data = tmp_path / "site" / "data"
    created = {r["opportunity_id"]: r["created_date"] for r in csv.DictReader(open(org / "opportunities.csv"))}
    events = [r for r in csv.DictReader(open(data / "rep_deal_events.csv")) if r["event"] == "created"]
    assert all(created[e["opportunity_id"]] == e["event_date"] for e in events)
    flows = list(csv.DictReader(open(data / "team_flow.csv")))
    known = [f for f in flows if f["opening_pipeline"] != ""]
    assert known and all(float(f["opening_pipeline"]) > 0 or float(f["created"]) == 0 for f in known)
    by_period = defaultdict(set)
    for f in flows:
        by_period[f["period"]].add(f["opening_pipeline"] == "")
    assert sum(1 for unknown in by_period.values() if unknown == {True}) >= 4  # the past: no data
