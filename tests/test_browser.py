"""The built site in a real browser: Playwright driving Debian's Chromium against a local server.

The tiny org (tests/fixtures/tiny) is built once per run and served on 127.0.0.1. Every test's
browser context aborts and reports any request to another host, any dialog, script error or
console error (see tests/conftest_browser.py). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
from urllib.parse import urlsplit

import pytest

from browser_support import ARTIFACTS, AXE, FIXTURES, ROOT, build_site, chart_report, missing, wait_for_charts
from pipelines.pages import rep_slug, team_slug

pytest_plugins = ["conftest_browser"]
pytestmark = pytest.mark.browser

REP = "r1"  # Ann Ace: attainment history, open pipeline and activities, so all three rep charts draw
REP_NAME = "Ann Ace"
PAGES = {
    "home": "",
    "team": f"teams/{team_slug('East')}/",
    "rep": f"reps/{rep_slug(REP)}/",
    "coaching": f"reps/{rep_slug(REP)}/coaching/",
}


def _coaching_expected() -> bool:
    """Coaching pages exist once their template does; from then on their absence is a failure."""
    return any((ROOT / "templates" / "pages").glob("coaching*.j2"))


def _page_or_skip(site, key: str) -> str:
    rel = PAGES[key]
    if key == "coaching" and not (site.path / rel / "index.html").exists():
        if _coaching_expected():
            pytest.fail(f"a coaching template exists but the site has no {rel}")
        pytest.skip("coaching pages are not part of the site yet (no templates/pages/coaching*.j2)")
    return rel


def _shot(page, name: str, **options) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, **options)


@pytest.mark.parametrize("key", list(PAGES))
def test_page_loads_and_every_chart_draws_with_title_and_description(tiny_web, browse, key):
    """No console or script errors; every chart has SVG marks, a drawn title, and a text alternative."""
    rel = _page_or_skip(tiny_web, key)
    tab = browse()
    response = tab.page.goto(tiny_web.at(rel))
    assert response.ok, f"{rel}: HTTP {response.status}"
    count = wait_for_charts(tab.page)
    assert count >= 1, f"{rel}: no chart on the page"
    for i, c in enumerate(chart_report(tab.page)):
        where = f"{rel} chart {i + 1} ({c['specTitle']!r})"
        assert c["rendered"], f"{where} was not drawn: {c['text']}"
        assert c["dataMarks"] > 0, f"{where}: no SVG marks"
        assert c["width"] > 0 and c["height"] > 0, f"{where}: SVG has no size"
        assert c["specTitle"] and c["specTitle"] in c["drawnTitle"], f"{where}: title not drawn ({c['drawnTitle']!r})"
        # Screen readers: the chart is an image named by its description, and the same text is the caption.
        assert c["role"] == "img" and len(c["label"]) > 20, f"{where}: no text alternative"
        assert c["caption"].strip() == c["label"].strip(), f"{where}: caption and text alternative differ"
    _shot(tab.page, key)
    assert not tab.watch.problems()


def test_search_finds_a_rep_by_name_and_opens_their_page(tiny_web, browse):
    tab = browse()
    page = tab.page
    page.goto(tiny_web.at(""))
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially("Cy Closer", delay=20)
    hit = page.locator("a.md-search-result__link", has_text="Cy Closer").first
    hit.wait_for(timeout=10_000)
    hit.click()
    page.wait_for_url(re.compile(rf"/reps/{rep_slug('r3')}/"), timeout=10_000)
    assert page.locator("article h1").inner_text().strip() == "Cy Closer"


def test_no_request_leaves_127_0_0_1(tiny_web, browse):
    """Every request of a tour of the site is counted; the guard aborts and reports any other host."""
    tab = browse()
    page = tab.page
    tour = ["", "teams/", PAGES["team"], "reps/", PAGES["rep"], "glossary/", "data-quality/", "reference/"]
    for rel in tour:
        page.goto(tiny_web.at(rel))
        wait_for_charts(page)
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially("Ann", delay=20)  # the search worker and its index
    page.locator("a.md-search-result__link").first.wait_for(timeout=10_000)
    assert len(tab.watch.requests) >= 3 * len(tour), tab.watch.requests
    hosts = {urlsplit(u).hostname for u in tab.watch.requests if urlsplit(u).scheme in ("http", "https")}
    assert hosts == {"127.0.0.1"}, hosts
    assert tab.watch.foreign == []

    # The guard itself: a request to another host is aborted, counted and reported.
    page.evaluate("""() => fetch('http://scorecards.invalid/beacon').catch(() => null)""")
    page.wait_for_timeout(200)
    assert tab.watch.foreign == ["http://scorecards.invalid/beacon"]
    tab.watch.foreign.clear()
    tab.watch.console_errors = [e for e in tab.watch.console_errors if "scorecards.invalid" not in e and
                                "ERR_BLOCKED_BY_CLIENT" not in e]


def test_bookmarked_rep_url_opens_the_same_rep_after_rebuild_and_rename(tmp_path, site_server, browse):
    """A rep page's URL depends only on rep_id: after a rebuild in which the rep is renamed and a
    new rep takes their old name, the bookmark still opens the same person."""
    crm = tmp_path / "crm"
    shutil.copytree(FIXTURES / "tiny", crm)
    out = tmp_path / "site"
    build_site(crm / "config.yml", out, tmp_path / "work-1")
    base = site_server.mount(f"bookmark-{tmp_path.name}", out)

    tab = browse()
    page = tab.page
    page.goto(base + "reps/")
    page.locator("article a", has_text=REP_NAME).first.click()
    page.wait_for_load_state()
    bookmark = page.url
    assert page.locator("article h1").inner_text().strip() == REP_NAME
    assert "hired 2021-03-01" in page.locator(".rep-meta").inner_text()

    reps = (crm / "reps.csv").read_text(encoding="utf-8")
    reps = reps.replace("r1,Ann Ace,", "r1,Ann Zed-Marr,")
    reps += "a0,Ann Ace,West,m1,AE,2026-02-01,new@tiny.example,true\n"
    (crm / "reps.csv").write_text(reps, encoding="utf-8")
    build_site(crm / "config.yml", out, tmp_path / "work-2")  # swapped in over the old site

    page.goto(bookmark)
    assert page.locator("article h1").inner_text().strip() == "Ann Zed-Marr"
    assert "hired 2021-03-01" in page.locator(".rep-meta").inner_text()
    page.goto(base + "reps/")
    new_rep = page.locator("article a", has_text=re.compile(r"^Ann Ace$")).first.get_attribute("href")
    assert urlsplit(page.url).path + new_rep != urlsplit(bookmark).path
    assert not new_rep.startswith(rep_slug(REP))


def _axis_fills(page) -> set:
    return {c["axisLabelFill"] for c in chart_report(page)}


def _wait_theme(page, theme: str) -> None:
    page.wait_for_function(
        """(theme) => { const hs = [...document.querySelectorAll('figure.scorecard-chart .vega-chart')];
            return hs.length > 0 && hs.every(h => h.dataset.theme === theme && h.dataset.rendered === 'true'); }""",
        arg=theme, timeout=10_000)


def test_charts_follow_the_light_dark_toggle(tiny_web, browse):
    tab = browse()
    page = tab.page
    page.goto(tiny_web.at(PAGES["rep"]))
    _wait_theme(page, "light")
    assert _axis_fills(page) == {"#1f1f1f"}

    page.locator("form[data-md-component=palette] label:visible").click()
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
    _wait_theme(page, "dark")
    assert _axis_fills(page) == {"#e3e3e3"}
    assert all(c["dataMarks"] > 0 for c in chart_report(page))
    assert page.locator(".vega-chart svg").count() == page.locator(".vega-chart").count(), "a chart drawn twice"
    _shot(page, "rep-dark")

    page.locator("form[data-md-component=palette] label:visible").click()
    _wait_theme(page, "light")
    assert _axis_fills(page) == {"#1f1f1f"}

    # A reader whose system prefers dark gets dark charts from the first paint.
    dark = browse(color_scheme="dark")
    dark.page.goto(tiny_web.at(PAGES["rep"]))
    _wait_theme(dark.page, "dark")
    assert _axis_fills(dark.page) == {"#e3e3e3"}


def no_horizontal_scroll(page) -> dict:
    return page.evaluate(
        """() => ({inner: window.innerWidth,
                   doc: document.documentElement.scrollWidth,
                   body: document.body.scrollWidth,
                   wraps: [...document.querySelectorAll('.table-wrap')].map(w => w.getBoundingClientRect().right),
                   scrollX: (window.scrollTo(10000, window.scrollY), window.scrollX)})"""
    )


PHONE = dict(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True, has_touch=True)


def test_phone_shows_the_rep_page_without_horizontal_scrolling(tiny_web, browse):
    tab = browse(**PHONE)
    page = tab.page
    page.goto(tiny_web.at(PAGES["rep"]))
    wait_for_charts(page)
    m = no_horizontal_scroll(page)
    assert m["inner"] == 375
    assert m["doc"] <= 375 and m["body"] <= 375 and m["scrollX"] == 0, m
    assert all(right <= 375 for right in m["wraps"]), "a table box is wider than the screen"
    # The quarter table is wider than a phone: it scrolls inside its own box.
    inner = page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .map(w => [w.scrollWidth, w.clientWidth, getComputedStyle(w).overflowX])""")
    assert all(ov in ("auto", "scroll") for _, _, ov in inner)
    assert any(sw > cw for sw, cw, _ in inner), "expected the quarter table to scroll inside its box, not squash"
    assert all(c["width"] <= 375 for c in chart_report(page)), "a chart is wider than the screen"
    _shot(page, "rep-phone")


