"""The demo org must be deterministic, referentially sound and realistic enough to exercise every scorecard.

Each realism property below is something a scorecard or hygiene check relies on;
if the generator drifts, the demo site would silently stop showing that case.
"""

from __future__ import annotations

import csv
import pathlib
import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
import yaml

from pipelines.demo import (
    DEMO_AS_OF,
    DEMO_FISCAL_YEAR_START_MONTH,
    DEMO_STAGES,
    fiscal_quarter_start,
    generate_demo,
)

FILES = ("reps", "opportunities", "opportunity_history", "activities", "quotas")
HEADERS = {
    "reps": ["rep_id", "name", "team", "manager_id", "role", "hire_date", "email", "active"],
    "opportunities": ["opportunity_id", "owner_id", "account", "name", "stage", "amount", "created_date",
                      "close_date", "forecast_category", "next_step", "last_activity_date"],
    "opportunity_history": ["opportunity_id", "changed_at", "stage", "amount", "close_date", "forecast_category"],
    "activities": ["activity_id", "owner_id", "activity_date", "type", "opportunity_id"],
    "quotas": ["rep_id", "period_start", "period_end", "amount"],
}
AS_OF = DEMO_AS_OF
SELLER_ROLES = {"AE", "Senior AE"}
OPEN = {s["name"] for s in DEMO_STAGES if s["kind"] == "open"}
STAGE_FC = {"Prospecting": "Pipeline", "Qualification": "Pipeline", "Proposal": "Best Case",
            "Negotiation": "Commit", "Closed Won": "Closed", "Closed Lost": "Omitted"}
LAST_CLOSED_QUARTER = (date(2026, 8, 1), date(2026, 10, 31))


def d(s: str) -> date:
    return date.fromisoformat(s)


def read(out: pathlib.Path, name: str) -> list[dict]:
    with open(out / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Org:
    """Parsed demo files plus the derived views most tests need."""

    def __init__(self, out: pathlib.Path):
        self.out = out
        for name in FILES:
            setattr(self, name, read(out, name))
        self.by_id = {r["rep_id"]: r for r in self.reps}
        self.opp_by_id = {o["opportunity_id"]: o for o in self.opportunities}
        self.history_by_opp = defaultdict(list)
        for h in self.opportunity_history:
            self.history_by_opp[h["opportunity_id"]].append(h)
        self.managers = [r for r in self.reps if r["role"] == "Manager"]
        self.sellers = [r for r in self.reps if r["role"] in SELLER_ROLES]
        self.team_of = {r["rep_id"]: r["manager_id"] for r in self.sellers}
        for m in self.managers:
            self.team_of[m["rep_id"]] = m["rep_id"]
        self.won = defaultdict(float)
        for o in self.opportunities:
            if o["stage"] == "Closed Won":
                self.won[o["owner_id"]] += float(o["amount"])
        self.open = [o for o in self.opportunities if o["stage"] in OPEN]


def generate(out: pathlib.Path, reps: int, seed: int = 42) -> Org:
    generate_demo(out, reps=reps, seed=seed)
    return Org(out)


@pytest.fixture(scope="module")
def org(tmp_path_factory) -> Org:
    return generate(tmp_path_factory.mktemp("demo"), reps=40)


# ---------------------------------------------------------------------------
# Determinism and file format


def test_same_inputs_give_identical_bytes(tmp_path, org):
    config = generate_demo(tmp_path / "again", reps=40, seed=42)
    assert config == tmp_path / "again" / "config.yml"
    for name in [f"{n}.csv" for n in FILES] + ["config.yml"]:
        assert (tmp_path / "again" / name).read_bytes() == (org.out / name).read_bytes(), name


# sha256 of `demo-data --reps 20 --seed 42` as the generator wrote it before the --flavor option existed: the
# default output is a fixture of users' scripts and of the bench, so it must not change by a byte.
DEFAULT_20_42 = {
    "activities.csv": "0cf3b5d478da352d891e0bf943e3d16f454f37db82ea2f18d6fe36e0e926ffb1",
    "config.yml": "d0736c0b5d73f5deae5d6e593dcf81aa244a3a7086014c13ed1171c13f8b2381",
    "opportunities.csv": "1ba9e9f1316d02a64172c43c0dab5904ab48a3459e7639d1afc94da9b5af71f8",
    "opportunity_history.csv": "a5f5fe03a5e9ee90c0f80e72b6566e1151713b23568335d1747a1b250dc64589",
    "quotas.csv": "adf27ee64a10ec5ef6dfe57c4f3bcdf6183e079a3b6ae54bb4fe5000061cc93a",
    "reps.csv": "7fe6874668dd806fcefef4f00c3ae2bf6d84292a807fd535ecaec8ec1bc57096",
}


def test_default_output_has_not_changed(tmp_path):
    import hashlib

    generate_demo(tmp_path, reps=20, seed=42)
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp_path.iterdir())}
    assert got == DEFAULT_20_42


