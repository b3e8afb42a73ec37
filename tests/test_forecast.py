"""Forecasting: the roll-up, the week's movement, the calls and the accuracy, against values worked out by hand.

tests/fixtures/forecast: as_of 2026-05-15 (a Friday), calendar fiscal year. 2026-Q1 is closed; its checkpoint
(day 28, counting 01-01 as day 1) is 2026-01-28. 2026-Q2 is current; its last full week is Mon 05-04 .. Sun
05-10, so the week's opening is the end of 05-03 and its closing the end of 05-10. East is m1 (manager) with
a1, a2 and a3; West is m2 with b1. Deals f* are Q1's, g* Q2's; every deal has its history from creation.

Calls (forecast_calls.csv): a1 called Q1 100,000 on 01-10, 120,000 on 01-28 at 17:30 (the checkpoint day
itself) and 200,000 on 02-10 (too late); a2 called Q1 50,000 and won nothing; a3 never calls; m1 called East
300,000 on 01-20 and 400,000 on 02-15 (no scope given: a manager's call is the team's); b1 calls Q2 by month
(04: 10,000, 05: 20,000 then 25,000 on 04-20, 06: 5,000); a2 called Q2 60,000 on 05-12; m1 called East
500,000 on 05-11; a1's call submitted 06-01 is after as_of and not known yet.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from pipelines import models
from pipelines.catalog import load_catalog
from pipelines.settings import Config

from tests.helpers import FIXTURES, models_on, org_with, rows, run_model

A = pytest.approx


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    return models_on(FIXTURES / "forecast" / "config.yml", tmp_path_factory.mktemp("forecast"))


def table(con, sql: str) -> list[tuple]:
    return [tuple(r.values()) for r in rows(con, sql)]


# --- the current quarter's roll-up ----------------------------------------------------------------------------


def test_rep_rollup_holds_each_category_once(org):
    got = table(org, """select rep_id, quota, closed, commit, best_case, pipeline, omitted, uncategorized,
                               commit_cumulative, best_case_cumulative, pipeline_cumulative, commit_attainment
                        from rep_forecast_rollup order by rep_id""")
    assert got == [
        # a1: g1 won 50,000; g2 Commit 70,000; g3 Best Case 30,000; g4 Pipeline 20,000; g5 Omitted 15,000 (apart);
        # g6 (Commit 99,000) closes 07-15, in Q3, so in no column
        ("a1", 100000.0, 50000.0, 70000.0, 30000.0, 20000.0, 15000.0, 0.0, 120000.0, 150000.0, 170000.0, 1.2),
        ("a2", 100000.0, 0.0, 25000.0, 0.0, 0.0, 0.0, 0.0, 25000.0, 25000.0, 25000.0, 0.25),
        # a3: f6 30,000 + g8 60,000 won; Commit g10 45,000 + g13 28,000; g14 moved to Best Case on 05-12;
        # g9 slipped to Q3 and g12 was lost; g11 Pipeline 12,000
        ("a3", 100000.0, 90000.0, 73000.0, 40000.0, 12000.0, 0.0, 0.0, 163000.0, 203000.0, 215000.0, 1.63),
        ("b1", 50000.0, 0.0, 0.0, 0.0, 8000.0, 0.0, 0.0, 0.0, 0.0, 8000.0, 0.0),
        ("m1", None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None),
        ("m2", None, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None),
    ]


def test_rollup_matches_the_deals(org):
    """What main checks: closed is this quarter's won_amount; each open column is its own deals closing in it."""
    got = rows(org, """
        with deals as (
            select owner_id as rep_id,
                coalesce(sum(amount) filter (where is_open and forecast_category = 'Commit'), 0) as commit,
                coalesce(sum(amount) filter (where is_open and forecast_category = 'Best Case'), 0) as best_case,
                coalesce(sum(amount) filter (where is_open and forecast_category = 'Pipeline'), 0) as pipeline
            from int_opportunities where close_period = '2026-Q2' group by owner_id)
        select r.rep_id, r.closed = s.won_amount as closed_ok, r.commit = coalesce(d.commit, 0) as commit_ok,
            r.best_case = coalesce(d.best_case, 0) as best_ok, r.pipeline = coalesce(d.pipeline, 0) as pipe_ok
        from rep_forecast_rollup r join rep_scorecard s using (rep_id, period) left join deals d using (rep_id)""")
    assert len(got) == 6 and all(all(v for k, v in r.items() if k != "rep_id") for r in got), got


