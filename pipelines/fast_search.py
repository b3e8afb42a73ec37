"""The search plugin's entries for a page `pipelines.fast_markdown` converted, without Python's HTML parser.

Material's search plugin cuts every page's HTML into sections with `html.parser.HTMLParser`,
whose tokenizer (a few regular expressions per tag, in Python) was most of the indexer's time
at 5,000 reps. The HTML `fast_markdown` writes is regular: well-formed tags with lower-case
names and double-quoted attribute values without `<`, `>` or `"`, one kind of comment, text
without `<`. Such HTML is cut into the same tokens by one regular expression, and the tokens go
to the plugin's own parser callbacks and entry builder, so the sections are the plugin's. Any
other HTML (a token the expression does not cover) is None: the plugin parses the page itself.
`pipelines.shell` checks the first pages of each place both ways.

A page's sections recur from page to page (a rep page's thirteen, about a third of them distinct at
5,000 reps), so each stretch from one top-level heading to the next is parsed once per process: the
parser keeps nothing from one such stretch to the next but that sections came before (the heading
starts a section of its own, and nothing is open or skipped when it does). A page with a stretch that
leaves a tag open is parsed whole.
"""

from __future__ import annotations

import functools
import html
import re

# A comment, a start tag, an end tag, text, or a `<` that starts none of them (the page is then not for here):
# every character of a page is in one token.
_TOKEN = re.compile(r'<!--.*?-->|<([a-z][a-z0-9]*)((?: [a-z][a-z-]*(?:="[^"<>]*")?)*)>|</([a-z][a-z0-9]*)>|([^<]+)|(<)',
                    re.S)
# An attribute with a value, or a bare one (a heading's data-search-exclude), which the parser hands over as None.
_ATTR = re.compile(r' ([a-z][a-z-]*)(="([^"<>]*)")?')


# Where a stretch of a page begins: a heading with an id (fast_markdown's are all top-level), perhaps excluded
# from search (its section is then left out of the index, as the plugin leaves it out).
_HEADING = re.compile(r'<h[1-6](?: data-search-exclude)? id="')
_EXCLUDED = re.compile(r'<h[1-6] data-search-exclude id="')
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
# The tags the plugin's parser skips to begin with: after a stretch, it skips these alone again.
_SKIPPED = frozenset({"object", "script", "style"})


def entries(index, page) -> list | None:
    """The entries `index.add_entry_from_context(page)` would add (material/plugins/search/plugin.py), or None."""
    from material.plugins.search.plugin import Element, SearchIndex, Section

    if type(index) is not SearchIndex:  # another search plugin parses pages its own way
        return None
    search = page.meta.get("search") or {}
    if search.get("exclude"):
        return []
    sections = _page_sections(page.content)
    if sections is None:
        return None
    n0 = len(index.entries)
    toc = _toc_by_id(page.toc, {})
    for tag, attrs, title, text, anchor in sections:
        section = Section(Element(tag, dict(attrs)))
        section.title, section.text, section.id = list(title), list(text), anchor
        if not section.is_excluded():
            found = toc.get(anchor)
            index.create_entry_for_section(section, [found] if found is not None else [], page.url, page)
    got = index.entries[n0:]
    del index.entries[n0:]
    return got


def _toc_by_id(items, found: dict) -> dict:
    """Each id's first item in the table of contents, in the order the plugin's `_find_toc_by_id` looks (an item,
    then its children): the entry builder is handed that item alone, not the whole table to search again for
    each section (a rep page's thirteen sections searched its thirteen items each)."""
    for item in items:
        found.setdefault(item.id, item)
        _toc_by_id(item.children, found)
    return found


def _page_sections(content: str) -> list | None:
    """The sections of a page (see `_parse`), stretch by stretch, or of the whole page at once where a stretch
    leaves the parser otherwise than it found it; None when the tokens are not sure."""
    cuts = [0, *(m.start() for m in _HEADING.finditer(content, 1)), len(content)]
    sections: list = []
    for start, end in zip(cuts, cuts[1:]):
        if sections and _left_out(content, start, end):
            continue
        got = _stretch(content[start:end], not sections)
        if got is None or (not got[1] and end < len(content)):
            whole = _parse(content, True)
            return None if whole is None else list(whole[0])
        sections.extend(got[0])
    return sections


def _left_out(content: str, start: int, end: int) -> bool:
    """Whether content[start:end], a stretch after the first, is one section left out of search that leaves the
    parser as it found it: then it adds no entry and changes nothing after it, and is not parsed at all.

    Most of a rep page is such stretches (its headings after the first carry data-search-exclude). Sure only
    when the stretch opens with such a heading, holds no other heading, nothing the parser skips, and no stray
    `<`, and closes every tag it opens in order (the parser ignores an end tag that does not match: not sure).
    """
    if not _EXCLUDED.match(content, start):
        return False
    void = _void()
    open_tags: list[str] = []
    for n, (tag, _, end_tag, _, stray) in enumerate(_TOKEN.findall(content, start, end)):
        if tag:
            if tag in _SKIPPED or (n and tag in _HEADINGS):
                return False
            if tag not in void:
                open_tags.append(tag)
        elif end_tag:
            if not open_tags or open_tags.pop() != end_tag:
                return False
        elif stray:
            return False
    return not open_tags


@functools.cache
def _void() -> frozenset[str]:
    """The tags the plugin's parser never holds open (its `void`): read once, not at each of 75,000 stretches."""
    from material.plugins.search.plugin import void

    return frozenset(void)


def _parse(html_text: str, first: bool) -> tuple[tuple, bool] | None:
    """The sections the plugin's parser makes of a stretch of a page, as (tag, attributes, title, text, id)
    each, and whether it leaves the parser as it found it (no tag open, no more skipped); None when not sure.

    A page's parse enters each stretch with no tag open and, unless it is the `first` to make a section,
    with sections made (stood for here by one): a heading with an id, which a stretch after the first must
    start with, then starts one of its own.
    """
    from material.plugins.search.plugin import Element, Parser, Section

    tokens = _TOKEN.findall(html_text)
    parser = Parser()
    if not first:
        if not tokens or tokens[0][0] not in _HEADINGS or "id" not in dict(_attributes(tokens[0][1])):
            return None
        parser.section = Section(Element("hx"))
        parser.data.append(parser.section)
    for start, attrs, end, text, stray in tokens:
        if start:
            if start in ("script", "style"):  # their content is not parsed as HTML
                return None
            parser.handle_starttag(start, _attributes(attrs))
        elif end:
            parser.handle_endtag(end)
        elif text:
            parser.handle_data(html.unescape(text) if "&" in text else text)
        elif stray:
            return None
    sections = tuple((s.el.tag, tuple(s.el.attrs.items()), tuple(s.title), tuple(s.text), s.id)
                     for s in parser.data[0 if first else 1:])
    return sections, not parser.context and parser.skip == _SKIPPED


# Each stretch once per process: a rep page's thirteen recur from page to page.
_stretch = functools.lru_cache(maxsize=1 << 13)(_parse)


@functools.lru_cache(maxsize=1 << 12)
def _attributes(attrs: str) -> tuple[tuple[str, str], ...]:
    """A start tag's attributes as the parser hands them over; tags repeat, so each is read once per process."""
    return tuple((k, html.unescape(v) if eq else None) for k, eq, v in _ATTR.findall(attrs))
