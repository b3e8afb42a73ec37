"""The grade rules checked on a hand-made org (tests/fixtures/grades_org), each value worked out by hand.

as_of 2027-02-28, calendar fiscal year: 2027-Q1 (1 Jan - 31 Mar) is current, 2026-Q4 the last closed quarter.
There is never an opportunity_history extract; config.yml also has activities and quotas, noact.yml has no
activities, noquota.yml no quotas.

People:
- v1, VP, hired 2018-05-05: no quota row, yet owns a won deal, an open deal with every problem and an activity.
- m1, Manager, hired 2020-01-01, quota 50,000: one open deal with amount, next step, close date 03-25 and
  activity on 02-27 (not over 30 days ago): clean.
- c1, AE, hired 2027-01-31, quota 60,000 for Q1: open x1 (close 03-20) and x2 (close 04-15) both have an amount,
  a next step, a future close date and activity today (02-28): 2 of 2 clean, discipline_score 1.0, ratio
  1.0 / 0.9 = 1.111 >= 1.1: grade 5. Only the part of the quota before the hire date (1-30 Jan, 30 of 90 days)
  is prorated away: 60,000 x 60/90 = 40,000; won 9,000: attainment 0.225.
- c2, AE, hired 2026-11-30: open y1 has no next step, a close date in the past (02-10) and no activity since
  01-05: 0 of 1 clean, grade 1.
- c3, AE, hired 2024-02-29, has left.

Completed months to 2027-02-28 (a month is complete once its day of the month is reached; 31 Jan -> 28 Feb is 0):
c1 0; c2 2 (30 Nov -> 30 Jan; the 30th of February never comes); c3 35 (29 Feb 2024 -> 29 Jan 2027);
m1 85 (7 years 1 month 27 days); v1 105 (8 years 9 months 23 days).
"""

import pytest

from tests.helpers import FIXTURES, models_on, rows

HERE = FIXTURES / "grades_org"
DIMENSIONS = ("results", "pipeline", "conversion", "activity", "discipline", "forecast", "cycle")


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return models_on(HERE / "config.yml", tmp_path_factory.mktemp("v13-full"))


@pytest.fixture(scope="module")
def noact(tmp_path_factory):
    return models_on(HERE / "noact.yml", tmp_path_factory.mktemp("v13-noact"))


@pytest.fixture(scope="module")
def noquota(tmp_path_factory):
    return models_on(HERE / "noquota.yml", tmp_path_factory.mktemp("v13-noquota"))


def test_a_vp_without_quota_has_no_grade_and_no_alert(full):
    vp = rows(full, "select * from rep_balanced_scorecard where rep_id = 'v1' order by period")
    assert [r["period"] for r in vp] == ["2026-Q4", "2027-Q1"]
    for r in vp:
        assert r["overall_grade"] is None and not r["is_graded"]
        assert all(r[f"{d}_grade"] is None for d in DIMENSIONS)
    assert rows(full, "select * from rep_alerts where rep_id = 'v1'") == []


def test_clean_open_deals_give_discipline_grade_5(full):
    got = dict(full.execute("select rep_id, discipline_grade from rep_balanced_scorecard where is_current "
                            "order by rep_id").fetchall())
    assert got == {"c1": 5, "c2": 1, "m1": 5, "v1": None}
    c1 = rows(full, "select * from rep_hygiene where rep_id = 'c1'")[0]
    assert (c1["open_deals"], c1["clean_deals"], c1["discipline_score"]) == (2, 2, 1.0)


def test_the_quota_before_the_hire_date_is_prorated_away(full):
    c1 = rows(full, "select quota, won_amount, attainment from rep_scorecard where rep_id = 'c1' and is_current")[0]
    assert c1 == {"quota": pytest.approx(40_000), "won_amount": 9_000, "attainment": pytest.approx(0.225)}


def test_months_since_hire_are_completed_months(full):
    got = dict(full.execute("select rep_id, months_since_hire from rep_directory").fetchall())
    assert got == {"c1": 0, "c2": 2, "c3": 35, "m1": 85, "v1": 105}


def test_no_activity_grade_or_alert_without_an_activities_extract(noact, full):
    for r in rows(noact, "select activity_grade, activity_note, is_graded from rep_balanced_scorecard"):
        assert r["activity_grade"] is None
        assert r["activity_note"] == ("no activities extract" if r["is_graded"] else
                                      "not graded (no quota, or a role grades.roles leaves out)")
    assert rows(noact, "select * from rep_alerts where metric = 'activities_per_week'") == []
    assert rows(noact, "select * from team_alerts where metric = 'activities_per_week'") == []
    # with the extract, the same people are graded and alerted on activity
    assert rows(full, "select rep_id from rep_alerts where metric = 'activities_per_week' order by 1") == [
        {"rep_id": "c1"}, {"rep_id": "c2"}, {"rep_id": "m1"}]


def test_no_grade_or_alert_without_a_quotas_extract(noquota):
    assert rows(noquota, "select * from rep_balanced_scorecard where is_graded or overall_grade is not null "
                         "or results_grade is not null or discipline_grade is not null") == []
    assert rows(noquota, "select * from rep_alerts") == []
    assert rows(noquota, "select * from team_alerts") == []


def test_no_closed_quarter_pipeline_grade_without_a_deal_history(full):
    got = rows(full, "select rep_id, pipeline_grade, pipeline_note from rep_balanced_scorecard "
                     "where period = '2026-Q4' and is_graded order by rep_id")
    assert [r["rep_id"] for r in got] == ["c2", "c3", "m1"]
    for r in got:
        assert r["pipeline_grade"] is None
        assert r["pipeline_note"] == "the pipeline at the quarter start is not known (the deal history does not reach it for every deal)"
