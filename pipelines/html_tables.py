"""Every table on the site, laid out one way: sortable, numbers right-aligned with their exact value to sort
by, labels linked to the glossary, a link to the CSV the rows come from, and "no data" where a value is
missing.

Templates declare a table's columns with `col(...)` and call `table(rows, cols, ...)`. The HTML is built
here rather than cell by cell in Jinja because the reps index of a large org has tens of thousands of
cells; it is the same escaping (every CRM value is HTML-escaped) and goes into the page as a block
(pipelines.blocks), so Markdown never parses it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from pipelines.formatting import NO_DATA, Fmt

NUMERIC = {"money", "pct", "times", "days", "num", "grade"}
_NO_DATA = str(NO_DATA)
# A table of more rows than this is marked "big": the browser lays it out once, after tables.js (scorecards.css).
BIG_ROWS = 300


def _esc(value) -> str:
    """What str(markupsafe.escape(value)) gives: markup (anything with __html__) as it is, the rest escaped.

    A plain str: a large org's tables have millions of cells, and a Markup object per cell value was a
    fifth of the pages stage. Five str.replace calls (ampersands first) beat str.translate by 6x here.
    """
    if type(value) is not str:  # most values are plain text: no look-up for __html__
        if hasattr(value, "__html__"):
            return value.__html__()
        value = str(value)
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


@dataclass(frozen=True)
class Col:
    """One column: header label, the row key (or a function of the row), how to show it, and extras."""

    label: str
    key: str | Callable[[dict], object]
    fmt: str = "text"  # text | money | pct | times | days | num | date | grade | html
    glossary: str | None = None  # metric name: the header links to its glossary entry
    link: Callable[[dict], str | None] | None = None  # the cell links here: a path from the site root, or a URL
    pick: str | None = None  # offer a picker over this column's values ("teams", "roles")
    badge: Callable[[dict], str | None] | None = None  # a tag after the value (e.g. "left")
    hidden: bool = False  # privacy: shown as "hidden"
    sort: Callable[[dict], object] | None = None  # the number an "html" cell sorts by (then right-aligned)

    @property
    def num(self) -> bool:
        return self.fmt in NUMERIC or self.sort is not None


@functools.lru_cache(maxsize=4096, typed=True)  # typed: a Markup label or glossary is not a str one
def col(label: str, key, fmt: str = "text", **kw) -> Col:
    """A column for `table(...)`. Templates declare the same columns on every page (sixty a rep page); a Col
    is immutable, so each is made once."""
    return Col(label, key, fmt, **kw)


def _sort_key(value) -> str:
    """What a numeric cell sorts by, as its data-sort attribute (escaped)."""
    if type(value) is float:  # most are: the same as below, with fewer checks
        return "" if math.isnan(value) else format(value, ".12g")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    # 12 significant digits, as in the downloads: a sum's last digits depend on the order DuckDB's threads add it up.
    # A number's digits need no escaping; anything else (a date, text) does.
    return format(float(value), ".12g") if isinstance(value, (int, float)) else _esc(str(value))


def _linked(text: str, href: str, root: str) -> str:
    """A cell's text as a link: a path from the site root (made relative to the page), or a URL as it is."""
    return f'<a href="{_esc(href if "://" in href else root + href)}">{text}</a>'


def _html(value) -> str:
    return value.__html__() if hasattr(value, "__html__") else str(value)


def _grade(value) -> str:
    return f'<span class="grade grade-{int(value)}">{int(value)}</span>'


def _date(value) -> str:
    return _esc(value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value)


# What a cell shows for a value of these formats (other formats: numbers in the org's format, text escaped).
_SHOWN = {"html": _html, "grade": _grade, "date": _date}


