"""What the site's search finds: each person, team and site page by name, and the site's own sections.

A rep page's sections (Pipeline, Open deals, Alerts...) are the same dozen headings on every rep page: indexed,
a search for "stuck" listed 5,600 rep sections at 5,000 reps before the glossary's entry, and the index was
15.7 MB, which the browser downloads and indexes before the first result (6.8 s here). So the rep and team
pages' headings after the first carry attr_list's `{ data-search-exclude }` (Material's own way to leave a
section out), and each of those pages is found by its first section: its title and the line under it.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from material.plugins.search.plugin import SearchIndex
from mkdocs.structure.toc import get_toc

from pipelines import fast_markdown, fast_search
from pipelines.slugs import rep_slug


def _docs(site) -> list[dict]:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def test_each_rep_and_team_page_is_one_entry_under_its_title(tiny_site):
    """Coaching pages and Monday packs stay out of search altogether (their front matter says so)."""
    docs = _docs(tiny_site)
    people = [p.name for p in (tiny_site / "reps").iterdir() if (p / "index.html").exists()]
    assert people
    for slug in people:
        assert [d["location"] for d in docs if d["location"].startswith(f"reps/{slug}/")] == [f"reps/{slug}/"]
    assert any(d["location"] == f"reps/{rep_slug('r3')}/" and d["title"] == "Cy Closer" for d in docs)
    teams = {d["location"] for d in docs if d["location"].startswith("teams/") and d["location"] != "teams/"}
    assert teams and all("#" not in t for t in teams)


def test_the_sites_own_pages_keep_their_sections(tiny_site):
    """The glossary's metrics and the other site pages are found section by section, as before."""
    docs = _docs(tiny_site)
    assert sum(d["location"].startswith("glossary/#") for d in docs) > 20
    assert any(d["location"].startswith("data-quality/#") for d in docs)


def test_an_excluded_heading_stays_on_the_fast_path_and_in_the_table_of_contents():
    """`## Pipeline { data-search-exclude }` converts by hand to Python-Markdown's HTML (attr_list puts the bare
    attribute first), keeps its table-of-contents entry, and its section has no search entry."""
    got = fast_markdown.convert("# Cy\n\nintro\n\n## Pipeline { data-search-exclude }\n\nopen deals\n", lambda u: u)
    assert got.content == ('<h1 id="cy">Cy</h1>\n<p>intro</p>\n'
                           '<h2 data-search-exclude id="pipeline">Pipeline</h2>\n<p>open deals</p>')
    assert [t["id"] for t in got.toc_tokens[0]["children"]] == ["pipeline"]
    page = SimpleNamespace(content=got.content, toc=get_toc(got.toc_tokens), url="reps/r1/", meta={}, title="Cy")
    entries = fast_search.entries(SearchIndex(), page)
    assert [(e["location"], e["title"], e["text"]) for e in entries] == [("reps/r1/", "Cy", "<p>intro</p>")]
