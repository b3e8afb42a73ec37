"""Grades mean what they say: reachable scales, exact boundaries, who is graded, no grade from missing data.

tests/fixtures/grades: as_of 2026-05-15, calendar quarters (2026-Q2 is day 45 of 91; 2026-Q1 won nothing, so
the pace is the calendar's 45/91). vp has no quota; a1's only open deal has an amount, a next step, a future
close date and activity today; a2's open deal has no next step, a past close date and no activity since
02-01. There is no activities extract and no forecast category.
"""

import datetime as dt

import duckdb
import pytest

from pipelines import models
from pipelines.catalog import load_catalog
from pipelines.settings import Config
from tests.helpers import FIXTURES, models_on, org_with, rows, run_model


@pytest.fixture(scope="module")
def grades_org(tmp_path_factory):
    return models_on(FIXTURES / "grades" / "config.yml", tmp_path_factory.mktemp("grades"))


@pytest.fixture(scope="module")
def sql():
    con = duckdb.connect()
    models.prepare(con, Config(), load_catalog(), dt.date(2026, 5, 15))
    return lambda expr: con.execute(f"select {expr}").fetchone()[0]


@pytest.mark.parametrize(
    "ratio, grade",
    [
        (0.4999, 1), (0.5, 2), (0.7999, 2), (0.8, 3), (0.9999, 3), (1.0, 4), (1.1999, 4), (1.2, 5), (7.0, 5),
        # compared at grades.precision = 4 decimals: 2.4× coverage against 3× is 0.7999999999999999, i.e. 0.8
        (2.4 / 3, 3), (0.49999, 2), (None, None),
    ],
)
def test_default_scale_boundaries(sql, ratio, grade):
    value = "null::double" if ratio is None else repr(ratio)
    assert sql(f"grade({value}, getvariable('grade_cutoffs')['results'])") == grade


@pytest.mark.parametrize("score, grade", [(1.0, 5), (0.99, 5), (0.9, 4), (0.72, 3), (0.54, 2), (0.5399, 1)])
def test_a_perfect_discipline_score_reaches_grade_5(sql, score, grade):
    """Discipline is graded on score ÷ 0.9 against 0.6 / 0.8 / 1.0 / 1.1: 1.0 / 0.9 = 1.111 reaches 1.1."""
    assert sql(f"grade(round({score} / 0.9, 4), getvariable('grade_cutoffs')['discipline'])") == grade


@pytest.mark.parametrize(
    "hired, as_of, months",
    [
        ("2026-01-31", "2026-02-28", 0),  # relativedelta counts this as 0 months, 28 days
        ("2026-01-31", "2026-03-31", 2),
        ("2026-01-31", "2026-03-30", 1),
        ("2025-11-18", "2026-05-15", 5),  # 6 month boundaries, but the 18th has not come yet
        ("2025-11-18", "2026-05-18", 6),
        ("2024-02-29", "2025-02-28", 11),
    ],
)
def test_months_since_hire_are_completed_months(hired, as_of, months):
    got = run_model("rep_directory", as_of=as_of, given={"int_reps": [
        {"rep_id": "x", "name": "X", "team": "T", "manager_id": None, "role": "AE",
         "hire_date": dt.date.fromisoformat(hired), "email": None, "is_active": True, "is_manager": False},
    ]})
    assert got[0]["months_since_hire"] == months
    assert got[0]["is_new_hire"] == (months < 9)


def test_a_vp_without_quota_has_no_grade(grades_org):
    vp = rows(grades_org, "select * from rep_balanced_scorecard where rep_id = 'vp' and is_current")
    assert len(vp) == 1
    assert not vp[0]["is_graded"] and vp[0]["overall_grade"] is None and vp[0]["graded_dimensions"] == 0
    assert all(vp[0][f"{d}_grade"] is None for d in
               ("results", "pipeline", "conversion", "activity", "discipline", "forecast", "cycle"))
    assert vp[0]["overall_note"].startswith("not graded")
    assert rows(grades_org, "select * from rep_alerts where rep_id = 'vp'") == []


