"""pipelines.fast_markdown gives exactly what Python-Markdown and MkDocs' tree processors give, or None.

Both converters get the same inputs: the rep, coaching, team and Monday pages rendered from the
real templates for fixture orgs (hostile names included), and hand-written hostile lines put in
every place a page has text. A difference in the HTML, the table of contents, the title, the
anchor ids or the links handed to MkDocs' rewriter fails; falling back (None) is always allowed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import markdown
import pytest
from mkdocs.structure import pages as mp
from mkdocs.utils import meta

from pipelines import blocks, extract, fast_markdown, load, models, page_packs, pages, shell
from pipelines.formatting import md_escape
from pipelines.settings import load_config
from tests.helpers import FIXTURES

FILLED = ("reps/*/index.md", "reps/*/coaching/index.md", "teams/*/index.md", "teams/*/monday/index.md")


class _Links(mp._RelativePathTreeprocessor):
    """MkDocs' link rewriter with the rewriting itself replaced by a record of the URLs, in order."""

    def __init__(self):
        self.urls: list[str] = []

    def path_to_url(self, url: str) -> str:
        self.urls.append(url)
        return f"{url}?{len(self.urls)}"


_MD = markdown.Markdown(extensions=sorted(fast_markdown.EXTENSIONS), extension_configs=fast_markdown.EXTENSION_CONFIGS)


def python_markdown(text: str) -> tuple:
    """What `Shells.convert` takes from Python-Markdown: HTML, toc tokens, title, anchor ids, link URLs."""
    md = _MD.reset()
    raw_html, anchors, links, title = (mp._RawHTMLPreprocessor(), mp._ExtractAnchorsTreeprocessor(None, None, None),
                                       _Links(), mp._ExtractTitleTreeprocessor())
    for processor in (raw_html, anchors, links, title):
        processor._register(md)
    content = md.convert(text)
    return content, md.toc_tokens, title.title, anchors.present_anchor_ids | raw_html.present_anchor_ids, links.urls


def fast(text: str) -> tuple | None:
    links = _Links()
    got = fast_markdown.convert(text, links.path_to_url)
    return None if got is None else (got.content, got.toc_tokens, got.title, got.anchor_ids, links.urls)


def same_or_fallback(text: str) -> bool:
    """Asserts the two agree when the fast one answers; returns whether it answered."""
    got = fast(text)
    if got is not None:
        assert got == python_markdown(text), text
    return got is not None


def _docs(org: str, tmp: Path) -> Path:
    cfg = load_config(FIXTURES / org / "config.yml")
    con = duckdb.connect()
    day = cfg.as_of or dt.date.today()
    found = extract.extract(cfg, con, tmp / "wh", day)
    load.load(con, found, tmp / "wh", day, cfg=cfg, keep_history=False, store=False)
    built = models.run(cfg, con, models.SQL_DIR)
    pages.render(cfg, con, built.catalog, built.as_of, tmp / "docs")
    page_packs.unpack(tmp / "docs")  # the rep and team pages as files of their own, to glob
    return tmp / "docs"


def _markdown_of(path: Path) -> str:
    """The page's Markdown as `Shells.convert` gets it: front matter read off, blocks taken out."""
    text, _ = meta.get_data(path.read_text(encoding="utf-8"))
    return blocks.take(text)[0]


@pytest.mark.parametrize("org", ["tiny", "hostile", "grades_org"])
def test_real_pages_convert_the_same(org, tmp_path):
    docs = _docs(org, tmp_path)
    paths = [p for pattern in FILLED for p in sorted(docs.glob(pattern))]
    assert paths
    answered = [p for p in paths if same_or_fallback(_markdown_of(p))]
    # The templates' own Markdown is all in the subset: only CRM text could send a page back. (Some
    # hostile titles make MkDocs give up on the front matter, which then stays in the Markdown.)
    read = [p for p in paths if meta.get_data(p.read_text(encoding="utf-8"))[1]]
    assert len(set(answered) & set(read)) >= len(read) * 0.9, sorted(set(read) - set(answered))


HOSTILE = [
    "a * b", "**a**", "*a*", "**a*", "*a**", "***a***", "a**b**c", "** a**", "**a **", "*a* and *b*", "**a** *b*",
    "x*y*z", "(*a*)", "**a**:", "*", "**", "a*", "_a_", "a_b", "__a__", "x\\*y", "a\\", "[x](y)", "[x](../y.md#z)",
    "[x](javascript:alert(1))", "![x](y)", "[x]", "[x] [y]", "[x][y]", "[TOC]", "<script>alert(1)</script>",
    "<b>East</b>", "<img src=x onerror=alert(1)>", "a & b", "&amp;", "&#X41;", "&#x41;", "&#;", "&copy", "AT&T",
    "a > b", "> quote", "1. one", "1) one", "2026. Next", "- item", "+ item", "* item", "# h #", "#h", "####### h",
    "## h {#x}", "a | b", "|a|b|", "a  ", " a", "\ta", "```", "~~~", "    code", "Hiro\u00a0", "\u00a0Hiro",
    "a\u2028b", "===", "---", "***", "- - -", "name\x02x", "é ñ ü", "😀 \u202eevil", "x" * 3000,
    '<span class="x" id="foo">y</span>', '<a name="n">x</a>', '<a class="term" href="../x/#y_z">t</a>',
    '<p class="x">a</p> tail', "<div>", "<!-- c -->", "<!--sc-blocks:-->", "<em>x</em>", '<p id="x&amp;y">z</p>',
    "{: .x}", "x{: .y}", "`code`", "<http://x.y>", "<x@y.z>", "&#45;&#45;", "O&#39;Brien", "a\n===", "a\n---",
    "a\n- b", ":-|-:", "{{ 7*7 }}", "{% if %}", "a\n\n\n\nb", "x  \ny", "<span>a", "</span>", "<p>", "<div></div>",
]
PLACES = [
    "{}", "# {}", "## {}", "### {}", "- {}", "- a\n- {}", "- a\n{}", "**{}**", "*{}*", "[{}](../x/)", "x {} y",
    '<p class="x">{}</p>', '<div class="sc-block" data-block="0"></div>\n{}', "{}\n## After", "## Before\n{}",
    "## {} {{ data-search-exclude }}", "### x {} {{ data-search-exclude }}", "# {} {{ data-search-exclude }}",
    "## Before {{ data-search-exclude }}\n{}", "## {} {{data-search-exclude}}",
]


