"""pipelines.shell renders the theme's table of contents partial once per distinct table of contents:
every page still gets exactly what the partial renders for it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from mkdocs.config import load_config
from mkdocs.structure.toc import get_toc

from pipelines import shell, site


def _shells(tmp_path: Path) -> shell.Shells:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    yml = site._mkdocs_yml("Org", docs, tmp_path / "site", tmp_path / "mkdocs.yml")
    return shell.Shells.prepare(site._collect(load_config(config_file=str(yml))))


def _page(*headings: tuple[int, str, str]) -> SimpleNamespace:
    """A page whose table of contents has these (level, id, name) headings, nested as Python-Markdown nests them."""
    from markdown.extensions.toc import nest_toc_tokens

    tokens = [{"level": level, "id": anchor, "name": name, "html": name, "data-toc-label": ""}
              for level, anchor, name in headings]
    return SimpleNamespace(toc=get_toc(nest_toc_tokens(tokens)))


SECTIONS = ((2, "the-number", "The Number"), (3, "open-deals", "Open deals"), (2, "alerts", "Alerts & more"))


def test_each_page_gets_what_the_partial_renders_for_it(tmp_path):
    shells = _shells(tmp_path)
    pages = [
        _page((1, "ann", "Ann"), *SECTIONS),
        _page((1, "bob", "Bob <b>"), *SECTIONS),  # another rep, the same sections: one rendering for both
        _page((1, "ann", "Ann"), *SECTIONS[:2]),
        _page((1, "ann", "Ann"), (2, "the-number", "The Number"), (3, "open-deals", "Open deals 2")),
        _page(*SECTIONS),  # no h1: its sections are the whole table of contents
        _page((2, "x", "X"), (1, "y", "Y")),
        _page((1, "ann", "Ann")),
        _page(),
    ]
    for page in pages + pages:
        assert shells.toc_html(page) == shells.toc.render(config=shells.run.config, page=page)
    assert len(shells.tocs) == len(pages) - 1
    assert "Open deals" in shells.toc_html(pages[0]) and "Ann" not in shells.toc_html(pages[0])


def test_a_table_of_contents_it_cannot_key_is_rendered_each_time(tmp_path):
    shells = _shells(tmp_path)
    page = _page(*SECTIONS)
    page.toc.items[0].typeset = {"unhashable": True}
    assert shells.toc_html(page) == shells.toc.render(config=shells.run.config, page=page)
    assert shells.tocs == {}