def test_clean_open_deals_give_discipline_grade_5(grades_org):
    got = dict(grades_org.execute("select rep_id, discipline_grade from rep_balanced_scorecard where is_current "
                                  "and rep_id <> 'vp' order by rep_id").fetchall())
    assert got == {"a1": 5, "a2": 1}  # a2: no next step, close date passed, untouched since 02-01


def test_no_grade_or_alert_from_a_missing_table(grades_org):
    got = rows(grades_org, "select rep_id, activity_grade, activity_note, forecast_grade, forecast_note "
                           "from rep_balanced_scorecard where is_current and rep_id <> 'vp' order by rep_id")
    for r in got:
        assert r["activity_grade"] is None and r["activity_note"] == "no activities extract"
        assert r["forecast_grade"] is None
        assert r["forecast_note"] == "no call, and the extracts give no forecast category for the CRM forecast"
    metrics = {m for (m,) in grades_org.execute("select metric from rep_alerts union select metric from team_alerts")
               .fetchall()}
    assert not metrics & {"activities_per_week", "forecast_accuracy"}


def test_results_are_judged_against_pace(grades_org):
    """a1 won 30,000 of 100,000 by day 45 of 91: 0.3 ÷ (45/91) = 0.607, grade 2, not 0.3 (grade 1)."""
    a1 = rows(grades_org, "select results_ratio, results_grade from rep_balanced_scorecard "
                          "where rep_id = 'a1' and is_current")[0]
    assert a1 == {"results_ratio": pytest.approx(0.3 / (45 / 91)), "results_grade": 2}


def test_a_won_deal_without_an_amount_withholds_the_results_and_pipeline_grades(tmp_path):
    """grades, plus o5: a2 won a deal on 05-12 whose amount the CRM left empty. a2's won amount, 5,000 of 100,000,
    is then only a lower bound: graded as it stood, 0.05 ÷ (45/91) = 0.10 gave Results 1 and a −90% attainment
    alert, and the 95,000 "left to close" gave Pipeline 1 (20,000 ÷ 95,000 = 0.21× against 3×). Neither is known:
    both grades are withheld with a note saying why, and no alert is raised from them; the team North, whose
    won amount includes a2's, likewise. a1 (no such deal) keeps Results 2."""
    config = org_with("grades", tmp_path / "org", {
        "opportunities.csv": ["o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11"],
    })
    con = models_on(config, tmp_path)
    got = {r["rep_id"]: r for r in rows(con, "select rep_id, results_grade, results_note, pipeline_grade, "
                                              "pipeline_note from rep_balanced_scorecard where is_current")}
    assert got["a2"] == {
        "rep_id": "a2", "results_grade": None,
        "results_note": "1 won deal without an amount: attainment is at least 5%, not known",
        "pipeline_grade": None,
        "pipeline_note": "1 won deal without an amount: what is left to close is not known",
    }
    assert got["a1"]["results_grade"] == 2
    north = rows(con, "select results_grade, pipeline_grade from team_balanced_scorecard "
                      "where team = 'North' and is_current")
    assert north == [{"results_grade": None, "pipeline_grade": None}]
    alerts = rows(con, "select metric from rep_alerts where rep_id = 'a2' union all "
                       "select metric from team_alerts where team = 'North'")
    assert not {a["metric"] for a in alerts} & {"attainment", "pipeline_coverage"}


SCORECARD = ("select rollup_level, rep_id, team, gap_to_quota, pipeline_coverage, quota_met, pipeline_needed "
             "from int_scorecard_rollup where is_current and coalesce(team, '') <> 'Leadership' order by all")


