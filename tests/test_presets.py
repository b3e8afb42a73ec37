"""`preset: salesforce` and `preset: hubspot` map a standard export with nothing else in config.yml.

The Salesforce sample in ../shared/data/sfdc-devorg-sample is a real export (MM/DD/YY dates, no OwnerId
column, CreatedDate after CloseDate); the other fixtures are hand-made and cover every file a preset reads.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.errors import ConfigError
from pipelines.extract import extract
from pipelines.settings import load_config
from tests.conftest import FIXTURES, models_on, rows

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "sfdc-devorg-sample"


@pytest.fixture(scope="module")
def sample() -> Path:
    if not (SAMPLE / "Opportunity.csv").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the Salesforce sample export is missing: {SAMPLE} (shared/ must sit beside the clone)")
        pytest.skip(f"the Salesforce sample export is not here: {SAMPLE}")
    return SAMPLE


def preset_config(tmp_path: Path, preset: str, folder: Path) -> Path:
    config = tmp_path / "config.yml"
    config.write_text(f"preset: {preset}\nextracts_dir: {folder}\n", encoding="utf-8")
    return config


def quarter(d: dt.date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


# --- the real Salesforce sample --------------------------------------------------------------------------------


def test_salesforce_sample_won_amount_per_quarter_matches_the_csv(tmp_path, sample):
    con = models_on(preset_config(tmp_path, "salesforce", sample), tmp_path)
    expected: dict[str, float] = defaultdict(float)
    with open(sample / "Opportunity.csv", newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["StageName"] == "Closed Won":
                close = dt.datetime.strptime(row["CloseDate"], "%m/%d/%y").date()
                expected[quarter(close)] += float(row["Amount"] or 0)
    assert expected  # the sample has won deals
    got = {r["period"]: r["won_amount"] for r in rows(con, "select period, won_amount from rep_scorecard where won_amount > 0")}
    assert got == pytest.approx(dict(expected))
    # Every deal belongs to the one fallback owner: there is no OwnerId column in the sample.
    assert rows(con, "select distinct rep_id from rep_scorecard") == [{"rep_id": "(unassigned)"}]


def test_salesforce_sample_loads_every_row_and_says_who_owns_the_deals(tmp_path, sample):
    cfg = load_config(preset_config(tmp_path, "salesforce", sample))
    con = duckdb.connect()
    result = extract(cfg, con)
    with open(sample / "Opportunity.csv", newline="", encoding="utf-8-sig") as fh:
        deals = list(csv.DictReader(fh))
    with open(sample / "OpportunityHistory.csv", newline="", encoding="utf-8-sig") as fh:
        history = list(csv.DictReader(fh))
    opp = result.tables["opportunities"]
    assert (opp.read, opp.loaded, opp.rejected) == (len(deals), len(deals), 0)
    hist = result.tables["opportunity_history"]
    assert (hist.read, hist.loaded, hist.rejected) == (len(history), len(history), 0)
    assert not result.tables["reps"].present  # no User.csv: reps are the owners found in the deals
    # Records imported later than they closed are flagged (quality.close_before_created), not dropped.
    parse = lambda s: dt.datetime.strptime(s.split(" ")[0], "%m/%d/%y").date()  # noqa: E731
    before = sum(parse(d["CloseDate"]) < parse(d["CreatedDate"]) for d in deals)
    assert opp.flagged == before > 0
    note = f"{sample / 'Opportunity.csv'}: no owner_id column found (looked for OwnerId, Owner.Id, Owner ID); " \
           f"all {len(deals)} deals were assigned to '(unassigned)'. Map `sources.opportunities.columns.owner_id` " \
           "to a column of the file to use real values."
    stages = (f"{sample / 'Opportunity.csv'}: config lists no `stages`, so they are read from the export (IsClosed, "
              "IsWon, StageSortOrder, Probability): Prospecting (open 10%), Qualification (open 10%), Needs Analysis "
              "(open 20%), Value Proposition (open 50%), Id. Decision Makers (open 60%), Perception Analysis (open 70%), "
              "Proposal/Price Quote (open 75%), Negotiation/Review (open 90%), Closed Won (won 100%), Closed Lost (lost "
              "0%). List them under `stages:` in config.yml to change any.")
    assert opp.notes == [stages, note]
    # The sample has no quotas: nobody is graded, and the build says once what to add.
    no_quota = result.tables["quotas"].notes
    assert len(no_quota) == 1 and no_quota[0].startswith("no quota for anyone")
    assert result.notes == [stages, note, *no_quota]
    assert sorted(con.execute("select * from extract_notes").fetchall()) == sorted(
        [("quotas", no_quota[0]), ("opportunities", stages), ("opportunities", note)])


def test_salesforce_sample_builds_through_the_cli(tmp_path, sample):
    config = preset_config(tmp_path, "salesforce", sample)
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--out", str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert (tmp_path / "site" / "index.html").is_file()
    assert "opportunities: 36 of 36 rows loaded, 0 rejected" in result.output


# --- a full hand-made Salesforce export ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sf_full(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sf")
    return models_on(FIXTURES / "salesforce_full" / "config.yml", tmp)


def test_salesforce_preset_maps_every_object(sf_full):
    reps = rows(sf_full, "select rep_id, name, team, manager_id, role, hire_date, email, active from raw_reps order by rep_id")
    # User.CreatedDate is when the user record was made, not a hire date: no hire dates without a hire-date field.
    assert reps == [
        {"rep_id": "005A0000001", "name": "Ann Ace", "team": "East Sales", "manager_id": "005A0000009", "role": "AE",
         "hire_date": None, "email": "ann@sf.example", "active": True},
        {"rep_id": "005A0000002", "name": "Bob Builder", "team": "Field", "manager_id": "005A0000009", "role": "AE",
         "hire_date": None, "email": "bob@sf.example", "active": False},
        {"rep_id": "005A0000009", "name": "Maria Manager", "team": "East Sales", "manager_id": None, "role": "VP Sales",
         "hire_date": None, "email": "maria@sf.example", "active": True},
    ]
    # The API field ForecastCategory is read (not the renamable ForecastCategoryName), and its values (Forecast,
    # BestCase) become the categories the models use through the preset's forecast.categories.
    raw = dict(sf_full.execute("select opportunity_id, forecast_category from raw_opportunities").fetchall())
    assert (raw["006A0000003"], raw["006A0000005"]) == ("Forecast", "BestCase")
    fc = dict(sf_full.execute("select opportunity_id, forecast_category from stg_opportunities").fetchall())
    assert (fc["006A0000003"], fc["006A0000005"], fc["006A0000004"]) == ("Commit", "Best Case", "Pipeline")
    assert sf_full.execute("select account from raw_opportunities where opportunity_id = '006A0000001'").fetchall() == [
        ("Acme",)
    ]
    # Tasks and events: Type, else TaskSubtype, else 'meeting'; WhatId only when it is an Opportunity (006...).
    acts = sf_full.execute("select activity_id, type, opportunity_id, activity_date from raw_activities order by all").fetchall()
    assert acts == [
        ("00TA1", "Call", "006A0000003", dt.date(2026, 5, 11)),
        ("00TA2", "Email", "006A0000003", dt.date(2026, 5, 12)),
        ("00TA3", "Call", None, dt.date(2026, 5, 13)),
        ("00UA1", "meeting", "006A0000003", dt.date(2026, 5, 13)),
        ("00UA2", "meeting", "006A0000005", dt.date(2026, 5, 14)),
    ]
    # ForecastingQuota has no end date: a quarter from StartDate.
    quotas = sf_full.execute("select rep_id, period_start, period_end, amount from raw_quotas order by all").fetchall()
    assert [(r, s.isoformat(), e.isoformat(), float(a)) for r, s, e, a in quotas] == [
        ("005A0000001", "2026-01-01", "2026-03-31", 200000.0),
        ("005A0000001", "2026-04-01", "2026-06-30", 200000.0),
        ("005A0000002", "2026-04-01", "2026-06-30", 50000.0),
    ]
    history = sf_full.execute(
        "select stage, forecast_category from stg_opportunity_history where opportunity_id = '006A0000001' order by changed_at"
    ).fetchall()
    assert history == [("Prospecting", "Pipeline"), ("Negotiation/Review", "Commit"), ("Closed Won", "Closed")]
    card = rows(sf_full, "select won_amount, quota, attainment from rep_scorecard where rep_id = '005A0000001' and period = '2026-Q1'")
    assert card == [{"won_amount": 100000.0, "quota": 200000.0, "attainment": pytest.approx(0.5)}]


def test_salesforce_preset_notes_the_event_type_fallback(tmp_path):
    result = extract(load_config(FIXTURES / "salesforce_full" / "config.yml"), duckdb.connect())
    assert [n for n in result.notes if "stage" not in n] == [
        "Event.csv: no type column found (looked for coalesce(nullif(trim(Type), ''), 'meeting')); all 2 rows were "
        "given type = 'meeting'. Map `sources.activities[1].columns.type` to a column of the file to use real values."
    ]
    assert {t: (r.read, r.loaded) for t, r in result.tables.items() if r.present} == {
        "reps": (3, 3), "opportunities": (5, 5), "opportunity_history": (9, 9), "activities": (5, 5), "quotas": (3, 3)
    }


def test_owner_column_wins_over_the_fallback(tmp_path):
    """With OwnerId present there is no '(unassigned)' and no note about owners."""
    result = extract(load_config(FIXTURES / "salesforce_full" / "config.yml"), con := duckdb.connect())
    assert not [n for n in result.tables["opportunities"].notes if "owner" in n]
    assert con.execute("select count(*) from extract_opportunities where owner_id = '(unassigned)'").fetchall() == [(0,)]


def test_file_names_match_without_case(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "salesforce_full", folder)
    (folder / "Opportunity.csv").rename(folder / "opportunity.csv")
    (folder / "User.csv").rename(folder / "USER.CSV")
    result = extract(load_config(folder / "config.yml"), duckdb.connect())
    assert result.tables["opportunities"].files == ["opportunity.csv"]
    assert result.tables["reps"].files == ["USER.CSV"]


def test_missing_extracts_folder_is_named(tmp_path):
    cfg = load_config(preset_config(tmp_path, "salesforce", tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match=r"no file matches 'Opportunity.csv' .*the folder .*nowhere does not exist"):
        extract(cfg, duckdb.connect())


# --- HubSpot ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory):
    return {
        kind: models_on(FIXTURES / f"hubspot_{kind}" / "config.yml", tmp_path_factory.mktemp(kind))
        for kind in ("api", "ui")
    }


HUBSPOT_STAGES = {
    "Appointment Scheduled", "Qualified to Buy", "Presentation Scheduled", "Decision Maker Bought-In",
    "Contract Sent", "Closed Won", "Closed Lost",
}


@pytest.mark.parametrize("kind", ["api", "ui"])
def test_hubspot_export_builds_with_one_spelling_of_each_stage(hubspot, kind):
    con = hubspot[kind]
    stages = {r[0] for r in con.execute("select stage from raw_opportunities").fetchall()}
    assert stages == {"Closed Won", "Closed Lost", "Contract Sent", "Appointment Scheduled", "Decision Maker Bought-In"}
    assert {r[0] for r in con.execute("select stage from raw_stages").fetchall()} == HUBSPOT_STAGES
    assert con.execute("select count(*) from quarantine").fetchall() == [(0,)]
    fc = dict(con.execute("select opportunity_id, forecast_category from stg_opportunities").fetchall())
    assert fc == {"9001": "Closed", "9002": "Omitted", "9003": "Commit", "9004": "Pipeline", "9005": "Best Case", "9006": "Closed"}


def test_hubspot_api_and_ui_exports_give_the_same_scorecard(hubspot):
    def by_owner_name(con):
        return sorted(
            (r["name"], r["period"], r["won_amount"], r["deals_won"], r["deals_lost"], r["open_pipeline"])
            for r in rows(con, """select d.name, s.period, s.won_amount, s.deals_won, s.deals_lost, s.open_pipeline
                                  from rep_scorecard s join rep_directory d using (rep_id)
                                  where s.deals_won + s.deals_lost > 0 or s.open_pipeline > 0""")
        )

    api, ui = by_owner_name(hubspot["api"]), by_owner_name(hubspot["ui"])
    assert api == ui
    # No deal history and a single snapshot: the pipeline on 2026-01-01 is not known (None), not 0.
    assert ("Ann Ace", "2026-Q1", 100000.0, 1, 1, None) in api


def test_hubspot_owners_file(hubspot):
    reps = rows(hubspot["api"], "select rep_id, name, team, email, active from raw_reps order by rep_id")
    assert reps == [
        {"rep_id": "111", "name": "Ann Ace", "team": "East", "email": "ann@hubspot.example", "active": True},
        {"rep_id": "222", "name": "Bob Builder", "team": "East", "email": "bob@hubspot.example", "active": True},
        {"rep_id": "333", "name": "Cy Closer", "team": "West", "email": "cy@hubspot.example", "active": False},
    ]


def test_hubspot_ui_values(hubspot):
    con = hubspot["ui"]
    got = rows(con, "select name, amount, close_date, next_step, account from raw_opportunities where opportunity_id = '9003'")
    assert got == [{"name": "Gamma pilot, phase 2", "amount": 80000, "close_date": dt.date(2026, 6, 10),
                    "next_step": "Send contract\nthen call", "account": "Gamma"}]


# --- merging a preset with what the user wrote -----------------------------------------------------------------


def test_user_sources_and_stages_replace_the_presets(tmp_path):
    folder = FIXTURES / "hubspot_api"
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump({
        "preset": "hubspot",
        "extracts_dir": str(folder),
        "sources": {"reps": {"path": "owners.csv", "columns": {"rep_id": "id", "name": "email"}}},
        "stages": [{"name": "Contract Sent", "kind": "open"}, {"name": "Closed Won", "kind": "won"},
                   {"name": "Closed Lost", "kind": "lost"}],
    }), encoding="utf-8")
    cfg = load_config(config)
    assert [s.name for s in cfg.stages] == ["Contract Sent", "Closed Won", "Closed Lost"]
    assert cfg.sources["reps"].columns == {"rep_id": "id", "name": "email"}
    assert cfg.sources["opportunities"].path == "*deals*.csv"  # still the preset's
    con = duckdb.connect()
    result = extract(cfg, con)
    # The two stages the user left out are quarantined, never dropped silently.
    reasons = con.execute('select "row", value, reason from quarantine order by "row"').fetchall()
    assert reasons == [(5, "Appointment Scheduled", "unknown stage (add it to config stages)"),
                       (6, "Decision Maker Bought-In", "unknown stage (add it to config stages)")]
    assert result.tables["opportunities"].loaded == 4
    assert con.execute("select name from extract_reps where rep_id = '111'").fetchall() == [("ann@hubspot.example",)]


def test_salesforce_sample_scorecard_cell_for_cell(tmp_path, sample):
    """The real sample through `preset: salesforce` alone, against a plain-Python reading of Opportunity.csv.

    By hand: 36 deals, no OwnerId, so all are '(unassigned)'. Closed in 2024-Q1 (CloseDate 02/03/24): 12 won
    (220000+235000+235000+30000+350000+440000+50000+75000+85000+90000+90000+915000 = 2,815,000, average 234,583.33)
    and 6 lost, win rate 12/18. Closed in 2026-Q1: the 2 author-added lost deals (02/23/26, 03/31/26, later than
    as_of 2026-03-07: they count in the quarter of their close date). Every won deal was created (02/23/26) after it
    closed, so no won deal has a valid cycle: avg_cycle_days is empty, not negative (the 32 such rows are flagged).
    16 rows are in open stages (IsClosed FALSE), dated or not: rep_hygiene.open_deals = 16. No Task/Event export:
    no activity alert."""
    config = preset_config(tmp_path, "salesforce", sample)
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--out", str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")]
    )
    assert result.exit_code == 0, result.output
    parse = lambda s: dt.datetime.strptime(s.split(" ")[0], "%m/%d/%y").date()  # noqa: E731
    cells: dict = defaultdict(lambda: {"won": 0.0, "n_won": 0, "n_lost": 0, "cycles": []})
    open_rows = 0
    with open(sample / "Opportunity.csv", newline="", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["IsClosed"] != "TRUE":
                open_rows += 1
                continue
            close, created = parse(r["CloseDate"]), parse(r["CreatedDate"])
            c = cells[quarter(close)]
            if r["IsWon"] == "TRUE":
                c["n_won"] += 1
                c["won"] += float(r["Amount"])
                if close >= created:
                    c["cycles"].append((close - created).days)
            else:
                c["n_lost"] += 1
    assert {k: (v["won"], v["n_won"], v["n_lost"]) for k, v in cells.items()} == {
        "2024-Q1": (2815000.0, 12, 6), "2026-Q1": (0.0, 0, 2)}
    data = tmp_path / "site" / "data"
    with open(data / "rep_scorecard.csv", newline="", encoding="utf-8") as fh:
        got = {r["period"]: r for r in csv.DictReader(fh)}
    assert {r["rep_id"] for r in got.values()} == {"(unassigned)"}
    for period, row in got.items():
        c = cells.get(period, {"won": 0.0, "n_won": 0, "n_lost": 0, "cycles": []})
        closed = c["n_won"] + c["n_lost"]
        assert float(row["won_amount"]) == pytest.approx(c["won"]), period
        assert (int(row["deals_won"]), int(row["deals_lost"])) == (c["n_won"], c["n_lost"]), period
        assert (float(row["win_rate"]) if row["win_rate"] else None) == pytest.approx(
            c["n_won"] / closed if closed else None), period
        assert (float(row["avg_deal_size"]) if row["avg_deal_size"] else None) == pytest.approx(
            c["won"] / c["n_won"] if c["n_won"] else None), period
        assert (float(row["avg_cycle_days"]) if row["avg_cycle_days"] else None) == pytest.approx(
            sum(c["cycles"]) / len(c["cycles"]) if c["cycles"] else None), period
    assert float(got["2024-Q1"]["avg_deal_size"]) == pytest.approx(234583.333333)
    with open(data / "rep_hygiene.csv", newline="", encoding="utf-8") as fh:
        assert [(r["rep_id"], int(r["open_deals"])) for r in csv.DictReader(fh)] == [("(unassigned)", open_rows)]
    assert open_rows == 16
    with open(data / "rep_alerts.csv", newline="", encoding="utf-8") as fh:
        assert not [r for r in csv.DictReader(fh) if "activit" in r["metric"]]
