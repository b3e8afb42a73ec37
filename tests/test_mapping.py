"""An export with other column names, delimiter, date order and number format, mapped in config alone."""

import pytest

from tests.conftest import FIXTURES, models_on, rows

SCORECARD = """select rep_id, period, quota, won_amount, attainment, deals_won, deals_lost, win_rate,
    avg_deal_size, avg_cycle_days, open_pipeline from rep_scorecard where is_closed or is_current
    order by rep_id, period"""


def test_renamed_export_gives_the_same_scorecard_as_the_canonical_one(tmp_path):
    renamed = models_on(FIXTURES / "renamed" / "config.yml", tmp_path / "renamed")
    tiny = models_on(FIXTURES / "tiny" / "config.yml", tmp_path / "tiny")
    got, want = rows(renamed, SCORECARD), rows(tiny, SCORECARD)
    assert len(got) == len(want) > 5
    for g, w in zip(got, want):
        assert g == pytest.approx(w), (g, w)
    # Nothing was rejected on the way; the one flag is r3's manager m2 (users.csv row 5), who has no row of their own.
    assert [(r["row"], r["column"], r["value"], r["action"]) for r in rows(renamed, "select * from quarantine")] == [
        (5, "manager_id", "m2", "flagged")]


def test_expressions_in_the_mapping(tmp_path):
    con = models_on(FIXTURES / "renamed" / "config.yml", tmp_path)
    people = {r["rep_id"]: r for r in rows(con, "select * from rep_directory")}
    assert people["r1"]["name"] == "Ann Ace"  # "First" || ' ' || "Last"
    deals = {r["opportunity_id"]: r for r in rows(con, "select * from int_opportunities")}
    assert deals["o1"]["stage"] == "Closed Won" and deals["o4"]["stage"] == "Proposal"
    assert float(deals["o1"]["amount"]) == 100000  # "€100.000,00"
    assert str(deals["o1"]["created_date"]) == "2026-01-10"  # "10/01/2026", day first
