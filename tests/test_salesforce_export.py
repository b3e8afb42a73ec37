"""A real Salesforce Data Export builds through `preset: salesforce` and `extracts_dir` alone.

Each test names the fixture it reads (tests/fixtures/sfdc_*) and works its expected values out by
hand in its docstring, from the rows of that fixture.
"""

from __future__ import annotations

import duckdb

from pipelines.extract import extract
from pipelines.settings import load_config
from tests.conftest import FIXTURES, models_on


def test_optional_objects_the_org_does_not_use_are_skipped_with_a_note(tmp_path):
    """sfdc_optional: ForecastingQuota.csv lacks QuotaOwnerId, Event.csv is empty, Task.csv is a bare header.

    None of them is fatal: quotas and activities are not present, each file gets one note, and the two
    deals still build into a scorecard (one won deal of 1000 in 2026-Q1).
    """
    cfg = load_config(FIXTURES / "sfdc_optional" / "config.yml")
    result = extract(cfg, duckdb.connect())
    assert {t for t, r in result.tables.items() if r.present} == {"opportunities"}
    assert result.notes == [
        "Task.csv: skipped (activities is optional, so what depends on it shows no data): it has a header and no rows",
        "Event.csv: skipped (activities is optional, so what depends on it shows no data): file is empty (no header row)",
        "ForecastingQuota.csv: skipped (quotas is optional, so what depends on it shows no data): table quotas needs "
        "column(s) that this file does not have: rep_id (looked for QuotaOwnerId); columns present: Id, PeriodId, "
        "StartDate, QuotaAmount. Map them under `sources.quotas.columns`",
    ]
    con = models_on(FIXTURES / "sfdc_optional" / "config.yml", tmp_path)
    assert con.execute("select won_amount, deals_won from rep_scorecard where period = '2026-Q1'").fetchall() == [(1000.0, 1)]
