"""privacy.hide_quotas hides what is attainment, whatever column, row or page it is in.

Attainment is not only the `attainment` column: a rep's Results grade is attainment against the pace of a
typical quarter, a rep's attainment alert prints it as the actual, and a contest on attainment ranks by it.
Rows made by hand here; test_audiences checks a built audience site.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.catalog import load_catalog
from pipelines.exports import hidden_columns, hidden_rows
from pipelines.page_contexts import grades, shown_alerts, top_alerts
from pipelines.page_data import Bundle
from pipelines.settings import parse_config
from tests.helpers import run_model

FIXTURES = Path(__file__).parent / "fixtures"


def _cfg(**privacy_and_site):
    site = {k: v for k, v in privacy_and_site.items() if k.startswith("contest")}
    privacy = {k: v for k, v in privacy_and_site.items() if k not in site}
    return parse_config({"privacy": privacy, "site": site}, FIXTURES / "config.yml")


def test_the_contest_value_is_hidden_by_the_kind_of_the_metric_it_ranks():
    """team_leaderboard.value is an attainment, an amount or a count as site.contest_metric says, and privacy hides
    it as that kind: attainment under hide_quotas, won_amount under hide_amounts, deals_won under neither."""
    board = load_catalog().model("team_leaderboard")
    assert "value" in hidden_columns(_cfg(hide_quotas=True, contest_metric="attainment"), board)
    assert "value" not in hidden_columns(_cfg(hide_amounts=True, contest_metric="attainment"), board)
    assert "value" in hidden_columns(_cfg(hide_amounts=True, contest_metric="won_amount"), board)
    assert "value" not in hidden_columns(_cfg(hide_quotas=True, contest_metric="won_amount"), board)
    assert "value" not in hidden_columns(_cfg(hide_amounts=True, hide_quotas=True, contest_metric="deals_won"), board)


def test_hide_quotas_hides_a_reps_results_grade_and_ratio_in_the_download_not_a_teams():
    catalog = load_catalog()
    cfg = _cfg(hide_quotas=True)
    assert {"results_ratio", "results_grade"} <= hidden_columns(cfg, catalog.model("rep_balanced_scorecard"))
    assert not {"pipeline_ratio", "pipeline_grade", "overall_grade"} & hidden_columns(
        cfg, catalog.model("rep_balanced_scorecard"))
    assert not hidden_columns(cfg, catalog.model("team_balanced_scorecard")) & {"results_ratio", "results_grade"}


def test_money_at_risk_is_hidden_by_either_switch():
    """Each dimension's money at risk is a gap times the quota (results: expected_share × quota − won): with the
    won amount and expected share published it gives the quota back, and it is an amount. Either switch hides it."""
    catalog = load_catalog()
    at_risk = {"money_at_risk", "results_at_risk", "pipeline_at_risk", "cycle_at_risk"}
    for privacy in ({"hide_quotas": True}, {"hide_amounts": True}):
        assert at_risk <= hidden_columns(_cfg(**privacy), catalog.model("rep_balanced_scorecard")), privacy
        assert "money_at_risk" in hidden_columns(_cfg(**privacy), catalog.model("rep_alerts")), privacy
    assert not at_risk & hidden_columns(_cfg(), catalog.model("rep_balanced_scorecard"))
    assert not at_risk & hidden_columns(_cfg(hide_quotas=True), catalog.model("team_balanced_scorecard"))


def test_hide_quotas_leaves_the_attainment_rows_out_of_rep_alerts_only():
    catalog = load_catalog()
    on, off = _cfg(hide_quotas=True).privacy, _cfg().privacy
    assert hidden_rows(catalog.model("rep_alerts"), on) == "dimension is distinct from 'results'"
    assert hidden_rows(catalog.model("rep_alerts"), off) == "true"
    assert hidden_rows(catalog.model("team_alerts"), on) == "true"  # team totals stay


def _row(**grades_and_ratios) -> dict:
    return {f"{k}_{part}": None for k in ("results", "pipeline", "conversion", "activity", "discipline", "forecast",
                                           "cycle") for part in ("grade", "ratio", "note", "at_risk")} | grades_and_ratios


def test_grades_show_results_as_hidden_and_leave_the_other_dimensions():
    """Results 5 at 2.65× pace with 1,000 at risk, Pipeline 2 at 0.6× with 4,000: hidden, Results has no grade,
    ratio or money at risk (so no 1:1 focus and no strength picks it); Pipeline is as it was."""
    row = _row(results_grade=5, results_ratio=2.65, results_at_risk=1000.0, pipeline_grade=2, pipeline_ratio=0.6,
               pipeline_at_risk=4000.0)
    shown = {g["key"]: g for g in grades(row, hide_quotas=True)}
    assert (shown["results"]["grade"], shown["results"]["ratio"], shown["results"]["at_risk"]) == (None, None, None)
    assert shown["results"]["hidden"] and not shown["pipeline"]["hidden"]
    assert (shown["pipeline"]["grade"], shown["pipeline"]["ratio"], shown["pipeline"]["at_risk"]) == (2, 0.6, 4000.0)
    assert {g["key"]: g["grade"] for g in grades(row)}["results"] == 5


def test_a_reps_attainment_alert_is_left_out_and_the_teams_own_stays():
    """Rep r1 is off plan on attainment (1,000 at risk) and on win rate (500); the team on attainment (3,000).
    With hide_quotas the team's top alerts are the team's attainment and r1's win rate."""
    rep = [
        {"rep_id": "r1", "metric": "attainment", "dimension": "results", "is_worse": True, "money_at_risk": 1000.0},
        {"rep_id": "r1", "metric": "win_rate", "dimension": "conversion", "is_worse": True, "money_at_risk": 500.0},
    ]
    team = [{"rep_id": None, "metric": "attainment", "dimension": "results", "is_worse": True, "money_at_risk": 3000.0}]
    assert [a["metric"] for a in shown_alerts(rep, hide_quotas=True)] == ["win_rate"]
    assert [a["metric"] for a in shown_alerts(rep, hide_quotas=False)] == ["attainment", "win_rate"]
    b = Bundle([], {}, {"r1": {"alerts": rep}}, {}, {}, 2)
    got = top_alerts(team, [{"rep_id": "r1"}], b, hide_quotas=True)
    assert [(a["rep_id"], a["metric"]) for a in got] == [(None, "attainment"), ("r1", "win_rate")]


