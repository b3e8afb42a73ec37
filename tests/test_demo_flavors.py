"""`demo-data --flavor salesforce|hubspot` builds through its preset alone, and the scorecard matches an independent
computation from the exported files.

The independent computation below reads the files as a person with a spreadsheet would: the stage kind from
IsClosed/IsWon (Salesforce) or the stage label (HubSpot), corporate amount = amount ÷ the rate in force on the close
date (DatedConversionRate.csv, else CurrencyType.csv), fiscal quarters from February, named by the year they end
in. It shares no code with the pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.demo import generate_demo

REPS, SEED = 24, 5


def build(tmp: Path, flavor: str) -> Path:
    config = generate_demo(tmp / "org", reps=REPS, seed=SEED, flavor=flavor)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp / "site"),
                                       "--warehouse", str(tmp / "wh")])
    assert result.exit_code == 0, result.output
    return tmp


@pytest.fixture(scope="module")
def salesforce(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("sf"), "salesforce")


@pytest.fixture(scope="module")
def hubspot(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("hs"), "hubspot")


def read(path: Path, encoding: str = "utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def day(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text.strip() else None


def period(d: dt.date) -> str:
    """Fiscal quarter with the year starting in February, named by the calendar year it ends in."""
    year, month = divmod(d.year * 12 + d.month - 2, 12)
    return f"{year + 1}-Q{month // 3 + 1}"


# --- the independent computation -----------------------------------------------------------------------------


def sf_rates(org: Path):
    static = {r["IsoCode"]: float(r["ConversionRate"]) for r in read(org / "CurrencyType.csv", "cp1252")}
    dated = defaultdict(list)
    for r in read(org / "DatedConversionRate.csv", "cp1252"):
        dated[r["IsoCode"]].append((r["StartDate"][:10], r["NextStartDate"][:10], float(r["ConversionRate"])))

    def rate(code: str, on: dt.date) -> float:
        for start, end, value in dated.get(code, []):
            if start <= on.isoformat() < end:
                return value
        return static[code]

    return rate


def sf_deals(org: Path, as_of: dt.date) -> list[dict]:
    rate = sf_rates(org)
    deals = []
    for r in read(org / "Opportunity.csv", "cp1252"):
        kind = "won" if r["IsWon"] == "1" else "lost" if r["IsClosed"] == "1" else "open"
        close = day(r["CloseDate"])
        amount = float(r["Amount"]) / rate(r["CurrencyIsoCode"], close or as_of) if r["Amount"] else None
        deals.append({"owner": r["OwnerId"], "kind": kind, "amount": amount, "close": close,
                      "created": day(r["CreatedDate"])})
    return deals


def hs_deals(org: Path) -> list[dict]:
    owners = {f"{r['firstName']} {r['lastName']}": r["id"] for r in read(org / "owners.csv")}
    deals = []
    for path in org.glob("*deals*.csv"):
        for r in read(path, "utf-8-sig"):
            stage = r["Deal Stage"]
            kind = "won" if stage == "Closed won" else "lost" if stage == "Closed lost" else "open"
            deals.append({"owner": owners[r["Deal owner"]], "kind": kind,
                          "amount": float(r["Amount"]) if r["Amount"] else None, "close": day(r["Close Date"]),
                          "created": day(r["Create Date"])})
    return deals


def expected_scorecard(deals: list[dict]) -> dict[tuple[str, str], dict]:
    cells: dict[tuple[str, str], dict] = defaultdict(lambda: {"won": 0.0, "deals_won": 0, "with_amount": 0,
                                                              "deals_lost": 0, "cycles": []})
    for deal in deals:
        if deal["kind"] == "open":
            continue
        c = cells[(deal["owner"], period(deal["close"]))]
        if deal["kind"] == "lost":
            c["deals_lost"] += 1
            continue
        c["deals_won"] += 1
        if deal["amount"] is not None:
            c["won"] += deal["amount"]
            c["with_amount"] += 1
        if deal["created"] and deal["close"] >= deal["created"]:
            c["cycles"].append((deal["close"] - deal["created"]).days)
    return cells


def check_scorecard(site: Path, deals: list[dict]) -> int:
    """Every (rep, quarter) with a closed deal matches cell for cell; every other row has none. Returns the cells."""
    got = {(r["rep_id"], r["period"]): r for r in read(site / "data" / "rep_scorecard.csv")}
    want = expected_scorecard(deals)
    for key, c in want.items():
        row = got[key]
        closed = c["deals_won"] + c["deals_lost"]
        assert float(row["won_amount"]) == pytest.approx(c["won"], rel=1e-9, abs=1e-6), key
        assert (int(row["deals_won"]), int(row["deals_lost"])) == (c["deals_won"], c["deals_lost"]), key
        assert float(row["win_rate"]) == pytest.approx(c["deals_won"] / closed), key
        avg = c["won"] / c["with_amount"] if c["with_amount"] else None
        assert (float(row["avg_deal_size"]) if row["avg_deal_size"] else None) == pytest.approx(avg), key
        cycle = sum(c["cycles"]) / len(c["cycles"]) if c["cycles"] else None
        assert (float(row["avg_cycle_days"]) if row["avg_cycle_days"] else None) == pytest.approx(cycle), key
    for key, row in got.items():
        if key not in want:
            assert (row["deals_won"], row["deals_lost"], float(row["won_amount"])) == ("0", "0", 0.0), key
    return len(want)


def check_open_deals(site: Path, deals: list[dict]) -> None:
    """rep_hygiene.open_deals is the raw count of open-stage rows per owner, dated or not."""
    raw = defaultdict(int)
    for deal in deals:
        if deal["kind"] == "open":
            raw[deal["owner"]] += 1
    got = {r["rep_id"]: int(r["open_deals"]) for r in read(site / "data" / "rep_hygiene.csv")}
    assert {k: v for k, v in got.items() if v} == dict(raw)
    assert sum(1 for deal in deals if deal["kind"] == "open" and deal["close"] is None) > 0  # undated ones exist


# --- the tests ---------------------------------------------------------------------------------------------------


def test_salesforce_flavor_scorecard_matches_an_independent_computation(salesforce):
    deals = sf_deals(salesforce / "org", dt.date(2026, 11, 18))
    assert {d["amount"] is None for d in deals if d["kind"] == "won"} == {True, False}  # won without amount exist
    assert check_scorecard(salesforce / "site", deals) > 50
    check_open_deals(salesforce / "site", deals)
    currencies = {r["CurrencyIsoCode"] for r in read(salesforce / "org" / "Opportunity.csv", "cp1252")}
    assert currencies == {"USD", "EUR", "GBP"}
    assert {r["currency"] for r in read(salesforce / "site" / "data" / "rep_scorecard.csv")} == {"USD"}


def test_salesforce_flavor_reads_its_stages_people_and_encoding(salesforce):
    """Custom stage names with accents and an en dash survive Windows-1252 into the CSVs; managers come from the role
    hierarchy (no manager is left empty below the VP); system users are not in the directory."""
    stages = {r["stage"] for r in read(salesforce / "site" / "data" / "rep_pipeline_by_stage.csv")}
    assert {"Découverte", "Negociación"} <= stages
    funnel = {r["stage"] for r in read(salesforce / "site" / "data" / "rep_stage_funnel.csv")}
    assert {"Closed – Won", "Closed – Lost"} <= funnel
    people = read(salesforce / "site" / "data" / "rep_directory.csv")
    assert [p["name"] for p in people if not p["manager_id"]] == [p["name"] for p in people if p["team"] == "VP Sales"]
    assert not [p for p in people if p["name"] in ("Integration User", "Automated Process")]
    assert {p["hire_date"] for p in people} == {""}  # no hire-date field in User.csv


def test_hubspot_flavor_scorecard_matches_an_independent_computation(hubspot):
    deals = hs_deals(hubspot / "org")
    assert check_scorecard(hubspot / "site", deals) > 50
    check_open_deals(hubspot / "site", deals)
    # HubSpot keeps goals outside the deals export: nobody has a quota, so nobody is graded, and the build says so.
    assert read(hubspot / "site" / "data" / "rep_alerts.csv") == []
    cards = read(hubspot / "site" / "data" / "rep_balanced_scorecard.csv")
    assert {c["is_graded"] for c in cards} == {"false"} and {c["overall_grade"] for c in cards} == {""}
    notes = [n["note"] for n in read(hubspot / "site" / "data" / "org_extract_notes.csv") if n["table_name"] == "quotas"]
    assert len(notes) == 1 and "grades.require_quota: false" in notes[0]


def test_flavors_are_deterministic(tmp_path):
    for flavor in ("salesforce", "hubspot"):
        a = generate_demo(tmp_path / f"{flavor}-a", reps=6, seed=3, flavor=flavor).parent
        b = generate_demo(tmp_path / f"{flavor}-b", reps=6, seed=3, flavor=flavor).parent
        for path in sorted(a.iterdir()):
            assert path.read_bytes() == (b / path.name).read_bytes(), path.name
