"""A generic CRM export (Zoho-style) mapped by a short config builds with the default thresholds, and its CSVs match
both values worked out by hand and an independent computation that shares no code with the pipeline.

Fixture tests/fixtures/zoho_export (see its config.yml): Deals.csv is Windows-1252, `;`, CRLF; close dates are
day-first (`date_format: "%d/%m/%Y"`) beside ISO created timestamps; owners are display names; EUR is corporate,
USD 1.25 and GBP 0.8 per euro (corporate = amount / rate). The same rows are also built as UTF-8 with a BOM, `,`
and LF: every data CSV must come out the same.

Worked out by hand (calendar quarters; José = ...291001, Zoë = ...291002, Ana = ...291003, Ana manages both):

    deal  owner stage                        amount      close       created     -> counts in
    001   José  Closed Won                   1000 EUR    2026-01-20  2026-01-05  Q1 won 1000, cycle 15
    002   José  Closed Won                   2500 USD    2026-03-03  2026-02-01  Q1 won 2500/1.25 = 2000, cycle 30
    003   José  Closed Lost                  -           2026-02-15  2026-01-10  Q1 lost
    004   José  Closed Won                   -           2026-04-10  -           Q2 won without amount, no cycle
    005   José  Negociación                  800 GBP     -           2026-04-01  open, undated, 800/0.8 = 1000
    006   José  Qualification                -           -           -           open, undated, no amount
    007   Zoë   Closed Won                   4000 EUR    2026-03-31  2026-03-01  Q1 won 4000, cycle 30
    008   Zoë   Closed-Lost to Competition   0 EUR       2026-02-12  2026-02-10  Q1 lost (12/02 is 12 Feb, not 2 Dec)
    009   Zoë   Closed Won                   1250 USD    2026-05-04  2026-04-02  Q2 won 1000, cycle 32 (4 May, not 5 Apr)
    010   Zoë   Proposal/Price Quote         3000 EUR    2026-06-30  2026-05-01  open
    011   Zoë   Negociación                  500 EUR     2026-07-15  -           open
    012   Ana   Closed Lost                  2000 EUR    2026-05-06  2026-05-02  Q2 lost

    rep   period   won_amount deals_won deals_lost win_rate avg_deal_size avg_cycle_days won_without_amount
    José  2026-Q1  3000       2         1          2/3      1500          22.5           0
    José  2026-Q2  0          1         0          1        -             -              1
    Zoë   2026-Q1  4000       1         1          1/2      4000          30             0
    Zoë   2026-Q2  1000       1         0          1        1000          32             0
    Ana   2026-Q2  0          0         1          0        -             -              0

    open_deals (rep_hygiene): José 2 (both undated), Zoë 2, Ana 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.extract.parsers import _timestamp
from pipelines.sqltext import lit
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "zoho_export"
JOSE, ZOE, ANA = "4876876000000291001", "4876876000000291002", "4876876000000291003"
HAND = {  # (rep, period): (won_amount, deals_won, deals_lost, win_rate, avg_deal_size, avg_cycle_days, won without amount)
    (JOSE, "2026-Q1"): (3000.0, 2, 1, 2 / 3, 1500.0, 22.5, 0),
    (JOSE, "2026-Q2"): (0.0, 1, 0, 1.0, None, None, 1),
    (ZOE, "2026-Q1"): (4000.0, 1, 1, 0.5, 4000.0, 30.0, 0),
    (ZOE, "2026-Q2"): (1000.0, 1, 0, 1.0, 1000.0, 32.0, 0),
    (ANA, "2026-Q2"): (0.0, 0, 1, 0.0, None, None, 0),
}


def utf8_variant(folder: Path) -> None:
    """Rewrite Deals.csv as UTF-8 with a BOM, `,` and LF (same rows, same text)."""
    with open(folder / "Deals.csv", encoding="cp1252", newline="") as fh:
        table = list(csv.reader(fh, delimiter=";"))
    with open(folder / "Deals.csv", "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(table)


@pytest.fixture(scope="module", params=["windows-1252", "utf-8"])
def built(request, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp(request.param)
    org = tmp / "org"
    shutil.copytree(FIXTURE, org)
    if request.param == "utf-8":
        utf8_variant(org)
    result = CliRunner().invoke(main, ["build", "--config", str(org / "config.yml"), "--out", str(tmp / "site"),
                                       "--warehouse", str(tmp / "wh")])
    assert result.exit_code == 0, result.output
    assert "12 of 12 rows loaded, 0 rejected" in result.output
    return tmp / "site" / "data"


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def num(text: str) -> float | None:
    return float(text) if text else None


# --- the independent computation: the raw file, read as a person with a spreadsheet would ------------------------


def independent(folder: Path) -> tuple[dict, dict]:
    rates = {"EUR": 1.0, "USD": 1.25, "GBP": 0.8}
    kinds = {"Closed Won": "won", "Closed Lost": "lost", "Closed-Lost to Competition": "lost"}
    with open(folder / "Users.csv", encoding="utf-8-sig", newline="") as fh:
        ids = {r["Full Name"]: r["User Id"] for r in csv.DictReader(fh, delimiter=";")}
    cells: dict = defaultdict(lambda: {"won": 0.0, "n_won": 0, "n_amount": 0, "n_lost": 0, "cycles": [], "no_amount": 0})
    open_deals: dict = defaultdict(int)
    with open(folder / "Deals.csv", encoding="cp1252", newline="") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            rep, kind = ids[r["Deal Owner"]], kinds.get(r["Stage"], "open")
            if kind == "open":
                open_deals[rep] += 1
                continue
            close = dt.datetime.strptime(r["Closing Date"], "%d/%m/%Y").date()
            created = dt.date.fromisoformat(r["Created Time"][:10]) if r["Created Time"] else None
            c = cells[(rep, f"{close.year}-Q{(close.month - 1) // 3 + 1}")]
            if kind == "lost":
                c["n_lost"] += 1
                continue
            c["n_won"] += 1
            if r["Amount"]:
                c["won"] += float(r["Amount"]) / rates[r["Currency"]]
                c["n_amount"] += 1
            else:
                c["no_amount"] += 1
            if created:
                c["cycles"].append((close - created).days)
    want = {}
    for key, c in cells.items():
        want[key] = (c["won"], c["n_won"], c["n_lost"], c["n_won"] / (c["n_won"] + c["n_lost"]),
                     c["won"] / c["n_amount"] if c["n_amount"] else None,
                     sum(c["cycles"]) / len(c["cycles"]) if c["cycles"] else None, c["no_amount"])
    return want, dict(open_deals)


def test_the_independent_computation_agrees_with_the_hand_worked_table():
    want, open_deals = independent(FIXTURE)
    assert want.keys() == HAND.keys()
    for key, cells in want.items():
        assert cells == pytest.approx(HAND[key]), key
    assert open_deals == {JOSE: 2, ZOE: 2}


def test_rep_scorecard_cell_for_cell(built):
    """Against the independent computation (itself checked against the hand-worked table above)."""
    want, _ = independent(FIXTURE)
    got = {(r["rep_id"], r["period"]): r for r in read(built / "rep_scorecard.csv")}
    for key, (won, n_won, n_lost, rate, avg, cycle, no_amount) in want.items():
        row = got[key]
        assert float(row["won_amount"]) == pytest.approx(won), key
        assert (int(row["deals_won"]), int(row["deals_lost"])) == (n_won, n_lost), key
        assert float(row["win_rate"]) == pytest.approx(rate), key
        assert num(row["avg_deal_size"]) == pytest.approx(avg), key
        assert num(row["avg_cycle_days"]) == pytest.approx(cycle), key
        assert int(row["won_deals_without_amount"]) == no_amount, key
        assert row["currency"] == "EUR"
    for key, row in got.items():  # every other row closed nothing
        if key not in want:
            assert (row["deals_won"], row["deals_lost"], float(row["won_amount"])) == ("0", "0", 0.0), key


def test_open_deals_are_the_raw_count_of_open_rows_dated_or_not(built):
    got = {r["rep_id"]: int(r["open_deals"]) for r in read(built / "rep_hygiene.csv")}
    assert got == {JOSE: 2, ZOE: 2, ANA: 0}
    assert {r["rep_id"]: r["no_close_date"] for r in read(built / "rep_hygiene.csv")}[JOSE] == "2"


def test_no_activity_alert_without_an_activities_extract(built):
    assert not [r for r in read(built / "rep_alerts.csv") if "activit" in r["metric"]]
    assert not [r for r in read(built / "team_alerts.csv") if "activit" in r.get("metric", "")]


def test_accents_read_correctly_in_the_csvs(built):
    assert {r["stage"] for r in read(built / "rep_open_deals.csv")} == {"Negociación", "Qualification",
                                                                        "Proposal/Price Quote"}
    assert "Negociación" in {r["stage"] for r in read(built / "rep_pipeline_by_stage.csv")}
    names = {r["name"] for r in read(built / "rep_directory.csv")}
    assert names == {"José Núñez", "Zoë O’Brien", "Ana Pérez"}
    assert {r["account"] for r in read(built / "rep_open_deals.csv")} >= {"Crème SA", "Señor SL", "Zürich AG"}


def test_both_encodings_give_the_same_data(tmp_path):
    """The Windows-1252 `;` CRLF file and its UTF-8 BOM `,` LF twin give byte-identical data CSVs (but the note
    saying which encoding was read)."""
    sites = []
    for variant in ("cp1252", "utf8"):
        org = tmp_path / variant
        shutil.copytree(FIXTURE, org)
        if variant == "utf8":
            utf8_variant(org)
        result = CliRunner().invoke(main, ["build", "--config", str(org / "config.yml"), "--out",
                                           str(tmp_path / f"site-{variant}"), "--warehouse", str(tmp_path / f"wh-{variant}")])
        assert result.exit_code == 0, result.output
        sites.append(tmp_path / f"site-{variant}" / "data")
    names = sorted(p.name for p in sites[0].glob("*.csv"))
    assert names == sorted(p.name for p in sites[1].glob("*.csv"))
    differ = [n for n in names if (sites[0] / n).read_bytes() != (sites[1] / n).read_bytes()]
    assert differ == ["org_extract_notes.csv"]


@pytest.mark.parametrize(
    ("text", "fmt", "want"),
    [
        ("06/12/2026", "%d/%m/%Y", "2026-12-06"),
        ("2026-12-06 10:22:01", "%d/%m/%Y", "2026-12-06"),  # ISO text still reads beside a day-first format
        ("2026-12-06", "%d/%m/%Y", "2026-12-06"),
        ("06/12/2026", None, "2026-06-12"),  # undeclared: month first
        ("2026-06-12", "%Y-%d-%m", "2026-12-06"),  # a configured format wins over the ISO reading
        ("6th Dec", "%d/%m/%Y", None),
    ],
)
def test_a_date_format_still_reads_iso_dates(text, fmt, want):
    got = duckdb.connect().execute(f"select cast({_timestamp(lit(text), fmt)} as date)").fetchone()[0]
    assert (got.isoformat() if got else None) == want


def test_without_an_activities_extract_the_other_alerts_remain_and_none_is_about_activity(tmp_path):
    """The demo org (12 reps, with quotas, so reps are graded and alerted) built with `activities` dropped from its
    config.yml: rep_alerts.csv still has alerts (attainment, coverage, ...), so the check is not vacuous, and none
    of them, nor of team_alerts.csv, is about activity."""
    from pipelines.demo import generate_demo

    config = generate_demo(tmp_path / "org", reps=12, seed=7)
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join(x for x in text.splitlines() if "activities" not in x) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    alerts = read(tmp_path / "site" / "data" / "rep_alerts.csv")
    assert len({a["metric"] for a in alerts}) >= 2
    assert not [a for a in alerts if "activit" in a["metric"]]
    assert not [a for a in read(tmp_path / "site" / "data" / "team_alerts.csv") if "activit" in a["metric"]]
