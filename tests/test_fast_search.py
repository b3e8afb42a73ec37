"""pipelines.fast_search makes the search plugin's entries exactly as the plugin does, for every page whose
HTML pipelines.fast_markdown wrote: real pages of fixture orgs and the hostile cases of test_fast_markdown."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from material.plugins.search.plugin import SearchIndex
from mkdocs.structure.toc import get_toc
from mkdocs.utils import meta

from pipelines import fast_markdown, fast_search, shell
from tests.test_fast_markdown import FILLED, HOSTILE, PLACES, _docs, _markdown_of, _page


def _same_entries(text: str, page_meta: dict, url: str = "reps/r1/") -> bool:
    got = fast_markdown.convert(text, lambda u: u)
    if got is None:
        return False
    page = SimpleNamespace(content=got.content, toc=get_toc(got.toc_tokens), url=url, meta=page_meta, title="T")
    plugin = SearchIndex()
    plugin.add_entry_from_context(page)
    fast = SearchIndex()
    assert fast_search.entries(fast, page) == plugin.entries, text
    assert fast.entries == []
    return True


@pytest.mark.parametrize("org", ["tiny", "hostile"])
def test_real_pages_index_the_same(org, tmp_path):
    docs = _docs(org, tmp_path)
    paths = [p for pattern in FILLED for p in sorted(docs.glob(pattern))]
    indexed = [p for p in paths if _same_entries(_markdown_of(p), meta.get_data(p.read_text(encoding="utf-8"))[1],
                                                 p.parent.relative_to(docs).as_posix() + "/")]
    assert len(indexed) >= len(paths) * 0.8


def test_hostile_pages_index_the_same():
    answered = sum(_same_entries(text, {"title": "Hostile"}) for place in PLACES for line in HOSTILE
                   for text in (_page(line, place), place.format(line)))
    assert answered > 1000


def test_other_html_and_other_indexes_are_left_to_the_plugin():
    page = SimpleNamespace(content="<p>a < b</p>", toc=get_toc([]), url="x/", meta={}, title="T")
    assert fast_search.entries(SearchIndex(), page) is None
    page.content = "<script>x</script>"
    assert fast_search.entries(SearchIndex(), page) is None
    page.content = "<p>a</p>"
    assert fast_search.entries(SimpleNamespace(entries=[]), page) is None
    page.meta = {"search": {"exclude": True}}
    assert fast_search.entries(SearchIndex(), page) == []


def _index(shells: shell.Shells, n: int) -> list:
    """Convert and index one page through the shells, as pipelines.site does; the entries it added."""
    text = f"# T{n}\n\nBody *{n}*.\n\n## Part\n\nMore.\n"
    page = SimpleNamespace(markdown=text, url=f"reps/r{n}/", file=None, meta={"title": "T"}, title="T")
    shells.convert(page)
    n0 = len(shells.run.search.entries)
    shells.page_context(page, lambda: shells.run.search.add_entry_from_context(page))
    expected = SearchIndex()
    expected.add_entry_from_context(page)
    assert shells.run.search.entries[n0:] == expected.entries
    return expected.entries


def _shells() -> shell.Shells:
    config = {"markdown_extensions": sorted(fast_markdown.EXTENSIONS), "mdx_configs": fast_markdown.EXTENSION_CONFIGS}
    return shell.Shells(SimpleNamespace(config=config, files=None, search=SearchIndex()), None, None)


def test_the_search_entries_are_trusted_after_their_proofs():
    shells = _shells()
    for n in range(shell.PROOFS + 3):
        assert len(_index(shells, n)) == 2
    assert shells.fast_index == {"reps/*/": 0} and shells.fast_pages == shell.PROOFS + 3
    assert "add_entry_from_context" not in vars(shells.run.search)


def test_a_disproved_place_is_indexed_by_the_plugin(monkeypatch):
    shells = _shells()
    monkeypatch.setattr(fast_search, "entries", lambda index, page: [{"location": "wrong"}])
    _index(shells, 1)
    assert shells.fast_index == {"reps/*/": None}
    _index(shells, 2)


STRETCHES = [
    '<h2 id="a">A</h2>\n<p>one &amp; two</p>\n', '<h2 id="a">A</h2>\n<p>one &amp; two</p>\n',  # a repeat
    '<h3 id="b">B <em>x</em></h3>\n<ul>\n<li>i</li>\n</ul>\n', '<h2 id="c" data-search-exclude="">C</h2>\n<p>hid</p>\n',
    '<p><span>open\n', '</span></p>\n', '<div data-search-exclude=""><p>gone</p></div>\n', '<h2>no id</h2>\n<p>t</p>\n',
    '<div><h2 id="in">nested</h2></div>\n', '<!-- <h2 id="c">in a comment --> -->\n', '<p>a < b</p>\n',
    '<object><p>o</p></object>\n', '<h1 id="t">T</h1>\n', "\n", "<p>preface</p>\n", '<div class="linenodiv">1</div>\n',
    '<h2 id="e"></h2>\n', '<p><code>c</code> <sub>2</sub></p>\n',
    # As fast_markdown writes a heading left out of search; then one leaving a tag open, one closing a tag it did
    # not open, one holding another heading with an id, one holding a void tag and a comment.
    '<h2 data-search-exclude id="x">X <em>y</em></h2>\n<p>hid</p>\n', '<h2 data-search-exclude id="o">O</h2>\n<div><p>o\n',
    '<h2 data-search-exclude id="m">M</h2>\n</div><p>m</p>\n', '<h2 data-search-exclude id="k">K</h2>\n<h3 class="k" id="n">N</h3>\n',
    '<h3 data-search-exclude id="v">V</h3>\n<p>a<br>b<!-- c --></p>\n',
]


@given(st.lists(st.sampled_from(STRETCHES), max_size=8))
def test_any_run_of_sections_indexes_as_the_plugin_does(parts):
    """Pages cut into stretches at their headings, each parsed once (fast_search._stretch): the entries are
    the plugin's for any page, tags left open, skipped, nested or commented headings included."""
    content = "".join(parts)
    page = SimpleNamespace(content=content, toc=get_toc([]), url="reps/r1/", meta={"title": "P"}, title="T")
    plugin = SearchIndex()
    plugin.add_entry_from_context(page)
    got = fast_search.entries(SearchIndex(), page)
    assert got == plugin.entries or got is None and "<p>a < b" in content, content