def test_other_seed_gives_other_org(tmp_path, org):
    generate_demo(tmp_path, reps=40, seed=7)
    assert (tmp_path / "opportunities.csv").read_bytes() != (org.out / "opportunities.csv").read_bytes()


def test_headers_line_endings_and_formats(org):
    for name in FILES:
        raw = (org.out / f"{name}.csv").read_bytes()
        assert b"\r" not in raw
        assert raw.decode("utf-8").split("\n", 1)[0].split(",") == HEADERS[name]
    ts = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
    money = re.compile(r"\d+\.\d\d$")
    assert all(ts.match(h["changed_at"]) for h in org.opportunity_history)
    assert all(money.match(o["amount"]) for o in org.opportunities if o["amount"])
    assert all(money.match(q["amount"]) for q in org.quotas)


def test_config_points_at_the_files(org):
    config = yaml.safe_load((org.out / "config.yml").read_text())
    assert config["org_name"] == "Demo Org"
    assert config["as_of"] == AS_OF
    assert config["fiscal_year_start_month"] == DEMO_FISCAL_YEAR_START_MONTH == 2
    assert config["stages"] == DEMO_STAGES
    assert set(config["sources"]) == set(FILES)
    for src in config["sources"].values():
        assert (org.out / src["path"]).is_file()


# ---------------------------------------------------------------------------
# Referential integrity


def test_ids_unique_and_well_formed(org):
    for rows, key, pattern in ((org.reps, "rep_id", r"r\d{4,}$"),
                               (org.opportunities, "opportunity_id", r"o\d{6,}$"),
                               (org.activities, "activity_id", r"a\d{6,}$")):
        ids = [r[key] for r in rows]
        assert len(ids) == len(set(ids)), key
        assert all(re.match(pattern, i) for i in ids), key


def test_foreign_keys_resolve(org):
    assert {o["owner_id"] for o in org.opportunities} <= set(org.by_id)
    assert {a["owner_id"] for a in org.activities} <= set(org.by_id)
    assert {q["rep_id"] for q in org.quotas} <= set(org.by_id)
    assert {r["manager_id"] for r in org.reps if r["manager_id"]} <= set(org.by_id)
    assert set(org.history_by_opp) == set(org.opp_by_id)
    linked = [a for a in org.activities if a["opportunity_id"]]
    assert {a["opportunity_id"] for a in linked} <= set(org.opp_by_id)
    # An activity is logged by the deal's owner, while the deal is being worked.
    for a in linked:
        o = org.opp_by_id[a["opportunity_id"]]
        assert a["owner_id"] == o["owner_id"]
        assert o["created_date"] <= a["activity_date"]
        if o["stage"] not in OPEN:
            assert a["activity_date"] <= o["close_date"]


def test_dates_and_amounts_are_sane(org):
    start = AS_OF - timedelta(days=730)
    for o in org.opportunities:
        assert start <= d(o["created_date"]) <= AS_OF
        assert o["created_date"] <= o["close_date"]
        if o["stage"] not in OPEN:
            assert d(o["close_date"]) <= AS_OF
        assert d(o["last_activity_date"]) <= AS_OF
    for rows in (org.opportunities, org.opportunity_history):
        amounts = [float(r["amount"]) for r in rows if r["amount"]]
        assert min(amounts) >= 5000 and max(amounts) <= 250000
        assert all(a % 100 == 0 for a in amounts)
    assert all(d(h["close_date"]) >= d(org.opp_by_id[h["opportunity_id"]]["created_date"])
               for h in org.opportunity_history)


def test_history_replays_to_current_state(org):
    for oid, rows in org.history_by_opp.items():
        o = org.opp_by_id[oid]
        assert rows[0]["changed_at"][:10] == o["created_date"]
        stamps = [r["changed_at"] for r in rows]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        assert stamps[-1][:10] <= AS_OF.isoformat()
        last = rows[-1]
        for col in ("stage", "amount", "close_date", "forecast_category"):
            assert last[col] == o[col], (oid, col)
        for prev, cur in zip(rows, rows[1:]):
            assert any(prev[c] != cur[c] for c in ("stage", "amount", "close_date", "forecast_category"))


