"""The rep, coaching and team pages' Markdown converted by hand, when that is sure to give Python-Markdown's HTML.

Python-Markdown was two thirds of the site stage's time at 5,000 reps: per page it runs an HTML
parser over the source, a dozen block processors, sixteen inline patterns over every text node,
an ElementTree serializer and the table of contents. The pages filled into a theme shell
(`pipelines.shell`) use very little Markdown: headings (with `{ data-search-exclude }`, the one attribute
list handled, or none), paragraphs of text with `**strong**`,
`*em*`, `[links](url)`, entities and inline tags, tight `- ` lists, and whole-line `<p>` / `<div>`
blocks. This module converts exactly that subset, with the rules Python-Markdown 3.11 applies to
it (with the extensions toc, tables, fenced_code and attr_list), and answers None for anything
else (a character Markdown treats specially outside the forms handled here, an unknown tag, an
indented or over-long construct...): that page then goes through Python-Markdown as before.
`pipelines.shell` checks the first pages of each kind both ways at run time, and
tests/test_fast_markdown.py feeds both converters real and hostile pages.

The table of contents, the title and the anchor ids are computed with Python-Markdown's and
MkDocs' own functions (slugify, unique, strip_tags), from the same inner HTML.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

from markdown.extensions.toc import nest_toc_tokens, slugify, strip_tags, unique
from markdown.serializers import _escape_attrib_html
from mkdocs.utils.rendering import _strip_tags as title_text

# The Markdown setup this module reproduces: MkDocs' built-in extensions plus templates/mkdocs.yml.j2's.
EXTENSIONS = {"toc", "tables", "fenced_code", "attr_list"}
EXTENSION_CONFIGS = {"toc": {"permalink": False}}
# Tags Python-Markdown leaves inline (stashed one by one); a whole-line raw block is a <p> or a <div>.
INLINE_TAGS = frozenset({"a", "abbr", "b", "code", "em", "i", "small", "span", "strong", "sub", "sup"})

_VALUE = r'(?:[^"<>&\n\\`|\[\]{}]|&#[0-9]+;|&[a-zA-Z][a-zA-Z0-9]*;)*'
_ATTR = re.compile(rf'([a-z][a-z-]*)="({_VALUE})"')
_TAG = rf'<([a-z]+)((?: [a-z][a-z-]*="{_VALUE}")*)>|</([a-z]+)>'
_RAW_LINE = re.compile(rf'<(p|div)((?: [a-z][a-z-]*="{_VALUE}")*)>(.*)</\1>')
# The blocks comment (pipelines.blocks): printable ASCII JSON in which no two dashes follow each other.
_COMMENT_LINE = re.compile(r"<!--sc-blocks:(?:[ -,.-~]|-(?!-))*-->")
_HEADING = re.compile(r"(#{1,6}) (.+?)( \{ data-search-exclude \})?")
# What a heading's attr_list suffix ` { data-search-exclude }` puts in its tag (the one attribute list handled here).
_UNSEARCHED = " data-search-exclude"
# Inline tokens: a tag, an entity, a link, a run of asterisks, a bare ampersand or `>`, or a character
# this module does not handle (the match then fails the page).
_INLINE = re.compile(
    rf"(?P<tag>{_TAG})"
    r"|(?P<entity>&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)"
    r"|\[(?P<text>[^\[\]()<>*_`\\|{}&\n]+)\]\((?P<url>(?:[A-Za-z0-9/.#:-]|&#[0-9]+;)(?:[A-Za-z0-9/._#:-]|&#[0-9]+;)*)\)"
    r"|(?P<stars>\*+)"
    r"|(?P<amp>&#?)|(?P<gt>>)"
    r"|(?P<bad>[<\[\]\\`_{}]|!\[)"
)
_RAW_INNER = re.compile(rf"(?P<tag>{_TAG})|&#[0-9]+;|&[a-zA-Z][a-zA-Z0-9]*;|(?P<bad>[<&\\`])")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029\t]")
_TABLE_RULE = set("|:- ")  # a line of only these, second in a block, would make the block a table
_ORDERED = re.compile(r"[0-9]+[.)](\s|$)")
_LINK = "\x00"  # where a link's URL goes, the page's links in document order (no page holds a NUL)
_LINK_RE = re.compile(_LINK)
# Lines and inline texts recur from page to page (headings, notes, tags): each is worked out once
# per process. The functions cached are pure: a page applies what they return to itself.
_CACHED = 1 << 16


@dataclass
class Converted:
    """What `Page.render` takes from Python-Markdown and its tree processors."""

    content: str
    toc_tokens: list
    title: str | None
    anchor_ids: set


def usable(extensions, configs) -> bool:
    """Whether the site's Markdown setup is the one this module reproduces."""
    names = {e if isinstance(e, str) else None for e in extensions}
    return names == EXTENSIONS and (configs or {}) == EXTENSION_CONFIGS