@functools.lru_cache(maxsize=4096, typed=True)  # typed: a Markup label is not escaped, a str one is
def _header(label: str, glossary: str | None, num: bool, pick: str | None, root: str) -> str:
    """A column's <th>. Pages repeat the same few hundred headers a hundred thousand times: made once each."""
    text = escape(label)
    if glossary:
        # The label itself sorts the column (a click on it must not leave the page); the glossary entry is
        # one small link beside it, its "?" drawn by CSS so the header's text stays the label alone.
        text = Markup(f'{text}<a class="gloss" href="{root}glossary/#{escape(glossary)}" '
                      f'title="{text}: what it means" aria-label="{text}: what it means"></a>')  # "?" drawn by CSS
    classes = " ".join(k for k, on in (("num", num), ("has-gloss", bool(glossary))) if on)
    attrs = f' class="{classes}"' if classes else ""
    if pick:
        attrs += f' data-filter-pick="{escape(pick)}"'
    return f"<th{attrs}>{text}</th>"


class Tables:
    """Renders tables with the org's number formats."""

    def __init__(self, fmt: Fmt):
        self.fmt = fmt

    def _shown(self, c: Col) -> Callable[[object], str]:
        """value -> what a cell of this column shows (HTML) when the value is there."""
        if c.fmt in _SHOWN:
            return _SHOWN[c.fmt]
        if c.fmt in NUMERIC:
            number = getattr(self.fmt, c.fmt)
            if c.fmt != "money" or _esc(self.fmt.currency) == self.fmt.currency:
                return number  # digits, signs and units: nothing to escape (a currency symbol may need it)
            return lambda value: _esc(number(value))
        return _esc

    def _column(self, c: Col, rows: list[dict], root: str) -> list[str]:
        """This column's <td> for every row.

        A column at a time, not a cell at a time: what depends on the column alone (where its value comes
        from, its format, link, badge and sort) is settled once, and each step is one loop over the rows, not
        one call per cell (a large org's pages have millions of cells).
        """
        key = c.key
        values = [key(r) for r in rows] if callable(key) else [r.get(key) for r in rows]
        if c.hidden:
            texts = ["hidden"] * len(rows)
        else:
            shown = self._shown(c)
            texts = [_NO_DATA if v is None or (isinstance(v, float) and math.isnan(v)) else shown(v) for v in values]
        if c.link:
            texts = [_linked(t, href, root) if (href := c.link(r)) else t for t, r in zip(texts, rows)]
        if c.badge:
            texts = [f'{t} <span class="tag">{_esc(tag)}</span>' if (tag := c.badge(r)) else t
                     for t, r in zip(texts, rows)]
        if c.num and not c.hidden:  # a hidden column's cells all sort as ""
            keys = [c.sort(r) for r in rows] if c.sort else values
            return [f'<td class="num" data-sort="{_sort_key(k)}">{t}</td>' for k, t in zip(keys, texts)]
        attrs = ' class="num" data-sort=""' if c.num else ' class="date"' if c.fmt == "date" else ""
        return [f"<td{attrs}>{t}</td>" for t in texts]

    def __call__(self, rows: list[dict], cols: list[Col], root: str = "", csv: str | None = None,
                 filter: str | None = None, note: str | None = None, cls: str = "") -> Markup:
        """The table's HTML: a sortable <table> in its scrolling box, then its note and CSV link."""
        head = "".join(_header(c.label, c.glossary, c.num, c.pick, root) for c in cols)
        columns = [self._column(c, rows, root) for c in cols]
        body = "\n".join(["<tr>" + "".join(cells) + "</tr>" for cells in zip(*columns)] if cols else
                         ["<tr></tr>"] * len(rows))
        filt = f' data-filter="{escape(filter)}"' if filter else ""
        wrap = "table-wrap big" if len(rows) > BIG_ROWS else "table-wrap"
        out = [f'<div class="{wrap}"><table class="sortable {escape(cls)}"{filt}><thead><tr>{head}</tr></thead>',
               f"<tbody>\n{body}\n</tbody></table></div>"]
        foot = []
        if note:
            foot.append(str(escape(note)))
        if csv:
            foot.append(f'<a href="{root}data/{escape(csv)}.csv">Download {escape(csv)}.csv</a>')
        if foot:
            out.append(f'<p class="table-csv">{" · ".join(foot)}</p>')
        return Markup("".join(out))