def test_team_call_beside_the_reps_calls_and_the_crm(org):
    got = table(org, """select team, closed, commit, commit_cumulative, call, call_age_days, is_call_stale,
                               reps_call_sum, reps_called, stale_calls
                        from team_forecast_rollup order by team""")
    assert got == [
        # East: m1's team call 500,000 (05-11, 4 days old) beside the reps' own calls (a2's 60,000) and the CRM's
        # closed 140,000 + Commit 70,000 + 25,000 + 73,000
        ("East", 140000.0, 168000.0, 308000.0, 500000.0, 4, False, 60000.0, 1, 0),
        # West: no team call; b1's monthly calls sum to 40,000, last changed 04-20: 25 days, over stale_days 14
        ("West", 0.0, 0.0, 0.0, None, None, None, 40000.0, 1, 1),
    ]
    own = table(org, "select rep_id, call, call_submitted_at::date::varchar, call_age_days, is_call_stale "
                     "from rep_forecast_rollup where call is not null order by rep_id")
    # b1: 10,000 (April) + 25,000 (May, replacing 20,000) + 5,000 (June)
    assert own == [("a2", 60000.0, "2026-05-12", 3, False), ("b1", 40000.0, "2026-04-20", 25, True)]
    org_row = table(org, "select closed, commit, best_case, pipeline, omitted, call, reps_call_sum, stale_calls "
                         "from org_forecast_rollup")
    assert org_row == [(140000.0, 168000.0, 70000.0, 40000.0, 15000.0, 500000.0, 100000.0, 1)]


# --- week over week -------------------------------------------------------------------------------------------


def test_week_movement_explained_by_deals(org):
    got = table(org, """select forecast_column, opening, added, upgraded, downgraded, amount_changed, won, lost,
                               slipped, other, closing
                        from rep_forecast_movement where rep_id = 'a3' and forecast_column <> 'omitted'
                              and forecast_column <> 'uncategorized' order by forecast_column""")
    assert got == [
        # Best Case: g9 (35,000) slipped to 07-10 on 05-06, g12 (18,000) lost on 05-09
        ("best_case", 53000.0, 0.0, 0.0, 0.0, 0.0, 0.0, -18000.0, -35000.0, 0.0, 0.0),
        # closed: f6 30,000 (won 04-14) + g8 won on 05-05
        ("closed", 30000.0, 0.0, 0.0, 0.0, 0.0, 60000.0, 0.0, 0.0, 0.0, 90000.0),
        # Commit: g8 60,000 + g13 20,000 + g14 40,000; g8 won, g10 upgraded from Pipeline, g13 raised to 28,000;
        # g14 went to Best Case on 05-12, after the week, so it is still Commit at its closing
        ("commit", 120000.0, 0.0, 45000.0, 0.0, 8000.0, -60000.0, 0.0, 0.0, 0.0, 113000.0),
        # Pipeline: g10 (45,000) moved up to Commit; g11 (12,000) was created on 05-08
        ("pipeline", 45000.0, 12000.0, -45000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 12000.0),
    ]
    window = table(org, "select distinct week_start::varchar, week_end::varchar from rep_forecast_movement")
    assert window == [("2026-05-04", "2026-05-10")]
    deals = table(org, """select opportunity_id, forecast_column, movement, change, from_column, to_column
                          from rep_forecast_deal_moves where rep_id = 'a3' order by opportunity_id, forecast_column""")
    assert deals == [
        ("g10", "commit", "upgraded", 45000.0, "pipeline", "commit"),
        ("g10", "pipeline", "upgraded", -45000.0, "pipeline", "commit"),
        ("g11", "pipeline", "added", 12000.0, None, "pipeline"),
        ("g12", "best_case", "lost", -18000.0, "best_case", None),
        ("g13", "commit", "amount_changed", 8000.0, "commit", "commit"),
        ("g8", "closed", "won", 60000.0, "commit", "closed"),
        ("g8", "commit", "won", -60000.0, "commit", "closed"),
        ("g9", "best_case", "slipped", -35000.0, "best_case", None),
    ]
    # the team and org rows are the sums: East's Commit closes at 70,000 + 25,000 + 113,000
    east = table(org, "select opening, closing from team_forecast_movement "
                      "where team = 'East' and forecast_column = 'commit'")
    assert east == [(70000.0 + 25000.0 + 120000.0, 208000.0)]


def test_trend_line_over_the_quarter(org):
    got = table(org, """select snapshot_day::varchar, closed, commit, best_case, pipeline, omitted
                        from team_forecast_trend where team = 'East' order by snapshot_day""")
    days = [g[0] for g in got]
    # the day before the quarter, every Sunday in it before as_of, and as_of
    assert days == ["2026-03-31", "2026-04-05", "2026-04-12", "2026-04-19", "2026-04-26", "2026-05-03", "2026-05-10",
                    "2026-05-15"]
    by_day = {g[0]: g[1:] for g in got}
    assert by_day["2026-03-31"] == (0.0, 30000.0, 0.0, 0.0, 0.0)  # f6 had slipped into Q2, still Commit
    assert by_day["2026-05-03"] == (80000.0, 215000.0, 83000.0, 65000.0, 15000.0)
    assert by_day["2026-05-10"] == (140000.0, 208000.0, 30000.0, 32000.0, 15000.0)
    assert by_day["2026-05-15"] == (140000.0, 168000.0, 70000.0, 32000.0, 15000.0)  # today's roll-up


# --- calls ------------------------------------------------------------------------------------------------------


