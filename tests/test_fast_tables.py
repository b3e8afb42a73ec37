"""The fast paths of the pages stage give the bytes the plain ones gave.

Tables settle each column's format, link, badge and sort once per table (pipelines.html_tables). Here they
are checked against the code they replaced, kept below as the reference, on hostile text, missing values and
every column option.
"""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from pipelines.formatting import NO_DATA, Fmt
from pipelines.html_tables import NUMERIC, Col, Tables

HOSTILE = ["<script>alert(1)</script>", "a & b", '"quoted" \'single\'', "[x](javascript:alert(1))",
           "**{{ 7*7 }}**", "| pipe |", "Peña 😀", "", "://", "line\nbreak", "{% if %}"]


# --- the reference: html_tables as it was, cell by cell ------------------------------------------------

def _ref_sort_key(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(int(value))
    return format(float(value), ".12g") if isinstance(value, (int, float)) else str(value)


def _ref_text(fmt: Fmt, c: Col, value) -> str:
    if c.hidden:
        return "hidden"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return str(NO_DATA)
    if c.fmt == "html":
        return value.__html__() if hasattr(value, "__html__") else str(value)
    if c.fmt == "grade":
        return f'<span class="grade grade-{int(value)}">{int(value)}</span>'
    if c.fmt == "date":
        return str(escape(value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value))
    if c.fmt in NUMERIC:
        return str(escape(getattr(fmt, c.fmt)(value)))
    return str(escape(value))


def _ref_cell(fmt: Fmt, c: Col, row: dict, root: str) -> str:
    value = c.key(row) if callable(c.key) else row.get(c.key)
    text = _ref_text(fmt, c, value)
    href = c.link(row) if c.link else None
    if href:
        href = href if "://" in href else root + href
        text = f'<a href="{escape(href)}">{text}</a>'
    tag = c.badge(row) if c.badge else None
    if tag:
        text = f'{text} <span class="tag">{escape(tag)}</span>'
    sort = "" if c.hidden else _ref_sort_key(c.sort(row) if c.sort else value)
    attrs = f' class="num" data-sort="{escape(sort)}"' if c.num else (' class="date"' if c.fmt == "date" else "")
    return f"<td{attrs}>{text}</td>"


def _ref_header(c: Col, root: str) -> str:
    label = escape(c.label)
    if c.glossary:
        label = Markup(f'{label}<a class="gloss" href="{root}glossary/#{escape(c.glossary)}" '
                       f'title="{label}: what it means" aria-label="{label}: what it means"></a>')
    classes = " ".join(k for k, on in (("num", c.num), ("has-gloss", bool(c.glossary))) if on)
    attrs = f' class="{classes}"' if classes else ""
    if c.pick:
        attrs += f' data-filter-pick="{escape(c.pick)}"'
    return f"<th{attrs}>{label}</th>"


# --- columns and rows ---------------------------------------------------------------------------------

text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
number = st.one_of(st.none(), st.just(math.nan), st.booleans(), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=False, allow_infinity=False, width=64), st.decimals(-10**9, 10**9, places=2))
anything = st.one_of(number, text, text.map(Markup), st.dates(), st.datetimes())
values_for = {"text": anything, "html": anything, "date": st.one_of(st.none(), st.dates(), st.datetimes(), text),
              "grade": st.one_of(st.none(), st.integers(1, 5)), **{f: number for f in NUMERIC - {"grade"}}}


@st.composite
def column(draw) -> tuple[Col, st.SearchStrategy]:
    fmt = draw(st.sampled_from(sorted(values_for)))
    key = draw(st.sampled_from(["a", "b", "absent"]))
    by_function = draw(st.booleans())
    col = Col(
        label=draw(st.one_of(text, text.map(Markup))),
        key=(lambda row, k=key: row.get(k)) if by_function else key,
        fmt=fmt,
        glossary=draw(st.one_of(st.none(), text)),
        link=draw(st.sampled_from([None, lambda r: r.get("href"), lambda r: None])),
        pick=draw(st.one_of(st.none(), text)),
        badge=draw(st.sampled_from([None, lambda r: r.get("tag")])),
        hidden=draw(st.booleans()),
        sort=draw(st.sampled_from([None, lambda r: r.get("s")])),
    )
    return col, values_for[fmt]


@st.composite
def table(draw):
    cols = draw(st.lists(column(), min_size=1, max_size=4))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        # Every column of a row reads "a" or "b": one row holds values of the first column's kind.
        kind = cols[0][1]
        rows.append({"a": draw(kind), "b": draw(kind), "s": draw(number),
                     "href": draw(st.one_of(st.none(), text, st.just("https://crm.example/x?a=1&b=<2>"))),
                     "tag": draw(st.one_of(st.none(), text))})
    same_kind = [c for c, kind in cols if kind is cols[0][1]]
    return same_kind, rows


@settings(max_examples=400, deadline=None)
@given(table(), st.sampled_from(["", "../", "../../../"]), st.sampled_from(["$", "<b>€</b>", "CHF "]))
def test_a_table_is_the_same_html_as_cell_by_cell(spec, root, currency):
    cols, rows = spec
    fmt = Fmt(currency)
    got = Tables(fmt)(rows, cols, root=root)
    head = "".join(_ref_header(c, root) for c in cols)
    body = "\n".join("<tr>" + "".join(_ref_cell(fmt, c, r, root) for c in cols) + "</tr>" for r in rows)
    assert got.startswith(f'<div class="table-wrap"><table class="sortable "><thead><tr>{head}</tr></thead>'
                          f"<tbody>\n{body}\n</tbody></table></div>")


def test_a_header_label_given_as_markup_is_not_escaped_and_as_text_is():
    """Headers are made once per distinct label: the same characters as Markup and as text are still two."""
    tables = Tables(Fmt())
    as_text = tables([], [Col("a & b", "x")])
    as_markup = tables([], [Col(Markup("a &amp; b"), "x")])
    assert "<th>a &amp; b</th>" in as_text and "<th>a &amp; b</th>" in as_markup
    assert "<th>a &amp;amp; b</th>" in tables([], [Col("a &amp; b", "x")])