def convert(markdown: str, rewrite_link) -> Converted | None:
    """`markdown` as Python-Markdown and MkDocs render it, or None when not sure.

    `rewrite_link(url)` is MkDocs' link rewriter for the page; it is called, in document order, only
    once the page is known to convert, since it records anchors and logs.
    """
    if _CONTROL.search(markdown):
        return None
    page = _Page()
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if not page.line(line, i + 1 == len(lines) or lines[i + 1] == ""):
            return None
    if not page.end():
        return None
    return page.finish(rewrite_link)


class _Page:
    """The block structure of one page, built line by line as Python-Markdown's block parser would."""

    def __init__(self):
        self.blocks: list[tuple[str, str]] = []  # (kind, html); kind "h1".."h6" (+ _UNSEARCHED), "p", "ul", "raw"
        self.para: list[str] = []
        self.items: list[str] | None = None
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.closed = False  # the blocks comment was read: only blank lines may follow

    def line(self, line: str, blank_follows: bool) -> bool:
        if line == "":  # most blank lines end nothing: a block or another blank line came before
            return self.end() if self.para or self.items is not None else True
        if self.closed or line[0].isspace() or line[-1].isspace():
            return False
        if line[0] == "<":
            if _COMMENT_LINE.fullmatch(line):
                self.closed = True
                return self.end() and self.raw(line, blank_follows, ())
            ids = _raw_ids(line)
            if ids is not False:
                return self.end() and self.raw(line, blank_follows, ids)
        if line[0] == "#":
            return self.end_paragraph() and self.items is None and self.heading(line)
        if line.startswith("- "):
            return self.item(line[2:])
        if not _plain_start(line):
            return False
        if self.items is not None:  # a lazy continuation of the last item, as Python-Markdown reads it
            self.items[-1] += "\n" + line
        else:
            self.para.append(line)
        return True

    def raw(self, line: str, blank_follows: bool, ids: tuple[str, ...] | None) -> bool:
        """A whole-line block of HTML with these ids (None: not sure of it): kept as it is (with a newline when a
        blank line follows, as the stash does)."""
        if ids is None:
            return False
        self.ids.update(ids)
        self.blocks.append(("raw", line + "\n" if blank_follows else line))
        return True

    def heading(self, line: str) -> bool:
        m = _HEADING.fullmatch(line)
        if not m:
            return False
        text = m.group(2)
        if text != text.strip() or text[0] == "#" or text[-1] == "#" or "*" in text or "[" in text:
            return False
        inner = self.inline(text)
        if inner is None:
            return False
        self.blocks.append((f"h{len(m.group(1))}" + (_UNSEARCHED if m.group(3) else ""), inner))
        return True

    def item(self, text: str) -> bool:
        """A `- ` list item: only at the start of a block, never right after another list (that would join it)."""
        if self.para or not _plain_start(text):
            return False
        if self.items is None:
            if self.blocks and self.blocks[-1][0] == "ul":
                return False
            self.items = []
        self.items.append(text)
        return True

    def end_paragraph(self) -> bool:
        if self.para:
            inner = self.inline("\n".join(self.para))
            if inner is None:
                return False
            self.blocks.append(("p", inner))
            self.para = []
        return True

    def end(self) -> bool:
        if not self.end_paragraph():
            return False
        if self.items is not None:
            items = [self.inline(t) for t in self.items]
            if None in items:
                return False
            self.blocks.append(("ul", "\n".join(f"<li>{t}</li>" for t in items)))
            self.items = None
        return True

    def inline(self, text: str) -> str | None:
        """Inline Markdown as Python-Markdown renders it (links left as markers), or None; its links and ids noted."""
        got = _inline(text)
        if got is None:
            return None
        inner, links, ids = got
        self.links.extend(links)
        self.ids.update(ids)
        return inner

    def finish(self, rewrite_link) -> Converted:
        """The page's HTML, table of contents, title and anchors, from its blocks."""
        used: set[str] = set()
        counters: dict[str, int] = {}
        tokens, parts = [], []
        for kind, inner in self.blocks:
            if kind[0] == "h":
                slug, name = _heading_names(inner)
                anchor = unique(slug, used, counters)
                self.ids.add(anchor)
                tokens.append({"level": int(kind[1]), "id": anchor, "name": name, "html": inner,
                               "data-toc-label": ""})
                parts.append(f'<{kind} id="{_escape_attrib_html(anchor)}">{inner}</{kind[:2]}>')
            elif kind == "raw":
                parts.append(inner)
            else:
                parts.append(f"<{kind}>\n{inner}\n</{kind}>" if kind == "ul" else f"<p>{inner}</p>")
        urls = iter([_escape_attrib_html(rewrite_link(url)) for url in self.links])  # in the markers' order
        content = _LINK_RE.sub(lambda m: next(urls), "\n".join(parts).strip())
        first = self.blocks[0] if self.blocks else ("", "")
        title = title_text(first[1]) if first[0][:2] == "h1" else None
        return Converted(content, nest_toc_tokens(tokens), title, self.ids)


