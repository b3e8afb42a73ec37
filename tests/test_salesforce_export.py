"""A real Salesforce Data Export builds through `preset: salesforce` and `extracts_dir` alone.

Each test names the fixture it reads (tests/fixtures/sfdc_*) and works its expected values out by
hand in its docstring, from the rows of that fixture.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.extract import extract
from pipelines.settings import load_config
from tests.conftest import FIXTURES, models_on, rows


def test_optional_objects_the_org_does_not_use_are_skipped_with_a_note(tmp_path):
    """sfdc_optional: ForecastingQuota.csv lacks QuotaOwnerId, Event.csv is empty, Task.csv is a bare header.

    None of them is fatal: quotas and activities are not present, each file gets one note, and the two
    deals still build into a scorecard (one won deal of 1000 in 2026-Q1).
    """
    cfg = load_config(FIXTURES / "sfdc_optional" / "config.yml")
    result = extract(cfg, duckdb.connect())
    assert {t for t, r in result.tables.items() if r.present} == {"opportunities"}
    assert [n for n in result.notes if "skipped" in n] == [
        "Task.csv: skipped (activities is optional, so what depends on it shows no data): it has a header and no rows",
        "Event.csv: skipped (activities is optional, so what depends on it shows no data): file is empty (no header row)",
        "ForecastingQuota.csv: skipped (quotas is optional, so what depends on it shows no data): table quotas needs "
        "column(s) that this file does not have: rep_id (looked for QuotaOwnerId); columns present: Id, PeriodId, "
        "StartDate, QuotaAmount. Map them under `sources.quotas.columns`",
    ]
    con = models_on(FIXTURES / "sfdc_optional" / "config.yml", tmp_path)
    assert con.execute("select won_amount, deals_won from rep_scorecard where period = '2026-Q1'").fetchall() == [(1000.0, 1)]


def test_stages_are_read_from_the_export():
    """sfdc_export has custom stage names and config lists none: each Opportunity row says what its stage is.

    Descubrimiento (StageSortOrder 1, 10%), Propuesta (2, 40%), Negociación (3: deals at 60, 70 and 60, so 60%),
    Ganada (IsWon 1), Perdida (IsClosed 1, IsWon 0). Calificación is only in OpportunityHistory (006A08 on
    2026-04-20 at 20%): open, placed after the 10% stage and before the 40% one. Names keep their accents.
    """
    con = duckdb.connect()
    result = extract(load_config(FIXTURES / "sfdc_export" / "config.yml"), con)
    assert con.execute("select stage, kind, probability from extract_stages order by stage_order").fetchall() == [
        ("Descubrimiento", "open", 0.1), ("Calificación", "open", 0.2), ("Propuesta", "open", 0.4),
        ("Negociación", "open", 0.6), ("Ganada", "won", 1.0), ("Perdida", "lost", 0.0),
    ]
    assert "Opportunity.csv: config lists no `stages`, so they are read from the export (IsClosed, IsWon, " \
           "StageSortOrder, Probability): Descubrimiento (open 10%), Propuesta (open 40%), Negociación (open 60%), " \
           "Ganada (won 100%), Perdida (lost 0%). List them under `stages:` in config.yml to change any." in result.notes
    assert "OpportunityHistory.csv: stage(s) that no deal is in today, read from their probability in the history " \
           "(100%: won, 0%: lost, else open): Calificación (open). List your stages under `stages:` to say otherwise." \
           in result.notes
    assert result.tables["opportunity_history"].rejected == 0


def test_a_stage_nothing_describes_is_one_error_naming_row_and_column(tmp_path):
    """sfdc_export plus a deal (row 19) in stage 'Verbal' with IsClosed and IsWon empty: no row says what it is."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "sfdc_export", folder)
    with open(folder / "Opportunity.csv", "ab") as fh:
        fh.write('"006A99","0","001C1","Sigma","Verbal","","100","","2026-05-01 00:00:00","","","","","","","USD",'
                 '"005U01","2026-04-01 00:00:00","",""\r\n'.encode("cp1252"))
    result = CliRunner().invoke(main, ["build", "--config", str(folder / "config.yml"), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if line.strip()] == [
        "data error: Opportunity.csv: row 19, column StageName: stage 'Verbal' is neither listed in config "
        "`stages` nor described by the export (IsClosed and IsWon are empty on every deal in it); list your stages in "
        "order under `stages:` in config.yml, each with kind open, won or lost"
    ]


def test_an_export_that_does_not_describe_its_stages_falls_back_to_the_standard_ones():
    """sfdc_optional's Opportunity.csv has no IsClosed/IsWon: Salesforce's standard stages, with a note."""
    con = duckdb.connect()
    result = extract(load_config(FIXTURES / "sfdc_optional" / "config.yml"), con)
    stages = [r[0] for r in con.execute("select stage from extract_stages order by stage_order").fetchall()]
    assert stages[0] == "Prospecting" and stages[-2:] == ["Closed Won", "Closed Lost"] and len(stages) == 10
    assert "Opportunity.csv: config lists no `stages` and the export does not say what each stage is (no is_closed " \
           "and is_won columns), so the preset's standard stages are used" in result.notes


def test_amounts_are_converted_at_the_dated_rate_in_force_on_the_close_date(tmp_path):
    """sfdc_export (README.md has the table): USD is corporate; EUR has dated rates 0.80 until 2026-01-01, 0.90 until
    2026-04-01, 0.95 after; GBP only its CurrencyType rate 0.80.

    006A01 9000 EUR closed 2026-02-20: 0.90, 10000. 006A16 4500 EUR closed 2025-12-31: 0.80, 5625. 006A07 7600 EUR
    closed 2026-04-15: 0.95, 8000. 006A03 8000 GBP: 10000. 006A05 19000 EUR, open, closing 2026-06-30: 20000.
    """
    con = models_on(FIXTURES / "sfdc_export" / "config.yml", tmp_path)
    got = dict(con.execute("select opportunity_id, amount from stg_opportunities where deal_currency <> 'USD'").fetchall())
    assert got == pytest.approx({"006A01": 10000.0, "006A03": 10000.0, "006A05": 20000.0, "006A07": 8000.0,
                                 "006A08": 3750.0, "006A15": 10000.0, "006A16": 5625.0})
    # Ana's 2026-Q1: 006A01 10000 + 006A02 5000 (006A04 has no amount); the history of 006A07 is in USD too.
    assert con.execute("select won_amount, currency from rep_scorecard where rep_id = '005U01' and period = '2026-Q1'"
                       ).fetchall() == [(15000.0, "USD")]
    assert con.execute("select amount from stg_opportunity_history where opportunity_id = '006A07'").fetchall() == [
        (pytest.approx(8000.0),), (pytest.approx(8000.0),)
    ]


def test_a_source_without_a_path_adjusts_the_presets(tmp_path):
    """`opportunities: {encoding: windows-1252}` keeps the preset's file and mapping and forces the encoding."""
    config = tmp_path / "config.yml"
    config.write_text(f"preset: salesforce\nextracts_dir: {FIXTURES / 'sfdc_export'}\n"
                      "sources:\n  opportunities: {encoding: windows-1252}\n", encoding="utf-8")
    cfg = load_config(config)
    assert (cfg.sources["opportunities"].path, cfg.sources["opportunities"].encoding) == ("Opportunity.csv", "windows-1252")
    assert cfg.sources["opportunities"].columns["opportunity_id"] == ["Id"]


def test_managers_and_teams_come_from_the_role_hierarchy_when_manager_id_is_blank(tmp_path):
    """sfdc_export (README.md, People): ManagerId is blank or 000000000000000AAA for most users.

    Ana and Björn (AE EMEA) report to 005U03, the ForecastUserId of their parent role Sales Manager EMEA; Chloé
    (Sales Manager EMEA) to 005U05, the one active user of VP Sales, which names no forecast manager; Dev keeps
    his ManagerId and his Department as team; Eve is the top. Frank's parent role Sales Manager NA has a
    placeholder ForecastUserId and two active users (Gus and Hana): no manager, flagged. Teams without a
    Department are role names. No hire dates: CreatedDate is not one.
    """
    con = models_on(FIXTURES / "sfdc_export" / "config.yml", tmp_path)
    people = {r["rep_id"]: (r["team"], r["manager_id"], r["hire_date"]) for r in rows(con, "select * from rep_directory")}
    assert {k: v for k, v in people.items() if k <= "005U08"} == {
        "005U01": ("AE EMEA", "005U03", None), "005U02": ("AE EMEA", "005U03", None),
        "005U03": ("Sales Manager EMEA", "005U05", None), "005U04": ("Inside Sales", "005U05", None),
        "005U05": ("VP Sales", None, None), "005U06": ("AE North America", None, None),
        "005U07": ("Sales Manager NA", "005U05", None), "005U08": ("Sales Manager NA", "005U05", None),
    }
    assert rows(con, "select file, row_number, column_name, reason, action, rep_id from org_quarantine "
                     "where table_name = 'reps'") == [
        {"file": "User.csv", "row_number": 7, "column_name": "manager_id", "reason": "no manager: manager_id is empty, "
         "and the parent role 'Sales Manager NA' has no forecast manager and 2 active people in it (fill in the manager "
         "in the CRM)", "action": "flagged", "rep_id": "005U06"},
    ]


def test_system_users_who_own_nothing_are_left_out_of_the_directory(tmp_path):
    """sfdc_export: 005U90 (CloudIntegrationUser) and 005U91 (AutomatedProcess) own nothing and are left out;
    005U92 (LicenseManager) owns the lost deal 006A14 and stays, so its deal still counts (2025-Q3, 1 lost)."""
    con = models_on(FIXTURES / "sfdc_export" / "config.yml", tmp_path)
    ids = {r[0] for r in con.execute("select rep_id from rep_directory").fetchall()}
    assert ids == {"005U01", "005U02", "005U03", "005U04", "005U05", "005U06", "005U07", "005U08", "005U92"}
    assert con.execute("select deals_lost from rep_scorecard where rep_id = '005U92' and period = '2025-Q3'"
                       ).fetchall() == [(1,)]


def test_real_data_is_not_called_the_demo(tmp_path):
    """sfdc_export sets no org_name: the home page is titled neutrally (the site title), never "Demo Org"."""
    result = CliRunner().invoke(main, ["build", "--config", str(FIXTURES / "sfdc_export" / "config.yml"),
                                       "--out", str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<h1 id=\"sales-scorecards\">Sales Scorecards</h1>" in home
    assert not [p for p in (tmp_path / "site").rglob("*.html") if "Demo Org" in p.read_text(encoding="utf-8")]


def test_no_activity_alert_without_an_activities_extract(tmp_path):
    """sfdc_export has no Task.csv or Event.csv: activity is no data, so no rep is alerted for 0 activities a week
    (and the activity tables are empty rather than rows of 0)."""
    con = models_on(FIXTURES / "sfdc_export" / "config.yml", tmp_path)
    assert con.execute("select count(*) from rep_alerts where metric = 'activities_per_week'").fetchall() == [(0,)]
    assert con.execute("select count(*) from team_alerts where metric = 'activities_per_week'").fetchall() == [(0,)]
    assert con.execute("select count(*) from rep_activity_vs_plan").fetchall() == [(0,)]


def test_a_task_without_a_due_date_is_dated_when_it_was_created(tmp_path):
    """salesforce_full with Task 00TA2's ActivityDate blanked (real orgs have many tasks without a due date) and a
    CreatedDate column: the task is dated 2026-05-09 from CreatedDate instead of being rejected."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce_full", folder)
    task = folder / "Task.csv"
    lines = task.read_text(encoding="utf-8").splitlines()
    lines[0] += ",CreatedDate"
    lines[1:] = [line + ",2026-05-09T08:00:00.000+0000" for line in lines[1:]]
    task.write_text("\n".join(lines).replace(",2026-05-12,Completed", ",,Completed") + "\n", encoding="utf-8")
    con = duckdb.connect()
    result = extract(load_config(folder / "config.yml"), con)
    assert con.execute("select activity_date from extract_activities where activity_id = '00TA2'").fetchall() == [
        (dt.date(2026, 5, 9),)
    ]
    assert result.tables["activities"].rejected == 0


def test_the_scorecard_of_the_export_cell_for_cell(tmp_path):
    """sfdc_export, worked out from README.md's table (USD; as_of 2026-05-12, so 2026-Q2 is current).

    Ana 2026-Q1: won 10000 + 5000 + 006A04 without an amount = 15000 from 3 won, 1 lost (win rate 0.75); average
    deal 15000 ÷ 2 = 7500; cycles 46, 59 and 52 days. Björn 2026-Q2: 8000, cycle 2025-11-01 → 2026-04-15 = 165.
    Dev 2025-Q4: 12000 won (cycle 75), 1 lost without a value (so no win rate by value); 2026-Q3 (after as_of):
    10000, cycle 127. Chloé 2025-Q4: 5625, cycle 30. Frank (inactive) 2025-Q2: 6000, cycle 90; 2025-Q3: 1 lost.
    005U92: 2025-Q3, 1 lost. Open deals: Ana 2 (one undated), Björn 2 (one undated), Dev 1.
    """
    con = models_on(FIXTURES / "sfdc_export" / "config.yml", tmp_path)
    got = con.execute("""select rep_id, period, won_amount, deals_won, deals_lost, win_rate, avg_deal_size, avg_cycle_days,
                                win_rate_value from rep_scorecard where deals_won + deals_lost > 0 order by 1, 2""").fetchall()
    assert got == [
        ("005U01", "2026-Q1", 15000.0, 3, 1, 0.75, 7500.0, pytest.approx((46 + 59 + 52) / 3), None),
        ("005U02", "2026-Q2", pytest.approx(8000.0), 1, 0, 1.0, pytest.approx(8000.0), 165.0, pytest.approx(1.0)),
        ("005U03", "2025-Q4", 5625.0, 1, 0, 1.0, 5625.0, 30.0, 1.0),
        ("005U04", "2025-Q4", 12000.0, 1, 1, 0.5, 12000.0, 75.0, None),
        ("005U04", "2026-Q3", pytest.approx(10000.0), 1, 0, 1.0, pytest.approx(10000.0), 127.0, pytest.approx(1.0)),
        ("005U06", "2025-Q2", 6000.0, 1, 0, 1.0, 6000.0, 90.0, 1.0),
        ("005U06", "2025-Q3", 0.0, 0, 1, 0.0, None, None, 0.0),
        ("005U92", "2025-Q3", 0.0, 0, 1, 0.0, None, None, 0.0),
    ]
    open_deals = dict(con.execute("select rep_id, open_deals from rep_hygiene where open_deals > 0").fetchall())
    assert open_deals == {"005U01": 2, "005U02": 2, "005U04": 1}
    assert con.execute("select getvariable('as_of')").fetchall() == [(dt.date(2026, 5, 12),)]