def test_calls_which_one_counts(org):
    got = table(org, """select rep_id, call_period_start::varchar, submitted_at::varchar, scope, day_of_quarter,
                               is_checkpoint_call, is_latest_call, is_stale
                        from rep_forecast_calls order by rep_id, submitted_at, call_period_start""")
    assert got == [
        ("a1", "2026-01-01", "2026-01-10 09:00:00", "self", 10, False, False, False),
        ("a1", "2026-01-01", "2026-01-28 17:30:00", "self", 28, True, False, False),  # on the checkpoint day: counts
        ("a1", "2026-01-01", "2026-02-10 00:00:00", "self", 41, False, True, False),  # after it: does not
        ("a2", "2026-01-01", "2026-01-05 00:00:00", "self", 5, True, True, False),
        ("a2", "2026-04-01", "2026-05-12 00:00:00", "self", 42, False, True, False),  # after Q2's day 28 (04-28)
        ("b1", "2026-04-01", "2026-04-03 00:00:00", "self", 3, True, True, True),
        ("b1", "2026-05-01", "2026-04-03 00:00:00", "self", 3, False, False, False),  # replaced on 04-20
        ("b1", "2026-06-01", "2026-04-03 00:00:00", "self", 3, True, True, True),
        ("b1", "2026-05-01", "2026-04-20 00:00:00", "self", 20, True, True, True),
        ("m1", "2026-01-01", "2026-01-20 00:00:00", "team", 20, True, False, False),
        ("m1", "2026-01-01", "2026-02-15 00:00:00", "team", 46, False, True, False),
        ("m1", "2026-04-01", "2026-05-11 00:00:00", "team", 41, False, True, False),
    ]  # a1's call of 06-01 is after as_of: not known yet


# --- accuracy ---------------------------------------------------------------------------------------------------


def test_rep_accuracy_of_the_call_at_the_checkpoint(org):
    got = table(org, """select rep_id, forecast, forecast_source, crm_forecast, won, accuracy, bias, forecast_accuracy,
                               accuracy_note
                        from rep_forecast_accuracy where period = '2026-Q1' order by rep_id""")
    assert got == [
        # a1: the 01-28 call (120,000), not the later 200,000; won 150,000: 1 − 30,000/150,000 = 0.8, bias −0.2
        ("a1", 120000.0, "call", 100000.0, 150000.0, A(0.8), A(-0.2), A(0.8), None),
        # a2 called 50,000 and won nothing: 0, and no bias (nothing won to divide by)
        ("a2", 50000.0, "call", 0.0, 0.0, 0.0, None, 0.0, None),
        # a3, no call: the CRM on 01-28, f4 won 20,000 + Commit f5 60,000 + f6 30,000 + f7 10,000 = 120,000;
        # won f4 + f5 + f8 = 180,000: 1 − 60,000/180,000 = 2/3, bias −1/3
        ("a3", 120000.0, "crm", 120000.0, 180000.0, A(2 / 3), A(-1 / 3), A(2 / 3), None),
        # b1: nothing committed on 01-28 (f9 was Best Case), won 40,000: 0, bias −1
        ("b1", 0.0, "crm", 0.0, 40000.0, 0.0, -1.0, 0.0, None),
        ("m1", 0.0, "crm", 0.0, 0.0, None, None, None, "nothing forecast and nothing won"),
        ("m2", 0.0, "crm", 0.0, 0.0, None, None, None, "nothing forecast and nothing won"),
    ]


def test_commit_reliability(org):
    got = table(org, """select rep_id, commit_at_checkpoint, commit_won, commit_slipped, commit_lost,
                               commit_reliability, commit_slipped_share, commit_lost_share
                        from rep_forecast_accuracy where period = '2026-Q1' and rep_id in ('a1', 'a3', 'b1')
                        order by rep_id""")
    assert got == [
        ("a1", 100000.0, 100000.0, 0.0, 0.0, 1.0, 0.0, 0.0),
        # a3: of 100,000 Commit on 01-28, f5 won (60,000), f6 slipped to 04-15 (30,000), f7 lost (10,000)
        ("a3", 100000.0, 60000.0, 30000.0, 10000.0, A(0.6), A(0.3), A(0.1)),
        ("b1", 0.0, 0.0, 0.0, 0.0, None, None, None),  # nothing committed: no data
    ]


def test_team_accuracy_scores_the_managers_call(org):
    got = table(org, """select team, forecast, forecast_source, crm_forecast, won, accuracy, bias
                        from team_forecast_accuracy where period = '2026-Q1' order by team""")
    assert got == [
        # m1's 01-20 call, 300,000, not the 400,000 of 02-15; won 150,000 + 180,000 = 330,000
        ("East", 300000.0, "call", 220000.0, 330000.0, A(10 / 11), A(-1 / 11)),
        ("West", 0.0, "crm", 0.0, 40000.0, 0.0, -1.0),
    ]