@functools.lru_cache(maxsize=_CACHED)
def _raw_ids(line: str) -> tuple[str, ...] | None | bool:
    """The ids MkDocs' raw-HTML scan finds in a whole-line block, None when the block holds something this
    module does not handle, False when the line is not such a block: a line is matched once per process
    (a rep page's twenty such lines recur), not once per page before its cache is asked."""
    m = _RAW_LINE.fullmatch(line)
    if m is None:
        return False
    ids = _tag_ids(m.group(1), m.group(2))
    for tag in _RAW_INNER.finditer(m.group(3)):
        if tag.group("bad"):
            return None
        if tag.group("tag"):
            found = _inline_tag_ids(tag)
            if found is None:
                return None
            ids += found
    return ids


def _inline_tag_ids(m: re.Match) -> tuple[str, ...] | None:
    """The ids of an inline tag (an _INLINE or _RAW_INNER match), or None for a tag Python-Markdown does not
    leave inline."""
    name = m.group(2) or m.group(4)
    if name not in INLINE_TAGS:
        return None
    return () if m.group(2) is None else _tag_ids(name, m.group(3))


def _tag_ids(tag: str, attrs: str) -> tuple[str, ...]:
    """The ids MkDocs' raw-HTML scan finds in a tag's attributes."""
    return tuple(html.unescape(value) for name, value in _ATTR.findall(attrs)
                 if name == "id" or (name == "name" and tag == "a"))


@functools.lru_cache(maxsize=_CACHED)
def _inline(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """Inline Markdown as Python-Markdown renders it, with a marker for each link, and its link URLs and
    ids; None when not sure."""
    out: list[str] = []
    links: list[str] = []
    ids: tuple[str, ...] = ()
    pos = 0
    open_star: tuple[int, int, int] | None = None  # (run length, index in out, source position)
    for m in _INLINE.finditer(text):
        out.append(_text(text[pos:m.start()]))
        pos = m.end()
        kind = m.lastgroup
        if kind == "bad" or kind == "amp" and m.group() == "&#":
            return None
        if kind == "tag":
            found = _inline_tag_ids(m)
            if found is None:
                return None
            ids += found
        if kind == "stars":
            open_star = _star(text, m, out, open_star)
            if open_star is False:
                return None
            continue
        if kind == "url":
            links.append(m.group("url"))
            out.append(f'<a href="{_LINK}">{_text(m.group("text"))}</a>')
        elif kind in ("tag", "entity"):
            out.append(m.group())
        else:
            out.append(_text(m.group()))
    if open_star is not None:
        return None
    out.append(_text(text[pos:]))
    return "".join(out), tuple(links), ids


@functools.lru_cache(maxsize=_CACHED)
def _heading_names(inner: str) -> tuple[str, str]:
    """A heading's anchor before it is made unique on its page, and its table of contents name."""
    name = strip_tags(inner)
    return slugify(html.unescape(name), "-"), name


def _plain_start(line: str) -> bool:
    """Whether a paragraph line (or list item text) starts with nothing a block processor would claim."""
    c = line[0]
    if c.isspace() or c in "#>=-+|~_" or _ORDERED.match(line) or (c in _TABLE_RULE and set(line) <= _TABLE_RULE):
        return False
    return c != "*" or re.match(r"\*{1,2}[^\s*]", line) is not None


def _text(s: str) -> str:
    """Text as Python-Markdown's serializer escapes it (entities and tags were taken out before)."""
    return s.replace("&", "&amp;").replace(">", "&gt;")


def _star(text: str, m: re.Match, out: list[str], open_star):
    """Open or close `*em*` / `**strong**`: same-length runs in sequence, never nested, content not
    starting or ending with white space; anything else is False (not sure)."""
    n = len(m.group())
    if n > 2:
        return False
    if open_star is None:
        after = text[m.end():m.end() + 1]
        if not after or after.isspace():
            return False
        out.append("")
        return (n, len(out) - 1, m.end())
    if open_star[0] != n or m.start() == open_star[2] or text[m.start() - 1].isspace():
        return False
    tag = "strong" if n == 2 else "em"
    out[open_star[1]] = f"<{tag}>"
    out.append(f"</{tag}>")
    return None