def test_printed_coaching_page_is_clean(tiny_web, browse):
    """Print media: no header, tabs, sidebars, search or footer; the charts are there and fit the page."""
    rel = _page_or_skip(tiny_web, "coaching")
    tab = browse()
    page = tab.page
    page.goto(tiny_web.at(rel))
    wait_for_charts(page)
    page.emulate_media(media="print")
    page.wait_for_timeout(100)
    chrome = page.evaluate(
        """() => [...document.querySelectorAll('.md-header, .md-tabs, .md-sidebar, .md-footer, .md-search, nav')]
            .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
            .map(e => e.className || e.tagName)"""
    )
    assert chrome == [], f"navigation printed: {chrome}"
    content = page.locator("article").bounding_box()
    charts = chart_report(page)
    assert charts and all(c["rendered"] and c["dataMarks"] > 0 for c in charts)
    assert all(0 < c["width"] <= content["width"] + 1 and c["height"] > 0 for c in charts), (charts, content)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "coaching-print.pdf"), print_background=False)
    _shot(page, "coaching-print")


@pytest.mark.parametrize("key,scheme", [("home", "light"), ("rep", "light"), ("team", "light"),
                                        ("coaching", "light"), ("home", "dark"), ("rep", "dark")])
def test_axe_finds_no_serious_or_critical_violations(tiny_web, browse, key, scheme):
    if not AXE.exists():
        missing("axe-core", "run `npm ci` (make test does)")
    rel = _page_or_skip(tiny_web, key)
    tab = browse(color_scheme=scheme)
    page = tab.page
    page.goto(tiny_web.at(rel))
    wait_for_charts(page)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    report = [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(f"{n['target']} {n.get('failureSummary', '')[:160]!r}" for n in v["nodes"][:5])
        for v in bad
    ]
    assert not bad, f"{rel or 'home'} ({scheme}):\n" + "\n".join(report)


