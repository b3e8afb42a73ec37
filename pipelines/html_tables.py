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
import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from pipelines.formatting import NO_DATA, Fmt

NUMERIC = {"money", "pct", "times", "days", "num", "grade"}
_NO_DATA = str(NO_DATA)


def _esc(value) -> str:
    """What str(markupsafe.escape(value)) gives: markup (anything with __html__) as it is, the rest escaped.

    A plain str: a large org's tables have millions of cells, and a Markup object per cell value was a
    fifth of the pages stage. Five str.replace calls (ampersands first) beat str.translate by 6x here.
    """
    if hasattr(value, "__html__"):
        return value.__html__()
    return (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
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


def col(label: str, key, fmt: str = "text", **kw) -> Col:
    return Col(label, key, fmt, **kw)


def _sort_key(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    # 12 significant digits, as in the downloads: a sum's last digits depend on the order DuckDB's threads add it up.
    return format(float(value), ".12g") if isinstance(value, (int, float)) else str(value)


class Tables:
    """Renders tables with the org's number formats; `root` is the page's path back to the site root."""

    def __init__(self, fmt: Fmt):
        self.fmt = fmt
        self.root = ""

    def _text(self, c: Col, value) -> str:
        if c.hidden:
            return "hidden"
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return _NO_DATA
        if c.fmt == "html":
            return value.__html__() if hasattr(value, "__html__") else str(value)
        if c.fmt == "grade":
            return f'<span class="grade grade-{int(value)}">{int(value)}</span>'
        if c.fmt == "date":
            return _esc(value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value)
        if c.fmt in NUMERIC:
            return _esc(getattr(self.fmt, c.fmt)(value))
        return _esc(value)

    def cell(self, c: Col, row: dict) -> str:
        value = c.key(row) if callable(c.key) else row.get(c.key)
        text = self._text(c, value)
        href = c.link(row) if c.link else None
        if href:
            href = href if "://" in href else self.root + href
            text = f'<a href="{_esc(href)}">{text}</a>'
        tag = c.badge(row) if c.badge else None
        if tag:
            text = f'{text} <span class="tag">{_esc(tag)}</span>'
        sort = "" if c.hidden else _sort_key(c.sort(row) if c.sort else value)
        attrs = f' class="num" data-sort="{_esc(sort)}"' if c.num else (' class="date"' if c.fmt == "date" else "")
        return f"<td{attrs}>{text}</td>"

    def header(self, c: Col, root: str) -> str:
        label = escape(c.label)
        if c.glossary:
            # The label itself sorts the column (a click on it must not leave the page); the glossary entry is
            # one small link beside it, its "?" drawn by CSS so the header's text stays the label alone.
            label = Markup(f'{label}<a class="gloss" href="{root}glossary/#{escape(c.glossary)}" '
                           f'title="{label}: what it means" aria-label="{label}: what it means"></a>')  # "?" drawn by CSS
        classes = " ".join(k for k, on in (("num", c.num), ("has-gloss", bool(c.glossary))) if on)
        attrs = f' class="{classes}"' if classes else ""
        if c.pick:
            attrs += f' data-filter-pick="{escape(c.pick)}"'
        return f"<th{attrs}>{label}</th>"

    def __call__(self, rows: list[dict], cols: list[Col], root: str = "", csv: str | None = None,
                 filter: str | None = None, note: str | None = None, cls: str = "") -> Markup:
        """The table's HTML: a sortable <table> in its scrolling box, then its note and CSV link."""
        self.root = root
        head = "".join(self.header(c, root) for c in cols)
        body = "\n".join("<tr>" + "".join(self.cell(c, r) for c in cols) + "</tr>" for r in rows)
        filt = f' data-filter="{escape(filter)}"' if filter else ""
        out = [f'<div class="table-wrap"><table class="sortable {escape(cls)}"{filt}><thead><tr>{head}</tr></thead>',
               f"<tbody>\n{body}\n</tbody></table></div>"]
        foot = []
        if note:
            foot.append(str(escape(note)))
        if csv:
            foot.append(f'<a href="{root}data/{escape(csv)}.csv">Download {escape(csv)}.csv</a>')
        if foot:
            out.append(f'<p class="table-csv">{" · ".join(foot)}</p>')
        return Markup("".join(out))
