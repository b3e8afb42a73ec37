"""A deals export with only the identifying columns builds, and what needs more says "no data"."""

import html

from pipelines.cli import prepare, run_build
from tests.conftest import FIXTURES, models_on, rows

CONFIG = FIXTURES / "opps_only" / "config.yml"


def test_missing_optional_columns_are_no_data_not_problems(tmp_path):
    con = models_on(CONFIG, tmp_path)
    r1 = rows(con, "select * from rep_hygiene where rep_id = 'r1'")[0]
    # o4 is r1's only open deal; with no next-step column and no activity dates it cannot be
    # judged on those two checks, so they are unknown rather than failures.
    assert r1["no_next_step"] is None and r1["untouched"] is None
    assert r1["discipline_score"] == 1.0
    assert rows(con, "select * from rep_stuck_deals where has_no_recent_activity") == []
    coverage = rows(con, "select * from int_data_coverage")[0]
    assert (coverage["has_next_step"], coverage["has_activity_data"], coverage["has_forecast_category"]) == (
        False, False, False)
    # No opportunity_history: the past starts with the first (today's) snapshot, so closed quarters
    # have no pipeline at their start and no forecast to score, rather than made-up zeros.
    assert str(coverage["history_starts_on"]) == "2026-05-15"
    q1 = rows(con, "select open_pipeline, pipeline_coverage from rep_scorecard where rep_id = 'r1' and period = '2026-Q1'")
    assert q1 == [{"open_pipeline": None, "pipeline_coverage": None}]
    assert rows(con, "select distinct commit_at_start from rep_forecast_accuracy") == [{"commit_at_start": None}]
    # r1 won 150,000 in 2026-Q1 against an unknown commit: accuracy is unknown, not 0 (grade 1).
    r1 = rows(con, "select won_amount, forecast_accuracy from rep_forecast_accuracy where rep_id = 'r1' and period = '2026-Q1'")
    assert r1 == [{"won_amount": 150000.0, "forecast_accuracy": None}]
    grades = rows(con, "select forecast_grade from rep_balanced_scorecard where rep_id = 'r1' and period = '2026-Q2'")
    assert grades == [{"forecast_grade": None}]


def test_site_builds_and_says_no_data(tmp_path):
    out = tmp_path / "site"
    summary = run_build(prepare(CONFIG), out, tmp_path / "warehouse")
    assert summary["rep_pages"] == 4  # owners r1, r2, r3, m1 become reps without a reps extract
    page = html.unescape((out / "reps" / "r1" / "index.html").read_text())
    assert "No data: no activities extract is configured." in page
    assert "without a next step" in page and "no data" in page