def test_a_big_table_is_laid_out_once_enhanced_and_shown_with_or_without_javascript(tmp_path, site_server, browse,
                                                                                   monkeypatch):
    """A table of more than html_tables.BIG_ROWS rows waits, hidden, for tables.js: the theme's start-up laid the
    reps index of 5,626 reps out again at each size it read (4.4 s in Chromium, 2.1-2.6 s once). Here every table
    of two rows or more is big: with JavaScript each is shown, sortable and filterable by the time the page has
    loaded; without it each shows at once; and one not yet enhanced is hidden only while JavaScript runs."""
    from pipelines import html_tables

    monkeypatch.setattr(html_tables, "BIG_ROWS", 1)
    out = build_site(FIXTURES / "tiny" / "config.yml", tmp_path / "site", tmp_path / "work")
    base = site_server.mount(f"big-{tmp_path.name}", out)
    assert 'class="table-wrap big"' in (out / "reps" / "index.html").read_text(encoding="utf-8")

    page = browse().page
    page.goto(base + "reps/")
    bigs = page.locator(".table-wrap.big")
    assert bigs.count() >= 1
    assert page.evaluate("() => [...document.querySelectorAll('.table-wrap.big')]"
                         ".every(w => w.classList.contains('shown') && w.offsetParent !== null)")
    names = page.locator(".table-wrap.big table.sortable tbody tr td:first-child")
    first = names.first.inner_text()
    page.locator(".table-wrap.big table.sortable th").first.click()
    page.locator(".table-wrap.big table.sortable th").first.click()
    assert names.first.inner_text() != first or names.count() < 2
    page.locator(".table-filters input[type=search]").first.fill("Cy")
    assert page.locator(".table-wrap.big table.sortable tbody tr:not([hidden])").count() == 1
    waiting = page.evaluate("""() => { const w = document.createElement('div'); w.className = 'table-wrap big';
        document.querySelector('article').appendChild(w); return getComputedStyle(w).display; }""")
    assert waiting == "none"

    plain = browse(java_script_enabled=False).page
    plain.goto(base + "reps/")
    assert plain.evaluate("() => [...document.querySelectorAll('.table-wrap.big')]"
                          ".every(w => w.offsetParent !== null)")