def test_the_scorecard_grades_this_accuracy(org):
    got = table(org, """select rep_id, forecast_actual, forecast_ratio, forecast_grade from (
                            select rep_id, actual as forecast_actual, ratio as forecast_ratio, grade as forecast_grade
                            from int_plan_measures where measure_level = 'rep' and dimension = 'forecast'
                              and period = '2026-Q2') order by rep_id""")
    # the current quarter is graded on the last closed one's accuracy against the 0.8 target
    assert got[:4] == [("a1", A(0.8), A(1.0), 4), ("a2", 0.0, 0.0, 1), ("a3", A(2 / 3), A(2 / 3 / 0.8), 3),
                       ("b1", 0.0, 0.0, 1)]


# --- the formulas on hand-written rows (dbt-style unit tests of one model) --------------------------------------

NO_CALLS = ("select 'x' as rep_id, 'x' as team, 'self' as scope, 'x' as period, date '2026-01-01' as period_start, "
            "date '2026-03-31' as period_end, 'checkpoint' as moment, 0.0 as amount, "
            "timestamp '2026-01-01' as submitted_at where false")
NO_UNSEEN = "select 'x' as rep_id, 'x' as period, 0 as unseen_at_start, 0 as unseen_at_checkpoint where false"
NO_OPENING = "select 'x' as rep_id, 'x' as period, 'Commit' as forecast_category, 0.0 as amount where false"


def quarter(rep_id: str, won: float, period: str = "2026-Q1", start: str = "2026-01-01", team: str = "T") -> dict:
    return {"rep_id": rep_id, "team": team, "period": period, "period_start": dt.date.fromisoformat(start),
            "is_closed": True, "won_amount": won}


def checkpoint(rep_id: str, crm: float, commit: float = 0.0, won: float = 0.0, period: str = "2026-Q1",
               unseen: int = 0) -> dict:
    return {"rep_id": rep_id, "period": period, "crm_forecast": crm, "commit_at_checkpoint": commit,
            "commit_won": won, "commit_slipped": commit - won, "commit_lost": 0.0, "unseen_deals": unseen}


def call(rep_id: str, amount: float, scope: str = "self", period: str = "2026-Q1", team: str = "T") -> dict:
    start = dt.date(2026, 1, 1) if period == "2026-Q1" else dt.date(2026, 4, 1)
    return {"rep_id": rep_id, "team": team, "scope": scope, "period": period, "period_start": start,
            "period_end": dt.date(start.year, start.month + 2, 31 if start.month == 1 else 30),
            "moment": "checkpoint", "amount": amount, "submitted_at": dt.datetime(2026, 1, 20)}


def accuracy(scorecard, checkpoints, calls, history_starts_on="2025-12-01", has_category=True, config=None):
    got = rows_of(run_model("int_forecast_accuracy", config=config, given={
        "int_rep_quarters": scorecard,
        "int_pipeline_at_quarter_start": NO_OPENING,
        "int_data_coverage": [{"has_forecast_category": has_category,
                               "history_starts_on": dt.date.fromisoformat(history_starts_on)}],
        "int_forecast_checkpoint": checkpoints,
        "int_quarter_calls": calls or NO_CALLS,
        "int_unseen_deals": NO_UNSEEN,
    }))
    return got


def rows_of(found: list[dict]) -> dict:
    return {(r["forecast_level"], r["rep_id"] or r["team"], r["period"]): r for r in found}


def test_accuracy_formula_edge_cases():
    got = accuracy(
        [quarter("call", 100), quarter("nocall", 100), quarter("over", 100), quarter("wonnothing", 0),
         quarter("bothzero", 0), quarter("nocommit", 40)],
        [checkpoint("call", 50), checkpoint("nocall", 50, commit=50, won=20), checkpoint("over", 10),
         checkpoint("wonnothing", 0), checkpoint("bothzero", 0)],
        [call("call", 80), call("over", 250), call("wonnothing", 30)],
    )
    expect = {  # (forecast, source, accuracy, bias)
        "call": (80, "call", A(0.8), A(-0.2)),          # the call wins over the CRM's 50
        "nocall": (50, "crm", A(0.5), A(-0.5)),         # no call: the CRM forecast at the checkpoint
        "over": (250, "call", 0.0, A(1.5)),             # 1 − 150/100 is below 0: floored at 0
        "wonnothing": (30, "call", 0.0, None),          # a forecast and nothing won: 0, no bias
        "bothzero": (0, "crm", None, None),             # nothing forecast and nothing won: no data
        "nocommit": (0, "crm", 0.0, -1.0),              # no deal at the checkpoint: the CRM forecast is 0
    }
    for rep, (forecast, source, acc, bias) in expect.items():
        r = got[("rep", rep, "2026-Q1")]
        assert (r["forecast"], r["forecast_source"], r["accuracy"], r["bias"]) == (forecast, source, acc, bias), rep
    assert got[("rep", "nocall", "2026-Q1")]["commit_reliability"] == A(0.4)  # 20 of 50 won
    assert got[("rep", "nocommit", "2026-Q1")]["commit_reliability"] is None  # nothing committed: no data
    # the team (no team call): the CRM forecasts summed, 50 + 50 + 10 + 0 + 0 + 0, against 340 won
    team = got[("team", "T", "2026-Q1")]
    assert (team["forecast"], team["forecast_source"], team["won"]) == (110, "crm", 340)
    assert team["accuracy"] == A(1 - 230 / 340)