def test_a_stretch_seen_before_is_not_parsed_again():
    fast_search._stretch.cache_clear()
    for n in range(3):
        content = f'<h1 id="t">Rep {n}</h1>\n' + STRETCHES[0] + STRETCHES[2]
        page = SimpleNamespace(content=content, toc=get_toc([]), url=f"reps/r{n}/", meta={}, title="T")
        plugin = SearchIndex()
        plugin.add_entry_from_context(page)
        assert fast_search.entries(SearchIndex(), page) == plugin.entries
    info = fast_search._stretch.cache_info()
    assert (info.misses, info.hits) == (3 + 2, 2 * 2)  # each page's own first stretch, the shared two once


def test_each_sections_toc_item_is_the_one_the_plugin_finds():
    """fast_search hands the entry builder the item the plugin's own search of the table of contents finds:
    the first in its order (an item, then its children), the same id nested or repeated included."""
    tokens = [{"level": 1, "id": "a", "name": "A", "children": [
        {"level": 2, "id": "b", "name": "B", "children": [{"level": 3, "id": "c", "name": "C1", "children": []}]},
        {"level": 2, "id": "c", "name": "C2", "children": []}]},
        {"level": 1, "id": "b", "name": "B2", "children": [{"level": 2, "id": "d", "name": "D", "children": []}]}]
    toc = get_toc(tokens)
    found = fast_search._toc_by_id(toc, {})
    for anchor in ("a", "b", "c", "d", "missing", None):
        assert found.get(anchor) is SearchIndex()._find_toc_by_id(toc, anchor), anchor
    assert found["c"].title == "C1" and found["b"].title == "B"


def test_the_search_event_is_left_out_only_where_it_would_add_those_entries_and_change_nothing(tmp_path):
    """Once a place's fast entries are proved, a page without a `data-search-` attribute does not run the
    page_context event (Material's search plugin's alone): its entries and HTML are what the event makes."""
    from mkdocs.config import load_config

    from pipelines import site

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    config = load_config(config_file=str(site._mkdocs_yml("Org", docs, tmp_path / "site", tmp_path / "mkdocs.yml")))
    config = config.plugins.on_config(config)
    index = site._search_index(config)
    shells = shell.Shells(SimpleNamespace(config=config, files=None, search=index), None, None)
    assert shells.search_event_only
    runs, seen = [], 0

    def event(page):
        return lambda: runs.append(page) or config.plugins.on_page_context({}, page=page, config=config, nav=None)

    for n in range(shell.PROOFS + 3):
        for attrs in ("", ' data-search-exclude="x"', ' class="a" data-search-boost="2"'):
            text = f"# T{n}\n\n<p{attrs}>Body {n}.</p>\n\n## Part\n\nMore *{n}*.\n"
            page = SimpleNamespace(markdown=text, url=f"reps/r{n}/", file=None, meta={"title": "T"}, title="T")
            shells.convert(page)
            same = SimpleNamespace(**vars(page))
            n0 = len(index.entries)
            event(same)()
            expected = index.entries[n0:], same.content
            del index.entries[n0:]
            runs.clear()
            shells.page_context(page, event(page))
            assert (index.entries[n0:], page.content) == expected
            assert bool(runs) == (seen < shell.PROOFS or "data-search-" in attrs), (n, attrs)
            seen += 1
    assert shells.fast_index == {"reps/*/": 0}


def test_a_section_left_out_of_search_is_not_parsed_when_it_closes_what_it_opens():
    """A rep page's headings after the first carry data-search-exclude: those stretches add no entry, so they are
    only checked for balance, not fed to the parser; one that leaves a tag open is parsed (with the whole page)."""
    left_out = '<h2 data-search-exclude id="p{n}">Pipeline</h2>\n<p>open deals <strong>{n}</strong></p>\n'
    for tail, parsed in (("", 1), ('<h2 data-search-exclude id="z">Z</h2>\n<div><p>open\n', 2)):
        fast_search._stretch.cache_clear()
        content = '<h1 id="t">Rep</h1>\n<p>intro</p>\n' + "".join(left_out.format(n=n) for n in range(3)) + tail
        page = SimpleNamespace(content=content, toc=get_toc([]), url="reps/r1/", meta={}, title="T")
        plugin = SearchIndex()
        plugin.add_entry_from_context(page)
        assert fast_search.entries(SearchIndex(), page) == plugin.entries
        assert [e["location"] for e in plugin.entries] == ["reps/r1/"]
        assert fast_search._stretch.cache_info().misses == parsed
