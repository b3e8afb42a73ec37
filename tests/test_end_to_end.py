"""One end-to-end build of a small demo org, checked against numbers computed here from the CSVs."""

import csv
import datetime as dt
import html as htmllib
import re
from collections import defaultdict

import pytest

from pipelines.cli import prepare, run_build
from pipelines.demo import generate_demo
from pipelines.pages import rep_slug


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    config = generate_demo(tmp / "extracts", reps=24, seed=7)
    out = tmp / "site"
    summary = run_build(prepare(config), out, tmp / "warehouse")
    return tmp / "extracts", out, summary


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def fiscal_period(d: dt.date) -> str:
    """Fiscal year starts in February and is named by the year it ends in."""
    shifted_month = (d.month - 2) % 12
    fy = d.year + (1 if d.month >= 2 else 0)
    return f"{fy}-Q{shifted_month // 3 + 1}"


def test_one_page_per_rep_and_team(demo):
    extracts, site, summary = demo
    reps = read(extracts / "reps.csv")
    for r in reps:
        assert (site / "reps" / rep_slug(r["rep_id"]) / "index.html").exists(), r["rep_id"]
    teams = {r["team"] for r in reps if r["team"]}
    assert summary["rep_pages"] == len(reps)
    assert summary["team_pages"] == len(teams)


def test_exported_scorecard_matches_independent_computation(demo):
    extracts, site, _ = demo
    won = defaultdict(float)
    lost = defaultdict(int)
    wins = defaultdict(int)
    for o in read(extracts / "opportunities.csv"):
        key = (o["owner_id"], fiscal_period(dt.date.fromisoformat(o["close_date"])))
        if o["stage"] == "Closed Won":
            won[key] += float(o["amount"])
            wins[key] += 1
        elif o["stage"] == "Closed Lost":
            lost[key] += 1
    quota = defaultdict(float)
    hired = {r["rep_id"]: dt.date.fromisoformat(r["hire_date"]) for r in read(extracts / "reps.csv") if r["hire_date"]}
    for q in read(extracts / "quotas.csv"):  # the demo's quota rows are whole fiscal quarters
        start, end = dt.date.fromisoformat(q["period_start"]), dt.date.fromisoformat(q["period_end"])
        # Only the part of a quota period before the hire date is prorated away.
        first = max(start, hired.get(q["rep_id"], start))
        share = max((end - first).days + 1, 0) / ((end - start).days + 1)
        quota[(q["rep_id"], fiscal_period(start))] += float(q["amount"]) * share
    exported = read(site / "data" / "rep_scorecard.csv")
    assert exported, "rep_scorecard.csv is empty"
    checked = 0
    for row in exported:
        key = (row["rep_id"], row["period"])
        assert re.fullmatch(r"\d{4}-Q[1-4]", row["period"])
        assert float(row["won_amount"]) == pytest.approx(won[key], abs=0.01), key
        assert int(row["deals_won"]) == wins[key]
        assert int(row["deals_lost"]) == lost[key]
        if quota[key]:
            assert float(row["quota"]) == pytest.approx(round(quota[key], 2), abs=0.01)
            assert float(row["attainment"]) == pytest.approx(won[key] / quota[key], rel=1e-9)
            checked += 1
    assert checked > 50
    # And nothing won is missing from the export.
    exported_keys = {(r["rep_id"], r["period"]) for r in exported}
    assert {k for k, v in won.items() if v} <= exported_keys


def test_pages_load_nothing_from_outside(demo):
    _, site, _ = demo
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag, attr in re.findall(r"<(script|link|img|iframe)\b[^>]*?\b(src|href)=\"https?://", text):
            pytest.fail(f"{page}: <{tag} {attr}> loads from outside the site")
        assert "fonts.googleapis" not in text and "cdn.jsdelivr" not in text


def test_every_page_says_data_as_of(demo):
    _, site, summary = demo
    for page in [site / "index.html", site / "teams" / "index.html", site / "glossary" / "index.html"] + list(
        (site / "reps").glob("*/index.html")
    )[:5]:
        assert f"Data as of <strong>{summary['as_of']}</strong>" in htmllib.unescape(page.read_text()), page


def test_rep_page_has_three_charts_and_links(demo):
    _, site, _ = demo
    pages = [p.read_text() for p in (site / "reps").glob("*/index.html")]
    with_three = [t for t in pages if t.count('class="vega-spec"') >= 3]
    assert len(with_three) >= 0.8 * len(pages)
    # A chart with nothing to draw is replaced by one line saying why (no empty chart frames).
    assert all(t.count('class="vega-spec"') + t.count("no data because") >= 3 for t in pages)
    assert 'href="data/team_scorecard.csv"' in (site / "index.html").read_text()
    assert (site / "assets" / "vega.js").stat().st_size > 500_000


def test_grades_on_the_demo_org(demo):
    """The demo's as_of is day 18 of its quarter: a young quarter is judged on pace, not against the full quota,
    so about as many reps sit at Results grade 1 as in the last closed quarter; the VP (no quota) has no grade."""
    _, site, _ = demo
    rows = read(site / "data" / "rep_balanced_scorecard.csv")
    people = {r["rep_id"]: r for r in read(site / "data" / "rep_directory.csv")}

    def share_at_1(current: str) -> float:
        graded = [r for r in rows if r["is_current"] == current and r["results_grade"]]
        return sum(r["results_grade"] == "1" for r in graded) / len(graded)

    assert abs(share_at_1("true") - share_at_1("false")) <= 0.25
    vps = [r for r in rows if people[r["rep_id"]]["role"] == "VP"]
    assert vps and all(not r["overall_grade"] and r["is_graded"] == "false" for r in vps)