def test_accuracy_without_history_at_the_checkpoint_scores_only_calls():
    # the deal history starts on 2026-02-01, after Q1's day 28: the CRM forecast then is not known
    got = accuracy([quarter("call", 100), quarter("nocall", 100)], [checkpoint("call", 50)], [call("call", 90)],
                   history_starts_on="2026-02-01")
    assert got[("rep", "call", "2026-Q1")]["accuracy"] == A(0.9)
    nocall = got[("rep", "nocall", "2026-Q1")]
    assert (nocall["forecast"], nocall["crm_forecast"], nocall["accuracy"]) == (None, None, None)
    assert nocall["accuracy_note"] == "no call, and the deal history starts after the checkpoint day (2026-01-28)"
    nocat = accuracy([quarter("nocall", 100)], [checkpoint("nocall", 50)], None, has_category=False)
    assert nocat[("rep", "nocall", "2026-Q1")]["accuracy_note"] == (
        "no call, and the extracts give no forecast category for the CRM forecast")


def test_a_deal_the_history_does_not_show_on_the_checkpoint_day_leaves_the_crm_forecast_unknown():
    """The history covers Q1's day 28, but "gap" had 2 deals created by then that it has no row for that day (a
    history extract that leaves deals out): their state then is not known, so gap's CRM forecast of 40 is not the
    CRM's forecast. It was scored as 40 against 100 won (accuracy 0.4, bias −0.6). Now there is no forecast and a
    note says why; a call still scores; and the team's CRM forecast, which would be "ok"'s 100 alone, is not known
    either (a sum would quietly skip gap's)."""
    got = accuracy([quarter("gap", 100), quarter("called", 100), quarter("ok", 100)],
                   [checkpoint("gap", 40, unseen=2), checkpoint("called", 40, unseen=1), checkpoint("ok", 100)],
                   [call("called", 90)])
    gap = got[("rep", "gap", "2026-Q1")]
    assert (gap["forecast"], gap["crm_forecast"], gap["accuracy"], gap["bias"]) == (None, None, None, None)
    assert gap["accuracy_note"] == ("no call, and the deal history has no row on the checkpoint day (2026-01-28) "
                                    "for 2 deals that may have been open then, so the CRM forecast that day is not "
                                    "known")
    called = got[("rep", "called", "2026-Q1")]
    assert (called["forecast"], called["forecast_source"], called["crm_forecast"]) == (90, "call", None)
    assert got[("rep", "ok", "2026-Q1")]["accuracy"] == 1.0
    team = got[("team", "T", "2026-Q1")]
    assert (team["crm_forecast"], team["forecast"], team["accuracy"]) == (None, None, None)
    assert team["accuracy_note"].startswith("no call, and the deal history has no row on the checkpoint day "
                                            "(2026-01-28) for 3 deals")


def test_the_checkpoint_counts_deals_the_history_leaves_out(tmp_path):
    """tiny, plus o9: r1's deal created 2026-01-15 and won 2026-02-25 for 25,000, with no row in
    opportunity_history. Its first known state is today's extract (2026-05-15), after Q1's day 28 (01-28), so r1
    has 1 unseen deal on that day. o10, created 2026-02-10 (after the checkpoint), and o11, closed 2025-12-20
    (before the quarter), could not have been in Q1's forecast that day: not counted. r1's Q1 forecast accuracy is
    then not known, where it was scored as a CRM forecast of 0 (o9 taken as absent that day) against 175,000 won:
    accuracy 0 and a −100% bias."""
    config = org_with("tiny", tmp_path / "org", {
        "opportunities.csv": [
            "o9,r1,Ivy,Ivy deal,Closed Won,25000,2026-01-15,2026-02-25,Closed,,2026-02-24",
            "o10,r1,Jet,Jet deal,Closed Lost,5000,2026-02-10,2026-03-05,Omitted,,2026-03-04",
            "o11,r1,Kit,Kit deal,Closed Lost,5000,2025-11-01,2025-12-20,Omitted,,2025-12-19",
        ],
    })
    con = models_on(config, tmp_path)
    assert rows(con, "select rep_id, period, unseen_deals from int_forecast_checkpoint where unseen_deals > 0") == [
        {"rep_id": "r1", "period": "2026-Q1", "unseen_deals": 1}]
    r1 = rows(con, "select won, crm_forecast, accuracy from rep_forecast_accuracy "
                   "where rep_id = 'r1' and period = '2026-Q1'")
    assert r1 == [{"won": 175000.0, "crm_forecast": None, "accuracy": None}]


def test_a_team_call_is_the_teams_forecast():
    got = accuracy([quarter("r1", 100), quarter("r2", 50), quarter("m1", 0)], [checkpoint("r1", 60)],
                   [call("r1", 70), call("m1", 120, scope="team")])
    team = got[("team", "T", "2026-Q1")]
    assert (team["forecast"], team["forecast_source"], team["accuracy"]) == (120, "call", A(1 - 30 / 150))
    assert got[("rep", "m1", "2026-Q1")]["forecast_source"] == "crm"  # a team call is not the manager's own