def test_last_activity_date_matches_activities(org):
    latest = {}
    for a in org.activities:
        if a["opportunity_id"]:
            latest[a["opportunity_id"]] = max(latest.get(a["opportunity_id"], ""), a["activity_date"])
    for o in org.opportunities:
        assert o["last_activity_date"] == latest.get(o["opportunity_id"], o["created_date"])


# ---------------------------------------------------------------------------
# Org chart


def test_org_chart(org):
    vps = [r for r in org.reps if r["role"] == "VP"]
    assert len(vps) == 1 and vps[0]["manager_id"] == "" and vps[0]["team"] in ("", "Leadership")
    assert all(m["manager_id"] == vps[0]["rep_id"] for m in org.managers)
    assert {r["role"] for r in org.reps} <= SELLER_ROLES | {"Manager", "VP"}
    roles = [r["role"] for r in org.sellers]
    assert roles.count("AE") > roles.count("Senior AE") > 0
    manager_ids = {m["rep_id"] for m in org.managers}
    assert all(r["manager_id"] in manager_ids for r in org.sellers)
    assert not any(r["manager_id"] == vps[0]["rep_id"] for r in org.sellers)


@pytest.mark.parametrize("reps", [20, 40, 97])
def test_teams_of_six_to_ten_with_one_manager(tmp_path, reps):
    org = org_ = generate(tmp_path, reps=reps, seed=reps)
    assert len(org_.sellers) == reps
    members = defaultdict(list)
    for r in org.sellers:
        members[r["manager_id"]].append(r)
    assert set(members) == {m["rep_id"] for m in org.managers}
    for mgr_id, team in members.items():
        assert 6 <= len(team) <= 10
        team_names = {r["team"] for r in team if r["team"]}
        assert team_names == {org.by_id[mgr_id]["team"]}
    assert len({m["team"] for m in org.managers}) == len(org.managers)
    # Exactly one seller's team is blank: it must be derived from their manager.
    assert sum(1 for r in org.sellers if r["team"] == "") == 1


def test_names_and_emails(org):
    emails = [r["email"] for r in org.reps]
    assert len(set(emails)) == len(emails)
    for r in org.reps:
        assert re.match(r"[a-z]+\.[a-z]+\d*@demo\.example$", r["email"]), r["email"]
        assert len(r["name"].split(" ")) == 2
        assert r["active"] in ("true", "false")


def test_new_hires_and_leavers(org):
    recent = [r for r in org.sellers if (AS_OF - d(r["hire_date"])).days <= 273]
    assert 0.10 <= len(recent) / len(org.sellers) <= 0.15
    leavers = {r["rep_id"] for r in org.reps if r["active"] == "false"}
    assert leavers
    for o in org.opportunities:
        if o["owner_id"] in leavers:
            assert o["stage"] not in OPEN and d(o["close_date"]) < AS_OF
    assert all(d(a["activity_date"]) < AS_OF for a in org.activities if a["owner_id"] in leavers)


def test_new_hires_ramp_up_deal_volume(org):
    """Deals per rep-day in the first 90 days of tenure are well below the rate after 6 months."""
    start = AS_OF - timedelta(days=730)
    hires = {r["rep_id"]: d(r["hire_date"]) for r in org.sellers if d(r["hire_date"]) > start}
    early = late = early_days = late_days = 0
    for rid, hired in hires.items():
        early_days += min(90, (AS_OF - hired).days)
        late_days += max(0, (AS_OF - hired).days - 180)
    for o in org.opportunities:
        if o["owner_id"] in hires:
            tenure = (d(o["created_date"]) - hires[o["owner_id"]]).days
            early += tenure < 90
            late += tenure >= 180
    assert late_days and early / early_days < 0.7 * (late / late_days)


# ---------------------------------------------------------------------------
# Performance spread


def team_won(org: Org) -> dict[str, float]:
    totals = defaultdict(float)
    for rid, amount in org.won.items():
        if rid in org.team_of:
            totals[org.team_of[rid]] += amount
    return totals


@pytest.mark.parametrize("reps,seed", [(20, 1), (40, 42), (61, 3)])
def test_a_manager_sells_and_others_barely_do(tmp_path, reps, seed):
    org = generate(tmp_path, reps=reps, seed=seed)
    totals = team_won(org)
    shares = {m["rep_id"]: org.won[m["rep_id"]] / totals[m["rep_id"]] for m in org.managers}
    assert max(shares.values()) > 0.30
    deal_counts = defaultdict(int)
    for o in org.opportunities:
        deal_counts[o["owner_id"]] += 1
    assert min(deal_counts[m["rep_id"]] for m in org.managers) <= 10


