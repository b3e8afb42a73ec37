"""The search plugin's entries for a page `pipelines.fast_markdown` converted, without Python's HTML parser.

Material's search plugin cuts every page's HTML into sections with `html.parser.HTMLParser`,
whose tokenizer (a few regular expressions per tag, in Python) was most of the indexer's time
at 5,000 reps. The HTML `fast_markdown` writes is regular: well-formed tags with lower-case
names and double-quoted attribute values without `<`, `>` or `"`, one kind of comment, text
without `<`. Such HTML is cut into the same tokens by one regular expression, and the tokens go
to the plugin's own parser callbacks and entry builder, so the sections are the plugin's. Any
other HTML (a token the expression does not cover) is None: the plugin parses the page itself.
`pipelines.shell` checks the first pages of each place both ways.
"""

from __future__ import annotations

import functools
import html
import re

# A comment, a start tag, an end tag, text, or a `<` that starts none of them (the page is then not for here):
# every character of a page is in one token.
_TOKEN = re.compile(r'<!--.*?-->|<([a-z][a-z0-9]*)((?: [a-z][a-z-]*="[^"<>]*")*)>|</([a-z][a-z0-9]*)>|([^<]+)|(<)', re.S)
_ATTR = re.compile(r' ([a-z][a-z-]*)="([^"<>]*)"')


def entries(index, page) -> list | None:
    """The entries `index.add_entry_from_context(page)` would add (material/plugins/search/plugin.py), or None."""
    from material.plugins.search.plugin import Parser, SearchIndex

    if type(index) is not SearchIndex:  # another search plugin parses pages its own way
        return None
    search = page.meta.get("search") or {}
    if search.get("exclude"):
        return []
    parser = Parser()
    for start, attrs, end, text, stray in _TOKEN.findall(page.content):
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
    n0 = len(index.entries)
    for section in parser.data:
        if not section.is_excluded():
            index.create_entry_for_section(section, page.toc, page.url, page)
    got = index.entries[n0:]
    del index.entries[n0:]
    return got


@functools.lru_cache(maxsize=1 << 12)
def _attributes(attrs: str) -> tuple[tuple[str, str], ...]:
    """A start tag's attributes as the parser hands them over; tags repeat, so each is read once per process."""
    return tuple((k, html.unescape(v)) for k, v in _ATTR.findall(attrs))