def test_a_call_is_scored_even_outside_the_callers_scorecard_quarters():
    # "gone" has no scorecard row for Q1 (they left before it), yet called 30: they won nothing, so 0
    got = accuracy([quarter("r1", 100)], [checkpoint("r1", 60)], [call("gone", 30)])
    gone = got[("rep", "gone", "2026-Q1")]
    assert (gone["forecast"], gone["forecast_source"], gone["won"], gone["accuracy"]) == (30, "call", 0, 0.0)


def test_no_forecast_grade_from_fewer_than_min_quarters():
    scorecard = [quarter("r1", 100), quarter("r1", 100, "2026-Q2", "2026-04-01"), quarter("r2", 0),
                 quarter("r2", 100, "2026-Q2", "2026-04-01")]
    checkpoints = [checkpoint("r1", 90), checkpoint("r1", 80, period="2026-Q2"), checkpoint("r2", 0),
                   checkpoint("r2", 50, period="2026-Q2")]
    got = accuracy(scorecard, checkpoints, None, config={"forecast": {"min_quarters": 2}})
    first, second = got[("rep", "r1", "2026-Q1")], got[("rep", "r1", "2026-Q2")]
    assert (first["accuracy"], first["quarters_with_forecast"], first["forecast_accuracy"]) == (A(0.9), 1, None)
    assert first["accuracy_note"] == "1 closed quarter with a forecast so far, fewer than forecast.min_quarters (2)"
    assert (second["quarters_with_forecast"], second["forecast_accuracy"]) == (2, A(0.8))
    # r2's Q1 had nothing forecast and nothing won: it is not a quarter with a forecast
    assert got[("rep", "r2", "2026-Q2")]["quarters_with_forecast"] == 1
    assert got[("rep", "r2", "2026-Q2")]["forecast_accuracy"] is None


def test_monthly_calls_sum_into_their_quarter_and_a_later_call_replaces():
    def c(month: int, day: int, amount: float, submitted_day: str) -> dict:
        return {"rep_id": "r1", "team": "T", "period": "2026-Q1", "period_start": dt.date(2026, 1, 1),
                "period_end": dt.date(2026, 3, 31), "call_period_start": dt.date(2026, month, day), "scope": "self",
                "submitted_at": dt.datetime.fromisoformat(submitted_day), "amount": amount, "category": "Commit",
                "is_checkpoint_call": False, "is_latest_call": False, "checkpoint_day": dt.date(2026, 1, 28)}

    calls = [c(1, 1, 10, "2026-01-02"), c(2, 1, 20, "2026-01-02"), c(2, 1, 25, "2026-01-20"), c(3, 1, 5, "2026-01-02")]
    flagged = run_model("int_forecast_calls", as_of="2026-05-15", given={
        "stg_forecast_calls": [{k: v for k, v in x.items() if k in (
            "rep_id", "call_period_start", "submitted_at", "amount", "category")} | {
            "submitted_on": x["submitted_at"].date(), "submitted_by": None, "scope": None} for x in calls],
        "int_reps": [{"rep_id": "r1", "team": "T", "is_manager": False}],
        "int_fiscal_quarters": [{"period": "2026-Q1", "period_start": dt.date(2026, 1, 1),
                                 "period_end": dt.date(2026, 3, 31)}],
    }, order_by="call_period_start, submitted_at")
    assert [(r["call_period_start"].month, r["amount"], r["is_checkpoint_call"]) for r in flagged] == [
        (1, 10, True), (2, 20, False), (2, 25, True), (3, 5, True)]
    summed = run_model("int_quarter_calls", as_of="2026-05-15", given={"int_forecast_calls": flagged},
                       order_by="moment")
    assert [(r["moment"], r["amount"], r["parts"]) for r in summed] == [("checkpoint", 40, 3), ("latest", 40, 3)]


def test_accuracy_and_bias_macros():
    con = duckdb.connect()
    models.prepare(con, Config(), load_catalog(), dt.date(2026, 5, 15))
    got = con.execute("""select won, forecast, forecast_accuracy(won, forecast), forecast_bias(won, forecast)
                         from (values (100, 80), (100, 120), (100, 300), (0, 50), (0, 0), (100, null))
                         as t(won, forecast)""").fetchall()
    assert got == [(100, 80, 0.8, -0.2), (100, 120, 0.8, 0.2), (100, 300, 0.0, 2.0), (0, 50, 0.0, None),
                   (0, 0, None, None), (100, None, None, None)]