def test_top_fifth_of_reps_own_40_to_70_percent_of_won(org):
    won = sorted((org.won[r["rep_id"]] for r in org.sellers), reverse=True)
    top = won[: max(1, round(len(won) * 0.2))]
    assert 0.40 <= sum(top) / sum(won) <= 0.70


def test_attainment_spread_in_last_closed_quarter(org):
    q_start, q_end = LAST_CLOSED_QUARTER
    quota = {q["rep_id"]: float(q["amount"]) for q in org.quotas if q["period_start"] == q_start.isoformat()}
    won = defaultdict(float)
    for o in org.opportunities:
        if o["stage"] == "Closed Won" and q_start <= d(o["close_date"]) <= q_end:
            won[o["owner_id"]] += float(o["amount"])
    attainment = [won[r["rep_id"]] / quota[r["rep_id"]] for r in org.sellers if r["rep_id"] in quota]
    assert max(attainment) > 1.2 and min(attainment) < 0.6
    assert 0.3 < sorted(attainment)[len(attainment) // 2] < 1.5


def test_win_rates(org):
    closed = defaultdict(lambda: [0, 0])
    for o in org.opportunities:
        if o["stage"] not in OPEN:
            closed[o["owner_id"]][0] += o["stage"] == "Closed Won"
            closed[o["owner_id"]][1] += 1
    total_won = sum(w for w, _ in closed.values())
    assert 0.20 <= total_won / sum(n for _, n in closed.values()) <= 0.35
    rates = [w / n for w, n in closed.values() if n >= 30]
    assert max(rates) - min(rates) > 0.10


# ---------------------------------------------------------------------------
# Deal dynamics


def test_deal_cycles_and_amount_distribution(org):
    cycles = [(d(o["close_date"]) - d(o["created_date"])).days
              for o in org.opportunities if o["stage"] == "Closed Won"]
    assert min(cycles) >= 20 and max(cycles) <= 150
    amounts = sorted(float(o["amount"]) for o in org.opportunities if o["amount"])
    median = amounts[len(amounts) // 2]
    assert 12000 <= median <= 40000 and amounts[-1] > 5 * median  # skewed, long right tail
    assert sum(1 for o in org.opportunities if o["amount"] == "") < 0.05 * len(org.opportunities)


def test_amount_and_close_date_changes(org):
    def quarter(s: str) -> date:
        return fiscal_quarter_start(d(s), DEMO_FISCAL_YEAR_START_MONTH)

    amount_changed = slipped = pulled = 0
    for rows in org.history_by_opp.values():
        amounts = {r["amount"] for r in rows if r["amount"]}
        amount_changed += len(amounts) > 1
        moves = [(quarter(a["close_date"]), quarter(b["close_date"]), b["stage"] in OPEN)
                 for a, b in zip(rows, rows[1:])]
        slipped += any(b > a for a, b, _ in moves)
        # A pull-in is the rep moving the date earlier on an open deal, not the date a loss is booked.
        pulled += any(b < a and still_open for a, b, still_open in moves)
    n = len(org.history_by_opp)
    assert 0.10 <= amount_changed / n <= 0.5
    assert 0.15 <= slipped / n <= 0.35
    assert 0 < pulled < slipped / 2


def test_forecast_categories(org):
    for o in org.opportunities:
        if o["stage"] not in OPEN:
            assert o["forecast_category"] == STAGE_FC[o["stage"]]
    matches = [o["forecast_category"] == STAGE_FC[o["stage"]] for o in org.open]
    assert 0.6 < sum(matches) / len(matches) < 1.0
    assert {o["forecast_category"] for o in org.open} == {"Pipeline", "Best Case", "Commit"}


def test_open_pipeline_has_hygiene_problems(org):
    stale = AS_OF - timedelta(days=30)
    assert any(d(o["close_date"]) < AS_OF for o in org.open)
    assert any(o["next_step"] == "" for o in org.open)
    assert any(d(o["last_activity_date"]) < stale for o in org.open)
    assert any(o["amount"] == "" for o in org.open)
    assert any(d(o["close_date"]) > AS_OF for o in org.open)
    # Stuck: no stage change for over 120 days.
    stuck = [o for o in org.open
             if (AS_OF - d(max(h["changed_at"][:10] for h in org.history_by_opp[o["opportunity_id"]]
                               if h["stage"] == o["stage"]))).days > 120]
    assert stuck
    # ...but most of the pipeline is healthy.
    assert sum(1 for o in org.open if o["next_step"]) > 0.6 * len(org.open)


# ---------------------------------------------------------------------------
# Quotas


def test_quotas_cover_fiscal_quarters_and_ramp(org):
    by_rep = defaultdict(list)
    for q in org.quotas:
        by_rep[q["rep_id"]].append((d(q["period_start"]), d(q["period_end"]), float(q["amount"])))
    for rows in by_rep.values():
        for start, end, _ in rows:
            assert start.day == 1 and start.month in (2, 5, 8, 11)
            assert fiscal_quarter_start(end) == start and fiscal_quarter_start(end + timedelta(days=1)) != start
        starts = [s for s, _, _ in rows]
        assert len(starts) == len(set(starts))
    full_ae = max(a for r in org.sellers if r["role"] == "AE" for _, _, a in by_rep[r["rep_id"]])
    first_quarter = fiscal_quarter_start(AS_OF - timedelta(days=730))
    current_quarter = fiscal_quarter_start(AS_OF)
    for r in org.sellers:
        rows = by_rep[r["rep_id"]]
        assert rows[0][0] == max(first_quarter, fiscal_quarter_start(d(r["hire_date"])))
        if r["active"] == "true":
            assert rows[-1][0] == current_quarter
        if d(r["hire_date"]) > AS_OF - timedelta(days=273):
            full = full_ae if r["role"] == "AE" else full_ae * 1.25
            assert [a for _, _, a in rows][:3] == [full * 0.25, full * 0.5, full * 0.75][: len(rows)]
    for m in org.managers:
        owns_deals = any(o["owner_id"] == m["rep_id"] for o in org.opportunities)
        if owns_deals:
            assert by_rep[m["rep_id"]] and max(a for _, _, a in by_rep[m["rep_id"]]) < full_ae
    vp = next(r for r in org.reps if r["role"] == "VP")
    assert vp["rep_id"] not in by_rep


# ---------------------------------------------------------------------------
# Activities


def test_activity_volume_mix_and_linking(org):
    assert {a["type"] for a in org.activities} == {"call", "email", "meeting"}
    assert all(d(a["activity_date"]).weekday() < 5 for a in org.activities)
    linked = sum(1 for a in org.activities if a["opportunity_id"])
    assert 0.35 <= linked / len(org.activities) <= 0.65
    workdays = {}
    start = AS_OF - timedelta(days=730)
    for r in org.sellers:
        first = max(start, d(r["hire_date"]))
        last = AS_OF if r["active"] == "true" else max(d(a["activity_date"]) for a in org.activities
                                                       if a["owner_id"] == r["rep_id"])
        workdays[r["rep_id"]] = sum(1 for i in range((last - first).days + 1)
                                    if (first + timedelta(days=i)).weekday() < 5)
    counts = defaultdict(int)
    mix = defaultdict(lambda: defaultdict(int))
    for a in org.activities:
        counts[a["owner_id"]] += 1
        mix[a["owner_id"]][a["type"]] += 1
    per_day = sorted(counts[rid] / days for rid, days in workdays.items())
    assert 2 <= per_day[len(per_day) // 2] <= 6
    assert per_day[0] < 1.5  # some reps are well below plan
    call_share = [mix[rid]["call"] / counts[rid] for rid in workdays]
    assert max(call_share) - min(call_share) > 0.15


def test_demo_data_as_of_moves_the_org_and_leaves_the_default_alone(tmp_path):
    """`demo-data --as-of DAY` writes the org as of that day (config as_of, nothing recorded after it); without
    it the files are the default org's byte for byte."""
    import hashlib

    from click.testing import CliRunner

    from pipelines.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["demo-data", "--reps", "20", "--seed", "42", "--out", str(tmp_path / "d")]).exit_code == 0
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / "d").iterdir())}
    assert got == DEFAULT_20_42
    result = runner.invoke(main, ["demo-data", "--reps", "20", "--out", str(tmp_path / "e"), "--as-of", "2026-08-12"])
    assert result.exit_code == 0, result.output
    assert "as_of: 2026-08-12" in (tmp_path / "e" / "config.yml").read_text(encoding="utf-8")
    with open(tmp_path / "e" / "opportunities.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert max(r["created_date"] for r in rows) == "2026-08-12"