def test_a_won_deal_without_an_amount_leaves_the_gap_and_coverage_unknown(tmp_path):
    """grades, plus o5: a2 won a deal on 05-12 with no amount. a2's known won amount, 5,000, is below the 100,000
    quota, so what a2 still has to close is somewhere between 0 and 95,000: the gap, coverage (20,000 open ÷
    95,000 would be 0.21×), "quota met" and the pipeline still needed (3 × 95,000 − 20,000 = 265,000) are not
    known, so null; so are North's and the org's, which add a2's up. a1, with every win priced, keeps a gap of
    100,000 − 30,000 = 70,000, coverage 10,000 ÷ 70,000 = 0.142857× and 3 × 70,000 − 10,000 = 200,000 still
    needed. Attainment stays the known lower bound, 5% (the page says "at least")."""
    con = models_on(org_with("grades", tmp_path / "org", {"opportunities.csv": [
        "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11"]}), tmp_path)
    unknown = {"gap_to_quota": None, "pipeline_coverage": None, "quota_met": None, "pipeline_needed": None}
    assert rows(con, SCORECARD) == [
        {"rollup_level": "org", "rep_id": None, "team": None, **unknown},
        {"rollup_level": "rep", "rep_id": "a1", "team": "North", "gap_to_quota": 70000.0,
         "pipeline_coverage": pytest.approx(10000 / 70000), "quota_met": False, "pipeline_needed": 200000.0},
        {"rollup_level": "rep", "rep_id": "a2", "team": "North", **unknown},
        {"rollup_level": "team", "rep_id": None, "team": "North", **unknown},
    ]
    assert rows(con, "select attainment from rep_scorecard where rep_id = 'a2' and is_current") == [
        {"attainment": 0.05}]


def test_a_quota_met_by_the_priced_wins_is_met_whatever_the_unpriced_one_is_worth(tmp_path):
    """grades, plus o5 (won, no amount) and o6 (won, 100,000) for a2: a2's known 105,000 already meets the
    100,000 quota, so a2's quota is met, the gap is 0, and a2 adds nothing to North's coverage, which is a1's
    10,000 ÷ 70,000. North's own 135,000 of 200,000 does not meet its quota, and o5 may be worth anything: the
    team's gap and "quota met" are not known. The Pipeline grade reads "quota met", not "not known"."""
    con = models_on(org_with("grades", tmp_path / "org", {"opportunities.csv": [
        "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11",
        "o6,a2,Fox,Fox won,Closed Won,100000,2026-04-03,2026-05-13,,2026-05-11"]}), tmp_path)
    got = {(r["rollup_level"], r["rep_id"]): r for r in rows(con, SCORECARD)}
    assert got[("rep", "a2")] == {"rollup_level": "rep", "rep_id": "a2", "team": "North", "gap_to_quota": 0.0,
                                  "pipeline_coverage": None, "quota_met": True, "pipeline_needed": None}
    north = got[("team", None)]
    assert (north["gap_to_quota"], north["quota_met"]) == (None, None)
    assert north["pipeline_coverage"] == pytest.approx(10000 / 70000)
    assert north["pipeline_needed"] == 200000.0
    assert rows(con, "select pipeline_grade, pipeline_note from rep_balanced_scorecard "
                     "where rep_id = 'a2' and is_current") == [{"pipeline_grade": None, "pipeline_note": "quota met"}]


def test_a_results_grade_the_priced_wins_already_earn_at_the_top_is_given_without_a_ratio(tmp_path):
    """grades, plus o5 (won, no amount) and o6 (won, 100,000) for a2. a2's known 105,000 of 100,000 is 1.05 against
    the 45/91 = 0.4945 expected by now: a ratio of at least 2.12, past the top Results cutoff (1.2), and o5 can
    only add to it. So Results is 5, though the ratio stays unknown (no money at risk, no alert from it). North's
    known 135,000 of 200,000 is 0.675 ÷ 0.4945 = 1.37, also past 1.2: 5. Without o6 (the first test above) a2's
    lower bound is 0.10: Results stays withheld, "not known"."""
    con = models_on(org_with("grades", tmp_path / "org", {"opportunities.csv": [
        "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11",
        "o6,a2,Fox,Fox won,Closed Won,100000,2026-04-03,2026-05-13,,2026-05-11"]}), tmp_path)
    top = "which earns the top grade whatever the rest is worth"
    assert rows(con, "select results_grade, results_ratio, results_note, results_at_risk from rep_balanced_scorecard "
                     "where rep_id = 'a2' and is_current") == [
        {"results_grade": 5, "results_ratio": None, "results_at_risk": None,
         "results_note": f"1 won deal without an amount: attainment is at least 105%, {top}"}]
    assert rows(con, "select results_grade, results_ratio, results_note from team_balanced_scorecard "
                     "where team = 'North' and is_current") == [
        {"results_grade": 5, "results_ratio": None,
         "results_note": f"1 won deal without an amount: attainment is at least 68%, {top}"}]
    assert not rows(con, "select * from rep_alerts where rep_id = 'a2' and metric = 'attainment'")