def _page(line: str, place: str) -> str:
    return f"# Title\n\n<p class=\"as-of\">as of</p>\n\nBefore.\n\n{place.format(line)}\n\nAfter.\n\n<!--sc-blocks:-->\n"


@pytest.mark.parametrize("place", PLACES)
def test_hostile_text_converts_the_same_or_falls_back(place):
    for line in HOSTILE:
        for text in (line, str(md_escape(line))):
            same_or_fallback(_page(text, place))
            same_or_fallback(place.format(text))


def test_the_pages_shapes_take_the_fast_path():
    assert same_or_fallback(_page("**Forecast**: grade 1, 16% of plan, &#36;133.8k at risk. *Why&#58; who?*", "{}"))
    assert same_or_fallback("- **Activity**: grade 4 (80% of plan).\nWon in the last 30 days: A &#45; B.\n")
    assert same_or_fallback("See the [team page](../../teams/mid&#45;atlantic/).\n\n## A\n\n## A\n")
    assert same_or_fallback("accuracy is 1 − |won − forecast| ÷ won\n\n<p class=\"x\">a <strong>b</strong></p>\n")


class _Page:
    """Enough of a MkDocs page for `Shells.convert`."""

    def __init__(self, text: str):
        self.markdown, self.url, self.file = text, "reps/r1/", None


def _python_markdown_stub(self, page):
    page.content, tokens, page._title_from_render, page.present_anchor_ids, _ = python_markdown(page.markdown)
    page.links_to_anchors = {}
    self.markdown = type("Md", (), {"toc_tokens": tokens})()


def _shells(monkeypatch) -> shell.Shells:
    config = {"markdown_extensions": sorted(fast_markdown.EXTENSIONS), "mdx_configs": fast_markdown.EXTENSION_CONFIGS}
    monkeypatch.setattr(shell.Shells, "_python_markdown", _python_markdown_stub)
    return shell.Shells(type("Run", (), {"config": config, "files": None})(), None, None)


def test_a_kind_is_trusted_after_its_proofs(monkeypatch):
    shells = _shells(monkeypatch)
    for n in range(shell.PROOFS + 3):
        page = _Page(f"# T{n}\n\nbody\n")
        shells.convert(page)
        assert page.content == f'<h1 id="t{n}">T{n}</h1>\n<p>body</p>' and page._title_from_render == f"T{n}"
    assert shells.fast == {"reps/*/": 0} and shells.fast_pages == shell.PROOFS + 3


def test_a_disproved_kind_goes_back_to_python_markdown(monkeypatch):
    shells = _shells(monkeypatch)
    good = shell.Shells._fast
    monkeypatch.setattr(shell.Shells, "_fast", lambda self, page: (good(self, page)[0] + "x", *good(self, page)[1:]))
    page = _Page("# T\n\nbody\n")
    shells.convert(page)
    assert page.content == '<h1 id="t">T</h1>\n<p>body</p>' and shells.fast == {"reps/*/": None}
    monkeypatch.setattr(shell.Shells, "_fast", good)
    shells.convert(page)
    assert shells.fast_pages == 0  # the kind stays on Python-Markdown in this worker


def test_pages_sharing_lines_convert_the_same_from_the_caches():
    """Lines recur from page to page, so fast_markdown works each out once per process: a page converted from
    those caches gives what Python-Markdown gives, with its links handed over in its own document order."""
    shared = "See [a](../a/) and **[b](../b/#x)**."
    texts = [f"# P{n}\n\n{shared}\n\n## Shared\n\n- [own {n}](../{n}/)\n- {shared}\n\n"
             f"<p id=\"i{n}\">x</p>\n\n## Shared\n" for n in range(3)]
    for cache in (fast_markdown._raw_ids, fast_markdown._inline, fast_markdown._heading_names):
        cache.cache_clear()
    for text in texts + texts[::-1]:
        assert same_or_fallback(text), text
    assert fast_markdown._inline.cache_info().hits >= 10 and fast_markdown._raw_ids.cache_info().hits == 3


def test_a_page_still_carrying_its_blocks_comment_converts_the_same():
    """The comment holds the blocks as JSON (pipelines.blocks.attach), dashes and all; Python-Markdown passes
    it through whole, and so must the fast path, rather than give the page back to Python-Markdown."""
    text = blocks.attach("# Title\n\nBefore.\n", ['<table><tr><td>a--b</td></tr></table>', "<!-- x --> -"])
    assert blocks.MARK in text
    assert same_or_fallback(text)