def test_the_count_of_reps_with_alerts_outside_results_leaves_the_attainment_alert_out():
    """Team North, this quarter: a1 is off plan on attainment only, a2 on attainment and win rate, a3 on nothing.
    people_with_alerts: 2 on the team row (a1, a2), 1 on a1's and a2's rows; outside results: 1 (a2) on the team
    row, 0 on a1's, 1 on a2's. An audience that hides quotas is shown the second, and a rep's own count (which
    would tell that a1 has an attainment alert) is left out of the per-rep download."""
    measures = [
        {"measure_level": level, "rep_id": rep, "team": "North", "period": "2026-Q2", "is_current": True,
         "dimension": dim, "ratio": 1.0, "grade": 3, "note": None, "money_at_risk": 0.0, "is_graded": True}
        for level, rep in (("team", None), ("rep", "a1"), ("rep", "a2"), ("rep", "a3"))
        for dim in ("results", "pipeline", "conversion", "activity", "discipline", "forecast", "cycle")
    ]
    alerts = [{"alert_level": "rep", "rep_id": rep, "team": "North", "dimension": dim, "is_worse": True}
              for rep, dim in (("a1", "results"), ("a2", "results"), ("a2", "conversion"))]
    got = {r["rep_id"]: (r["people_with_alerts"], r["people_with_alerts_outside_results"])
           for r in run_model("int_balanced_scorecard", {"int_plan_measures": measures, "int_alerts": alerts})}
    assert got == {None: (2, 1), "a1": (1, 0), "a2": (1, 1), "a3": (0, 0)}
    catalog = load_catalog()
    assert {"people_with_alerts", "results_note"} <= hidden_columns(_cfg(hide_quotas=True),
                                                                     catalog.model("rep_balanced_scorecard"))
    assert "people_with_alerts_outside_results" not in hidden_columns(
        _cfg(hide_quotas=True), catalog.model("rep_balanced_scorecard"))
    assert "people_with_alerts" not in hidden_columns(_cfg(), catalog.model("rep_balanced_scorecard"))
    assert "people_with_alerts" not in hidden_columns(_cfg(hide_quotas=True), catalog.model("team_balanced_scorecard"))


def test_a_team_entry_counts_the_reps_with_alerts_the_audience_sees():
    """team_list gives the pages the count outside results where quotas are hidden, the whole count elsewhere."""
    from pipelines.page_contexts import team_list
    from pipelines.page_data import Calendar

    quarter = {"period": "2026-Q2", "is_current": True, "period_start": None, "period_end": None,
               "fiscal_year": 2026, "fiscal_quarter": 2}
    bsc = {"period": "2026-Q2", "people_with_alerts": 2, "people_with_alerts_outside_results": 1}
    team = {k: [] for k in ("scorecard", "alerts", "selling", "pareto")} | {"grades": [bsc]}
    b = Bundle([], {}, {}, {"North": team}, {}, 2)
    cal = Calendar([quarter], 1)
    assert [t["people_with_alerts"] for t in team_list(b, cal)] == [2]
    assert [t["people_with_alerts"] for t in team_list(b, cal, hide_quotas=True)] == [1]