def test_bias_and_accuracy_of_equal_sums_added_in_another_order_are_exact():
    """0.1 + 0.2 + 0.3 is 0.6000000000000001 in doubles, 0.3 + 0.2 + 0.1 is 0.6: the same deals forecast and won,
    added up in two orders (as DuckDB's threads may), are a forecast that was exactly right: bias 0, accuracy 1.
    A real gap of one cent on 0.60 still shows: (0.61 - 0.6) / 0.6 = 1/60; so does one cent on a million (a
    hundred-millionth of it, ten times the billionth below which a difference is taken as 0)."""
    con = duckdb.connect()
    models.prepare(con, Config(), load_catalog(), dt.date(2026, 5, 15))
    won, forecast = 0.3 + 0.2 + 0.1, 0.1 + 0.2 + 0.3
    assert forecast != won
    got = con.execute("select forecast_bias(?, ?), forecast_accuracy(?, ?), forecast_bias(?, 0.61), "
                      "amount_difference(1000000.01::double, 1000000::double)",
                      [won, forecast, won, forecast, won]).fetchone()
    assert got[:2] == (0.0, 1.0)
    assert got[2] == pytest.approx(1 / 60)
    assert got[3] == pytest.approx(0.01)


def test_hide_amounts_keeps_every_forecast_amount_out_of_the_rep_downloads():
    from pipelines.exports import hidden_columns
    from pipelines.settings import parse_config

    cfg = parse_config({"privacy": {"hide_amounts": True}}, FIXTURES / "config.yml")
    catalog = load_catalog()
    rollup = catalog.model("rep_forecast_rollup")
    hidden = hidden_columns(cfg, rollup)
    assert {"closed", "commit", "best_case", "pipeline", "call", "reps_call_sum", "commit_cumulative"} <= hidden
    assert "quota" not in hidden  # hide_quotas decides on quotas
    accuracy_hidden = hidden_columns(cfg, catalog.model("rep_forecast_accuracy"))
    assert {"forecast", "won", "crm_forecast", "commit_at_checkpoint", "commit_at_start"} <= accuracy_hidden
    assert not {"accuracy", "bias", "commit_reliability"} & accuracy_hidden


def test_a_deal_the_history_leaves_out_makes_the_opening_pipeline_unknown(tmp_path):
    """metrics (history from 2025-12-01), plus o99: r2's Commit deal of 30,000, created 2025-12-10 and still open
    (close 2026-06-30), with no row in opportunity_history. Its first known state is today's extract, so what it
    was on 2026-Q1's eve (12-31) and day 28 (01-28) is not known: it may well have been in Q1's opening pipeline
    and Commit. r2's Q1 opening pipeline was 0 (coverage 0 against 28,667 to close), and East's 120,000 (0.43×)
    quietly left it out: both are now no data, as are the org's, r2's and East's commit at the start and CRM
    forecast. r1's own figures (120,000 opening, 120,000 Commit) stay known."""
    config = org_with("metrics", tmp_path / "org", {
        "opportunities.csv": ["o99,r2,Zulu,Zulu deal,Proposal,30000,2025-12-10,2026-06-30,Commit,Call,2026-05-01"],
    })
    con = models_on(config, tmp_path)
    assert rows(con, "select rep_id, period, unseen_at_start, unseen_at_checkpoint from int_unseen_deals "
                     "where period = '2026-Q1'") == [
        {"rep_id": "r2", "period": "2026-Q1", "unseen_at_start": 1, "unseen_at_checkpoint": 1}]
    got = {(r["rollup_level"], r["rep_id"]): (r["open_pipeline"], r["pipeline_coverage"]) for r in rows(
        con, "select rollup_level, rep_id, open_pipeline, pipeline_coverage from int_scorecard_rollup "
             "where period = '2026-Q1' and (team = 'East' or rollup_level = 'org')")}
    assert got == {("rep", "r1"): (120000.0, 0.6), ("rep", "m1"): (0.0, 0.0), ("rep", "r2"): (None, None),
                   ("team", None): (None, None), ("org", None): (None, None)}
    forecast = {(r["forecast_level"], r["rep_id"]): (r["commit_at_start"], r["crm_forecast"]) for r in rows(
        con, "select forecast_level, rep_id, commit_at_start, crm_forecast from int_forecast_accuracy "
             "where period = '2026-Q1' and team = 'East'")}
    assert forecast == {("rep", "r1"): (120000.0, 120000.0), ("rep", "m1"): (0.0, 60000.0), ("rep", "r2"): (None, None),
                        ("team", None): (None, None)}


def test_the_trend_has_no_data_on_days_a_deal_the_history_leaves_out_is_not_known(tmp_path):
    """metrics plus o99, r2's Commit deal of 30,000 created 2025-12-10 and closing 2026-06-30, with no row in
    opportunity_history: its first known state is today's extract (05-15). On every earlier trend day of 2026-Q2
    (03-31 and the Sundays 04-05 to 05-10) it existed and may have been Commit, so r2's roll-up there (0, which
    left it out) is no data, and so are East's and the org's. On 05-15 it is known: r2's Commit is 30,000 and
    East's 80,000 (r1) + 30,000 = 110,000. r1's and m1's days all stay known."""
    con = models_on(org_with("metrics", tmp_path / "org", {"opportunities.csv": [
        "o99,r2,Zulu,Zulu deal,Proposal,30000,2025-12-10,2026-06-30,Commit,Call,2026-05-01"]}), tmp_path)
    got = rows(con, "select trend_level, rep_id, snapshot_day::varchar as day, commit, unseen_deals "
                    "from int_forecast_trend where trend_level <> 'rep' or rep_id = 'r2' order by all")
    by = {(r["trend_level"], r["day"]): (r["commit"], r["unseen_deals"]) for r in got if r["trend_level"] != "team"}
    by |= {("East", r["day"]): (r["commit"], r["unseen_deals"]) for r in got if r["trend_level"] == "team"}
    earlier = ["2026-03-31", "2026-04-05", "2026-04-12", "2026-04-19", "2026-04-26", "2026-05-03", "2026-05-10"]
    for level in ("rep", "East", "org"):
        assert [by[(level, day)] for day in earlier] == [(None, 1)] * 7, level
    assert by[("rep", "2026-05-15")] == (30000.0, 0)
    assert by[("East", "2026-05-15")] == (110000.0, 0)
    assert rows(con, "select count(*) as n from int_forecast_trend where rep_id in ('r1', 'm1') and "
                     "(closed is null or unseen_deals > 0)") == [{"n": 0}]


