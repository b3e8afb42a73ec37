"""Forecast inputs: category spellings, the forecast_calls extract's bad rows, and calls that build up day by day.

Each test copies tests/fixtures/forecast (see tests/test_forecast.py) and changes the one thing it is about.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines import models
from pipelines.errors import DataError
from pipelines.extract import extract
from pipelines.forecast import _unmapped_message, category_map, normal, normal_sql
from pipelines.load import load
from pipelines.settings import Config, load_config, parse_config
from tests.helpers import FIXTURES, rows

ORG = FIXTURES / "forecast"
CALL_HEADER = ["rep_id", "period_start", "submitted_at", "amount", "category", "submitted_by", "scope"]


def copy_org(tmp_path: Path, **config) -> Path:
    folder = tmp_path / "org"
    shutil.copytree(ORG, folder)
    raw = yaml.safe_load((folder / "config.yml").read_text())
    raw.update(config)
    (folder / "config.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    return folder


def write_calls(folder: Path, calls: list[list[str]]) -> None:
    with open(folder / "forecast_calls.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([CALL_HEADER, *calls])


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- categories -----------------------------------------------------------------------------------------------


def test_the_five_categories_map_in_any_spelling_and_config_maps_others():
    cfg = parse_config({"forecast": {"categories": {"Upside": "Best Case", "Prévision": "Commit"}}}, Path("c.yml"))
    mapped = category_map(cfg)
    con = duckdb.connect()
    for value, expect in [("BEST_CASE", "Best Case"), ("best case", "Best Case"), ("BestCase", "Best Case"),
                          ("commit", "Commit"), ("OMITTED", "Omitted"), ("upside", "Best Case"),
                          ("PRÉVISION", "Commit")]:
        # Python and SQL read a value the same way, so the check and the models agree
        in_sql = con.execute(f"select {normal_sql('?')}", [value]).fetchone()[0]
        assert in_sql == normal(value), value
        assert mapped[normal(value)] == expect, value


def test_an_unmapped_category_stops_the_build_naming_it_and_how_to_map_it(tmp_path):
    folder = copy_org(tmp_path)
    replace_in(folder / "opportunities.csv", "g3,a1,Lima,Lima best,Proposal,30000,2026-04-03,2026-05-30,Best Case",
               "g3,a1,Lima,Lima best,Proposal,30000,2026-04-03,2026-05-30,Upside")
    with pytest.raises(DataError) as e:
        extract(load_config(folder / "config.yml"), duckdb.connect())
    assert e.value.file.endswith("opportunities.csv")
    assert e.value.message == (
        "row 13, column forecast_category (opportunities): forecast category 'Upside' is not one of Pipeline, "
        "Best Case, Commit, Closed, Omitted; map it in config.yml, e.g. forecast: {categories: {'Upside': Best Case}}"
    )
    mapped = copy_org(tmp_path / "mapped", forecast={"categories": {"Upside": "Best Case"}})
    shutil.copy(folder / "opportunities.csv", mapped / "opportunities.csv")
    con = duckdb.connect()
    cfg = load_config(mapped / "config.yml")
    load(con, extract(cfg, con), tmp_path / "wh", cfg.as_of, cfg=cfg)
    models.run(cfg, con)
    assert rows(con, "select best_case from rep_forecast_rollup where rep_id = 'a1'") == [{"best_case": 30000.0}]


def test_other_crms_standard_categories_need_no_mapping():
    """Dynamics 365 ships Committed, Won and Lost as forecast categories, HubSpot NOT_FORECASTED: each means one of
    the five and is read as it. 'Upside' does not (orgs put it in different places): it still needs a mapping."""
    mapped = category_map(Config())
    values = ("Committed", "Won", "Lost", "Closed Won", "Closed Lost", "NOT_FORECASTED", "OMIT", "Upside")
    got = {v: mapped.get(normal(v)) for v in values}
    assert got == {"Committed": "Commit", "Won": "Closed", "Lost": "Omitted", "Closed Won": "Closed",
                   "Closed Lost": "Omitted", "NOT_FORECASTED": "Omitted", "OMIT": "Omitted", "Upside": None}


@pytest.mark.parametrize("value, example", [
    ("Upside", "Best Case"), ("MostLikely", "Best Case"), ("Closed - Pending", "Closed"), ("Dead", "Omitted"),
    ("Closed Lost - No Decision", "Omitted"), ("Verbal commit", "Commit"), ("Forecast", "Commit"),
    ("Not Committed", "Pipeline"), ("Uncommitted", "Pipeline"), ("Won't close", "Pipeline"), ("Stretch", "Pipeline"),
])
def test_the_error_suggests_the_category_the_words_point_to(value, example):
    """The example mapping in the error was always Best Case, even for a value like 'Won'."""
    assert _unmapped_message("opportunities", "FC", 2, value, 1, [value]).endswith(
        f"e.g. forecast: {{categories: {{{value!r}: {example}}}}}")


def test_the_build_says_it_in_one_red_line(tmp_path):
    from click.testing import CliRunner

    from pipelines.cli import main

    folder = copy_org(tmp_path)
    replace_in(folder / "opportunity_history.csv", "g14,2026-05-12 09:00:00,Proposal,40000,2026-06-18,Best Case",
               "g14,2026-05-12 09:00:00,Proposal,40000,2026-06-18,Upside")
    result = CliRunner().invoke(main, ["build", "--config", str(folder / "config.yml"), "--out",
                                       str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = [x for x in result.output.splitlines() if "forecast category" in x]
    assert len(line) == 1 and "opportunity_history.csv" in line[0] and "row 41, column forecast_category" in line[0]
    assert "forecast: {categories: {'Upside': Best Case}}" in line[0]
    assert not (tmp_path / "site").exists()


def test_a_preset_brings_its_categories_and_config_adds_to_them():
    cfg = parse_config({"preset": "salesforce", "forecast": {"categories": {"MostLikely": "Best Case"},
                                                             "checkpoint_days": 21}}, Path("c.yml"))
    assert cfg.forecast.categories == {"Forecast": "Commit", "BestCase": "Best Case", "MostLikely": "Best Case"}
    assert cfg.forecast.checkpoint_days == 21
    assert parse_config({"preset": "hubspot"}, Path("c.yml")).forecast.categories == {"OMIT": "Omitted"}


# --- bad calls --------------------------------------------------------------------------------------------------


def test_bad_calls_are_quarantined_with_file_row_and_column(tmp_path):
    folder = copy_org(tmp_path)
    write_calls(folder, [
        ["a1", "2026-01-01", "2026-01-10", "100000", "", "", ""],        # row 2: fine
        ["zz9", "2026-01-01", "2026-01-10", "100000", "", "", ""],       # row 3: nobody the extracts know
        ["a1", "2024-01-01", "2026-01-10", "100000", "", "", ""],        # row 4: a quarter before the data
        ["a1", "2026-10-01", "2026-01-10", "100000", "", "", ""],        # row 5: after the quarter after as_of
        ["a1", "2026-01-15", "2026-01-10", "100000", "", "", ""],        # row 6: not a quarter's or month's start
        ["a1", "2026-04-01", "2026-04-10", "-5", "", "", ""],            # row 7: negative amount
        ["a1", "2026-04-01", "last week", "100", "", "", ""],            # row 8: unreadable date
        ["a2", "2026-13-01", "2026-04-10", "100", "", "", ""],           # row 9: unreadable date
        ["a2", "2026-04-01", "2026-04-10", "100", "", "", "everyone"],   # row 10: scope is self or team
        ["b1", "2026-04-01", "", "100", "", "", ""],                     # row 11: fine (the load day)
        ["b1", "2026-04-01", "", "200", "", "", ""],                     # row 12: the same again without a date
    ])
    con = duckdb.connect()
    cfg = load_config(folder / "config.yml")
    cfg.thresholds.max_rejected_share = 1.0
    extract(cfg, con)
    got = con.execute("""select "row", "column", value, reason, action from quarantine
                         where "table" = 'forecast_calls' order by "row", "column" """).fetchall()
    outside = "period_start is outside the data (fiscal quarters from 2025-10-01 to 2026-09-30)"
    assert got == [
        (3, "rep_id", "zz9", "rep_id is not a known rep (in no reps, deals, activities or quotas extract)", "rejected"),
        (3, "rep_id", "zz9", "rep_id not in reps", "flagged"),
        (4, "period_start", "2024-01-01", outside, "rejected"),
        (5, "period_start", "2026-10-01", outside, "rejected"),
        (6, "period_start", "2026-01-15", "period_start is not the first day of a fiscal quarter or of a month",
         "rejected"),
        (7, "amount", "-5", "negative amount", "rejected"),
        (8, "submitted_at", "last week", "unparseable timestamp in submitted_at", "rejected"),
        (9, "period_start", "2026-13-01", "unparseable date in period_start", "rejected"),
        (10, "scope", "everyone", "scope is not self or team", "rejected"),
        (12, "submitted_at", None, "another call of this rep for this period has no submitted_at either (which is "
         "the load day): give submitted_at", "rejected"),
    ]
    files = {r[0] for r in con.execute("select file from quarantine where \"table\" = 'forecast_calls'").fetchall()}
    assert len(files) == 1 and files.pop().endswith("forecast_calls.csv")
    assert [r[0] for r in con.execute("select _row from extract_forecast_calls order by _row").fetchall()] == [2, 11]


# --- calls that hold only today's figure build up day by day ----------------------------------------------------


def test_a_source_with_only_the_current_call_builds_up_one_call_per_load_day(tmp_path):
    folder = copy_org(tmp_path)
    warehouse = tmp_path / "warehouse"

    def load_day(day: str, amount: str) -> duckdb.DuckDBPyConnection:
        write_calls(folder, [["b1", "2026-04-01", "", amount, "", "", "self"]])  # no submitted_at: today's call
        cfg = load_config(folder / "config.yml").model_copy(update={"as_of": dt.date.fromisoformat(day)})
        con = duckdb.connect()
        load(con, extract(cfg, con), warehouse, dt.date.fromisoformat(day), cfg=cfg)
        models.run(cfg, con)
        return con

    load_day("2026-04-27", "30000")  # Q2's day 27
    con = load_day("2026-05-15", "45000")
    stored = rows(con, "select submitted_at::date::varchar as day, amount from raw_forecast_calls order by 1")
    assert stored == [{"day": "2026-04-27", "amount": 30000}, {"day": "2026-05-15", "amount": 45000}]
    calls = rows(con, "select moment, amount from int_quarter_calls where rep_id = 'b1' order by moment")
    # the checkpoint (04-28) keeps the call that stood then; today's roll-up shows the latest
    assert calls == [{"moment": "checkpoint", "amount": 30000.0}, {"moment": "latest", "amount": 45000.0}]
    assert Config().forecast.checkpoint_days == 28
