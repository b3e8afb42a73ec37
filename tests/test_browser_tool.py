"""The site as a manager uses it, in real Chromium: tables that fit, sort and filter; pages that print; search.

The demo org (24 reps, seed 2) is built once per run with its deals linked into a CRM
(tests/conftest_browser.py `demo_web`). Every browser context aborts and reports any request that
leaves 127.0.0.1.
"""

from __future__ import annotations

import csv
import re

import pytest

from browser_support import AXE, missing, visible_text, wait_for_charts
from pipelines.pages import rep_slug, team_slug

pytest_plugins = ["conftest_browser"]
pytestmark = pytest.mark.browser


def _people(site) -> list[dict]:
    with open(site.path / "data" / "rep_directory.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _an_ae(site) -> dict:
    """An active AE with open deals (their pages have every section)."""
    with open(site.path / "data" / "rep_open_deals.csv", encoding="utf-8", newline="") as f:
        owners = {r["rep_id"] for r in csv.DictReader(f)}
    return next(p for p in _people(site) if p["role"] == "AE" and p["is_active"] == "true" and p["rep_id"] in owners)


def _team(site) -> str:
    return next(p["team"] for p in _people(site) if p["role"] == "AE")


def _pages(site) -> dict[str, str]:
    ae = _an_ae(site)["rep_id"]
    return {"home": "", "teams": "teams/", "team": f"teams/{team_slug(_team(site))}/", "reps": "reps/",
            "rep": f"reps/{rep_slug(ae)}/"}


def _pdf_pages(page, paper: str) -> int:
    pdf = page.pdf(format=paper)
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.parametrize("key", ["home", "teams", "team", "reps", "rep"])
def test_no_table_is_wider_than_its_column_at_1400px(demo_web, browse, key):
    tab = browse(viewport={"width": 1400, "height": 900})
    tab.page.goto(demo_web.at(_pages(demo_web)[key]))
    wait_for_charts(tab.page)
    widths = tab.page.evaluate("""() => {
        const column = document.querySelector('.md-content__inner').getBoundingClientRect().width;
        return [...document.querySelectorAll('.md-content__inner table')]
            .map(t => [t.getBoundingClientRect().width, column]);
    }""")
    assert widths, "no table on the page"
    assert all(w <= col + 0.5 for w, col in widths), widths


def test_clicking_a_reps_index_header_sorts_it_as_numbers(demo_web, browse):
    page = browse(viewport={"width": 1400, "height": 900}).page
    page.goto(demo_web.at("reps/"))
    table = page.locator("table.sortable").first
    header = table.locator("thead th", has_text="Attainment")
    column = header.evaluate("th => th.cellIndex")

    def values() -> list[float]:
        cells = table.evaluate(f"t => [...t.tBodies[0].rows].map(r => r.cells[{column}].dataset.sort)")
        return [float(v) if v else float("-inf") for v in cells]

    header.click()
    first = values()
    assert first == sorted(first, reverse=True) or first == sorted(first), first
    header.click()
    second = values()
    assert second == list(reversed(sorted(second, reverse=second[0] < second[-1]))) or second == sorted(second)
    assert first != second and sorted(first) == sorted(second)
    assert header.get_attribute("aria-sort") in ("ascending", "descending")


def test_the_reps_index_filters_by_text_and_by_team(demo_web, browse):
    page = browse(viewport={"width": 1400, "height": 900}).page
    page.goto(demo_web.at("reps/"))
    rows = page.locator("table.sortable tbody tr")
    total = rows.count()
    name = _an_ae(demo_web)["name"]
    page.locator(".table-filters input[type=search]").fill(name)
    shown = [r for r in rows.all() if r.is_visible()]
    assert 1 <= len(shown) < total and all(name in r.inner_text() for r in shown)
    page.locator(".table-filters input[type=search]").fill("")
    team = _team(demo_web)
    page.locator(".table-filters select").first.select_option(team)
    shown = [r for r in rows.all() if r.is_visible()]
    members = sum(1 for p in _people(demo_web) if p["team"] == team)
    assert len(shown) == members
    assert f"{members} of {total} rows" in page.locator(".table-count").inner_text()


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_an_ae_coaching_page_prints_on_two_pages_and_the_monday_pack_on_one(demo_web, browse, paper):
    page = browse().page
    page.goto(demo_web.at(f"reps/{rep_slug(_an_ae(demo_web)['rep_id'])}/coaching/"))
    wait_for_charts(page)
    page.emulate_media(media="print")
    assert _pdf_pages(page, paper) <= 2
    page.goto(demo_web.at(f"teams/{team_slug(_team(demo_web))}/monday/"))
    page.emulate_media(media="print")
    assert _pdf_pages(page, paper) == 1


@pytest.mark.parametrize("query, expect", [("Will", "Will "), ("Pena", "Peña")])
def test_search_keeps_stop_words_and_ignores_accents(demo_web, browse, query, expect):
    people = [p["name"] for p in _people(demo_web)]
    assert any(expect in n for n in people), f"the demo org has no {expect!r}"
    page = browse().page
    page.goto(demo_web.at(""))
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially(query, delay=20)
    hit = page.locator("a.md-search-result__link", has_text=expect.strip()).first
    hit.wait_for(timeout=10_000)
    assert expect.strip() in hit.inner_text()


def test_deal_names_link_into_the_crm(demo_web, browse):
    page = browse().page
    page.goto(demo_web.at(_pages(demo_web)["rep"]))
    links = page.locator("table a[href^='https://crm.example/deals/']")
    assert links.count() > 0
    href = links.first.get_attribute("href")
    assert re.fullmatch(r"https://crm\.example/deals/o\d+", href), href


def test_the_404_page_offers_the_reps_index_and_search(demo_web):
    """Read as the file a web server returns for any unknown path (its assets resolve from the site root)."""
    text = (demo_web.path / "404.html").read_text(encoding="utf-8")
    assert re.search(r'<a [^>]*href="[^"]*/reps/"[^>]*>Find a rep', text)
    assert '<label class="md-button" for="__search">Search the site</label>' in text


@pytest.mark.parametrize("key,scheme", [("reps", "light"), ("reps", "dark"), ("monday", "light"),
                                        ("monday", "dark"), ("data-quality", "light"), ("glossary", "dark")])
def test_axe_on_the_management_pages(demo_web, browse, key, scheme):
    if not AXE.exists():
        missing("axe-core", "run `npm ci` (make test does)")
    rel = {"reps": "reps/", "monday": f"teams/{team_slug(_team(demo_web))}/monday/",
           "data-quality": "data-quality/", "glossary": "glossary/"}[key]
    page = browse(color_scheme=scheme).page
    page.goto(demo_web.at(rel))
    wait_for_charts(page)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes'][:3]]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, bad


def test_no_none_nan_or_python_repr_reaches_a_page(demo_web):
    found = []
    for page in demo_web.path.rglob("*.html"):
        text = re.sub(r"<script.*?</script>", "", page.read_text(encoding="utf-8"), flags=re.S)
        for m in re.finditer(r">[^<]*?\b(None|nan|NaN|Decimal\(|datetime\.)[^<]*<", text):
            found.append(f"{page.relative_to(demo_web.path)}: {m.group(0)[:80]}")
    assert found == []


def test_the_coverage_column_sorts_as_numbers_with_quota_met_above_them(demo_web, browse):
    """Coverage cells read "2.5×", "quota met" or "no data": they sort by the coverage, "quota met" above every
    number and "no data" below, not as text ("10.1×" before "9.0×")."""
    page = browse(viewport={"width": 1400, "height": 900}).page
    page.goto(demo_web.at("reps/"))
    table = page.locator("table.sortable").first
    header = table.locator("thead th", has_text="Coverage")
    column = header.evaluate("th => th.cellIndex")
    header.click()
    cells = table.evaluate(f"t => [...t.tBodies[0].rows].map(r => [r.cells[{column}].dataset.sort, r.cells[{column}].innerText])")
    values = [float(v) if v else float("-inf") for v, _ in cells]
    assert values == sorted(values, reverse=True) or values == sorted(values), cells
    assert all(float(v) == 1e9 for v, text in cells if text == "quota met")
    assert all(v == "" for v, text in cells if text == "no data")


def test_the_monday_pack_fits_a_phone(demo_web, browse):
    page = browse(viewport={"width": 390, "height": 844}).page
    page.goto(demo_web.at(f"teams/{team_slug(_team(demo_web))}/monday/"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_team_scorecard_shows_last_quarters_grades(demo_web):
    """The team page's grade table has a column for the quarter before; it used to be "–" on every row."""
    text = (demo_web.path / "teams" / team_slug(_team(demo_web)) / "index.html").read_text(encoding="utf-8")
    table = re.search(r'<table class="grades">.*?</table>', text, flags=re.S).group(0)
    previous = [re.findall(r"<td>(.*?)</td>", row)[3] for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]]
    assert any("grade-" in cell for cell in previous), previous


@pytest.mark.parametrize("label", ["Won this quarter", "Attainment", "Coverage"])
def test_a_click_anywhere_on_a_metric_header_sorts_and_stays_on_the_page(demo_web, browse, label):
    """Metric headers link to the glossary through a small "?" beside the label: a click on the label itself
    (the middle of a narrow header) sorts the column instead of opening the glossary."""
    page = browse(viewport={"width": 1400, "height": 900}).page
    page.goto(demo_web.at("reps/"))
    header = page.locator("table.sortable").first.locator("thead th", has_text=label)
    assert header.locator("a.gloss").get_attribute("href").endswith("glossary/#" + {
        "Won this quarter": "won_amount", "Attainment": "attainment", "Coverage": "pipeline_coverage"}[label])
    url = page.url
    box = header.locator("a.gloss").bounding_box()
    page.mouse.click(box["x"] - 15, box["y"] + box["height"] / 2)  # on the label text, just left of the "?"
    assert page.url == url
    assert header.get_attribute("aria-sort") in ("ascending", "descending")


def test_no_rep_page_has_an_empty_section_or_blames_the_history_for_a_rep_without_deals(demo_web):
    """A rep who has left (no deal or quota this quarter) got a bare "Conversion" heading and "the deal history
    does not reach back to the start of the last full week" under a forecast that had just said there is nothing."""
    people = {p["rep_id"]: p for p in _people(demo_web)}
    assert any(p["is_active"] == "false" for p in people.values()), "the demo org has nobody who left"
    for rep_id in people:
        text = (demo_web.path / "reps" / rep_slug(rep_id) / "index.html").read_text(encoding="utf-8")
        conversion = re.search(r'<h2[^>]* id="conversion">.*?</h2>(.*?)<h2[ >]', text, flags=re.S).group(1)
        assert re.sub(r"<[^>]+>|\s", "", conversion), f"{rep_id}: empty Conversion section"
        if "nobody here has a deal or a quota this quarter" in text:
            assert "does not reach back to the start of the last full week" not in text, rep_id


def test_every_glossary_link_lands_on_its_entry(demo_web):
    """The glossary's entries had ids like "quota-quota" and headings reading "Quota {#quota}" (the attr_list
    braces were escaped as text), so no metric label's link reached its entry."""
    glossary = (demo_web.path / "glossary" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'\sid="([^"]+)"', glossary))
    assert "{#" not in visible_text(glossary) and "&#95;" not in visible_text(glossary)
    targets = set()
    for page in demo_web.path.rglob("*.html"):
        targets |= set(re.findall(r'href="[^"]*glossary/#([^"]+)"', page.read_text(encoding="utf-8")))
    assert {"won_amount", "attainment", "pipeline_coverage"} <= targets
    assert sorted(targets - ids) == []


@pytest.mark.parametrize("width", [1400, 1024, 390])
def test_a_click_in_the_middle_of_any_header_sorts_and_never_opens_the_glossary(demo_web, browse, width):
    """A narrow header such as "Won ?" had its "?" glossary link in its middle: a plain click there left the page.
    The "?" sits in its own strip at the header's right edge."""
    page = browse(viewport={"width": width, "height": 900}).page
    for rel in ["teams/", f"teams/{team_slug(_team(demo_web))}/", _pages(demo_web)["rep"]]:
        page.goto(demo_web.at(rel))
        headers = page.locator("table.sortable thead th.has-gloss")
        assert headers.count() > 0, rel
        for i in range(headers.count()):
            th = headers.nth(i)
            if not th.is_visible():
                continue
            th.scroll_into_view_if_needed()
            th.click()
            assert page.url == demo_web.at(rel), f"{rel}: a click on {th.inner_text()!r} left the page"
            assert th.get_attribute("aria-sort") in ("ascending", "descending"), (rel, th.inner_text())