def test_the_week_has_no_data_when_a_deal_the_history_leaves_out_is_not_known(tmp_path):
    """metrics plus o99 (as in the trend test above): the last full week is 05-04 to 05-10, and o99 is first known
    on 05-15, so what it was at the week's opening (end of 05-03) and closing (end of 05-10) is not known. r2's
    week (Commit 0 to 0, which left it out), East's (80,000 to 80,000, r1's alone) and the org's are no data;
    r1's 80,000 to 80,000 and all of West's stay known."""
    con = models_on(org_with("metrics", tmp_path / "org", {"opportunities.csv": [
        "o99,r2,Zulu,Zulu deal,Proposal,30000,2025-12-10,2026-06-30,Commit,Call,2026-05-01"]}), tmp_path)
    got = {(r["movement_level"], r["rep_id"] or r["team"]): (r["opening"], r["closing"], r["unseen_deals"])
           for r in rows(con, "select * from int_forecast_movement where forecast_column = 'commit'")}
    assert got[("rep", "r2")] == got[("team", "East")] == got[("org", None)] == (None, None, 1)
    assert got[("rep", "r1")] == (80000.0, 80000.0, 0)
    assert got[("team", "West")][2] == 0 and got[("team", "West")][0] is not None


def test_a_rep_without_quota_does_not_blank_the_coverage_and_a_deal_without_created_date_is_unseen(tmp_path):
    """metrics plus two deals with no row in opportunity_history:
    - o98, r3's open deal created 2025-12-10 (closes 2026-06-30). r3 has no 2026-Q1 quota, so adds nothing to
      coverage: West's Q1 opening pipeline is no data, but its coverage, which r3 is not in, stays known (0, as
      without o98). It went null.
    - o97, r2's open deal with no created date: an opportunity_history extract is given and has no row for it, so
      it may have existed on Q1's eve: r2's Q1 opening pipeline is no data, and with it East's and the org's
      coverage (r2 had 28,667 to close). (Only deals with a created date were counted.)"""
    config = org_with("metrics", tmp_path / "org", {
        "opportunities.csv": [
            "o98,r3,Yak,Yak deal,Proposal,30000,2025-12-10,2026-06-30,Commit,Call,2026-05-01",
            "o97,r2,Xen,Xen deal,Proposal,5000,,2026-06-30,Pipeline,Call,2026-05-01",
        ],
    })
    con = models_on(config, tmp_path)
    unseen = rows(con, "select rep_id, unseen_at_start from int_unseen_deals where period = '2026-Q1' order by 1")
    assert unseen == [{"rep_id": "r2", "unseen_at_start": 1}, {"rep_id": "r3", "unseen_at_start": 1}]
    got = {(r["rollup_level"], r["team"]): (r["open_pipeline"], r["pipeline_coverage"]) for r in rows(
        con, "select rollup_level, team, open_pipeline, pipeline_coverage from int_scorecard_rollup "
             "where period = '2026-Q1' and rollup_level in ('team', 'org')")}
    assert got == {("team", "West"): (None, 0.0), ("team", "East"): (None, None), ("org", None): (None, None)}


def test_a_deal_without_created_date_that_the_history_shows_is_not_unseen(tmp_path):
    """metrics with o4's created date left empty: its history rows start on 2026-03-01, which is when its first
    known state starts, so it was seen on every day that matters; nothing is unseen (it made r1's, East's and
    the org's Q1 opening pipeline no data)."""
    shutil.copytree(FIXTURES / "metrics", tmp_path / "org")
    deals = tmp_path / "org" / "opportunities.csv"
    lines = deals.read_text(encoding="utf-8").splitlines()
    fields = lines[0].split(",")
    out = [lines[0]]
    for line in lines[1:]:
        row = line.split(",")
        if row[0] == "o4":
            row[fields.index("created_date")] = ""
        out.append(",".join(row))
    deals.write_text("\n".join(out) + "\n", encoding="utf-8")
    con = models_on(tmp_path / "org" / "config.yml", tmp_path)
    assert rows(con, "select * from int_unseen_deals") == []