def test_a_grade_without_a_ratio_shows_its_note_where_the_ratio_would_be(tmp_path):
    """The org above, built: a2's rep page grades table and coaching page's strengths show Results 5 with its note
    where the ratio would be, never "no data" or "no data of plan"."""
    import html
    import re

    from pipelines.cli import prepare, run_build

    config = org_with("grades", tmp_path / "org", {"opportunities.csv": [
        "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11",
        "o6,a2,Fox,Fox won,Closed Won,100000,2026-04-03,2026-05-13,,2026-05-11"]})
    run_build(prepare(config), tmp_path / "site", tmp_path / "warehouse")

    def text(page: str) -> str:
        raw = (tmp_path / "site" / "reps" / "a2" / page / "index.html").read_text(encoding="utf-8")
        return html.unescape(re.sub(r"<[^>]+>", " ", raw))

    note = "1 won deal without an amount: attainment is at least 105%, which earns the top grade whatever the rest"
    rep = " ".join(text("").split())
    assert re.search(r"Results\s+5\s+" + re.escape(note), rep), rep[:3000]
    coaching = " ".join(text("coaching").split())
    assert f"Results : grade 5 ({note}" in coaching or f"Results: grade 5 ({note}" in coaching
    assert "no data of plan" not in coaching


def test_a_closed_quarter_says_its_opening_pipeline_is_not_known_not_that_a_win_lacks_an_amount(tmp_path):
    """grades, plus a1's 2026-Q1 quota of 100,000 and o9, a1's Q1 win without an amount. Q1 is closed, so its
    coverage divides by the whole quota (known); it is no data only because there is no deal history to give
    the opening pipeline. The Pipeline grade's note says so, not that what is left to close is not known."""
    con = models_on(org_with("grades", tmp_path / "org", {
        "quotas.csv": ["a1,2026-01-01,2026-03-31,100000"],
        "opportunities.csv": ["o9,a1,India,India won,Closed Won,,2026-01-03,2026-02-13,,2026-02-12"],
    }), tmp_path)
    assert rows(con, "select pipeline_grade, pipeline_note from rep_balanced_scorecard "
                     "where rep_id = 'a1' and period = '2026-Q1'") == [{
        "pipeline_grade": None,
        "pipeline_note": "the pipeline at the quarter start is not known (the deal history does not reach it for "
                         "every deal)"}]


def test_pipeline_that_covers_the_most_there_can_be_to_close_is_not_under_target(tmp_path):
    """grades, plus o5 (a2's win without an amount) and o10 (a2's open deal of 400,000 closing 06-20). What a2
    still has to close is at most 100,000 − 5,000 = 95,000, and 3 × 95,000 = 285,000 ≤ 420,000 open: a2 is not
    under the 3× target and needs no more pipeline, whatever o5 is worth, though coverage itself stays unknown.
    a1 (10,000 open against 3 × 70,000) is under it, so North's count is known: 1."""
    con = models_on(org_with("grades", tmp_path / "org", {"opportunities.csv": [
        "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11",
        "o10,a2,Juliet,Juliet open,Prospecting,400000,2026-04-03,2026-06-20,Call,2026-05-11"]}), tmp_path)
    assert rows(con, "select is_under_coverage_target, pipeline_needed from int_rep_quarters "
                     "where rep_id = 'a2' and is_current") == [{"is_under_coverage_target": False, "pipeline_needed": 0}]
    north = rows(con, "select pipeline_coverage, reps_under_coverage_target, reps_to_close_unknown, pipeline_needed "
                      "from team_scorecard where team = 'North' and is_current")
    assert north == [{"pipeline_coverage": None, "reps_under_coverage_target": 1, "reps_to_close_unknown": 1,
                      "pipeline_needed": 200000.0}]
