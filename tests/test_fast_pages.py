"""The fast paths of the pages stage give the bytes the plain ones gave.

Tables settle each column's format, link, badge and sort once per table and lay out a column at a time
(pipelines.html_tables); the KPI, grade badge, grades table, amount and coverage value are Python helpers rather
than Jinja macros (pipelines.page_env); finalize takes
text straight to its escaping; `row.name` reads a dict's key first. Each is checked against the code it
replaced, kept below as the reference, on hostile text, missing values and every column option.
"""

from __future__ import annotations

import datetime as dt
import math

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from pipelines.formatting import _ESCAPES, _TO_ESCAPE, NO_DATA, Fmt, finalize, finalize_text, md_escape
from pipelines.html_tables import NUMERIC, Col, Tables, col
from pipelines.page_env import environment, render_page

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


def test_a_table_of_more_than_big_rows_is_marked_big_and_otherwise_the_same(monkeypatch):
    """Past html_tables.BIG_ROWS rows the wrap says "big" (scorecards.css lays it out once, after tables.js);
    nothing else about the table changes."""
    from pipelines import html_tables

    monkeypatch.setattr(html_tables, "BIG_ROWS", 2)
    cols = [col("Rep", "name")]
    at = Tables(Fmt())([{"name": "a"}, {"name": "b"}], cols)
    past = Tables(Fmt())([{"name": "a"}, {"name": "b"}, {"name": "c"}], cols)
    assert at.startswith('<div class="table-wrap"><table') and past.startswith('<div class="table-wrap big"><table')
    assert str(past).replace(' big"', '"', 1).replace("\n<tr><td>c</td></tr>", "") == str(at)


def test_col_makes_each_column_once_and_the_same_as_col_would():
    """`col(...)` is cached: the same arguments give the same Col (an immutable one), equal to one made anew;
    text and Markup, False and 0, and a different link function are different columns."""
    def link(r):
        return r.get("href")

    first = col("a & b", "x", "money", link=link, glossary="won_amount")
    assert first is col("a & b", "x", "money", link=link, glossary="won_amount")
    assert first == Col("a & b", "x", "money", glossary="won_amount", link=link)
    assert type(col(Markup("a & b"), "x").label) is Markup and type(col("a & b", "x").label) is str
    assert type(col("l", "x", glossary=Markup("g")).glossary) is Markup
    assert type(col("l", "x", glossary="g").glossary) is str
    assert col("l", "x", hidden=0).hidden is not col("l", "x", hidden=False).hidden
    assert col("l", "x", link=lambda r: None).link is not col("l", "x", link=lambda r: None).link


def test_a_header_label_given_as_markup_is_not_escaped_and_as_text_is():
    """Headers are made once per distinct label: the same characters as Markup and as text are still two."""
    tables = Tables(Fmt())
    as_text = tables([], [Col("a & b", "x")])
    as_markup = tables([], [Col(Markup("a &amp; b"), "x")])
    assert "<th>a &amp; b</th>" in as_text and "<th>a &amp; b</th>" in as_markup
    assert "<th>a &amp;amp; b</th>" in tables([], [Col("a &amp; b", "x")])


# --- the KPI, grade badge and grades table: Python helpers against the macros they replaced -----------------

# The macros as they were, named old_*.
OLD = """
{% macro old_kpi(label, value, note='', metric=None) -%}
<div class="kpi"><span class="kpi-label">{% if metric %}{{ term(metric, label) }}{% else %}{{ label }}{% endif %}</span><span class="kpi-value">{{ value }}</span>{% if note %}<span class="kpi-note">{{ note }}</span>{% endif %}</div>
{%- endmacro %}
{% macro old_grade_badge(grade) -%}
{% if grade is none %}<span class="grade grade-none" title="no data">–</span>{% else %}<span class="grade grade-{{ grade }}">{{ grade }}</span>{% endif %}
{%- endmacro %}
{% macro old_grades_table(grades, grades_prev, previous) -%}
{% filter block %}
<div class="table-wrap"><table class="grades">
<thead><tr><th>Dimension</th><th>Grade</th><th>Ratio to plan</th><th>{{ previous|period_label if previous else "Previous" }}</th><th>How it is measured</th></tr></thead>
<tbody>
{% for g in grades %}
<tr><td>{{ g.label }}</td><td>{{ old_grade_badge(g.grade) }}</td><td>{% if g.ratio is none and g.note %}<span class="no-data">{{ g.note }}</span>{% else %}{{ g.ratio|pct }}{% endif %}</td><td>{{ old_grade_badge(grades_prev.get(g.key)) }}</td><td>{{ g.how }}</td></tr>
{% endfor %}
</tbody></table></div>
{% endfilter %}
{%- endmacro %}
"""


def _new_and_old(page: str, **context) -> tuple[str, str]:
    """`page` as a whole page (its blocks attached) with the helpers, and with the old macros in their place."""
    env = environment(Fmt())
    old = OLD.lstrip() + page.replace("kpi(", "old_kpi(").replace("grade_badge(", "old_grade_badge(").replace(
        "grades_table(", "old_grades_table(")
    return (render_page(env.from_string(page), **context), render_page(env.from_string(old), **context))


kpi_value = st.one_of(st.none(), st.just(math.nan), text, text.map(Markup), st.integers(), st.floats())


@settings(max_examples=200, deadline=None)
@given(label=text, value=kpi_value, note=st.one_of(st.just(""), kpi_value),
       metric=st.one_of(st.none(), st.sampled_from(["win_rate", "a&b", "<x>"])))
def test_kpi_is_the_macro(label, value, note, metric):
    new, old = _new_and_old("{{ kpi(label, value, note, metric=metric) }}|{{ kpi(label, value) }}",
                            label=label, value=value, note=note, metric=metric, root="../",
                            metric_labels={"win_rate": "Win <rate>"})
    assert new == old


# Grades are 1 to 5 (made once each); a float, bool or Decimal equal to one must read as it did, not as the int.
grade = st.one_of(st.none(), st.integers(0, 6), st.just(math.nan), st.floats(1, 5), st.sampled_from([1.0, -0.0, 0.0]),
                  st.booleans(), st.decimals(1, 5, places=1))


@st.composite
def graded(draw) -> list[dict]:
    return [{"key": k, "label": draw(text), "how": draw(text), "grade": draw(grade),
             "ratio": draw(st.one_of(st.none(), st.floats(0, 3))), "note": draw(st.one_of(st.none(), text))}
            for k in draw(st.lists(st.sampled_from(["results", "pipeline", "cycle"]), max_size=3))]


@settings(max_examples=200, deadline=None)
@given(grades=graded(), prev=st.dictionaries(st.sampled_from(["results", "pipeline", "x"]), grade),
       previous=st.one_of(st.none(), st.sampled_from(["2026-Q1", "2026-Q2", "<q>"])), one=grade)
def test_grades_table_and_badge_are_the_macros(grades, prev, previous, one):
    new, old = _new_and_old("{{ grade_badge(one) }}\n{{ grades_table(grades, prev, previous) }}\nafter",
                            one=one, grades=grades, prev=prev, previous=previous,
                            period_labels={"2026-Q1": "FY2026 Q1 & <b>"})
    assert new == old


# --- amount and coverage_value: Python helpers against the macros they replaced --------------------------------

OLD_FIGURES = """
{% macro old_amount(v, hide=False) -%}
{{ "hidden" if hide else v|money }}
{%- endmacro %}
{% macro old_coverage_value(r) -%}
{% if r and r.quota_met %}quota met{% elif r %}{{ r.pipeline_coverage|times }}{% else %}{{ None }}{% endif %}
{%- endmacro %}
"""
amount_value = st.one_of(st.none(), st.integers(-10**10, 10**10), st.floats(-1e12, 1e12),
                         st.decimals(-10**9, 10**9, places=2))
# A scorecard row, as every page passes one (each call sits under `{% if now %}`). Without one the macro's
# `{{ None }}` read "None": Jinja folded the constant at compile time, before finalize; the helper says "no data".
scorecard_row = st.fixed_dictionaries({"quota_met": st.one_of(st.none(), st.booleans()),
                                       "pipeline_coverage": amount_value})


@settings(max_examples=300, deadline=None)
@given(v=amount_value, hide=st.booleans(), row=scorecard_row, currency=st.sampled_from(["$", "<b>€</b>", "CHF "]))
def test_amount_and_coverage_value_are_the_macros(v, hide, row, currency):
    """Alone, in a KPI and joined to text with `~` (which escapes the text beside Markup, not the Markup)."""
    page = ('{{ amount(v, hide) }}|{{ amount(v) }}|{{ kpi("Won", amount(v, hide), amount(v) ~ " in <them>") }}|'
            '{{ coverage_value(row) }}|{{ kpi("Coverage", coverage_value(row), "x") }}|{{ coverage_value(row) ~ "&" }}')
    env = environment(Fmt(currency))
    old = OLD_FIGURES.lstrip() + page.replace("amount(", "old_amount(").replace("coverage_value(",
                                                                            "old_coverage_value(")
    context = dict(v=v, hide=hide, row=row)
    assert render_page(env.from_string(page), **context) == render_page(env.from_string(old), **context)


def test_coverage_value_without_a_row_is_no_data():
    assert environment(Fmt()).globals["coverage_value"](None) == NO_DATA


# --- finalize, the last step of every `{{ value }}` ----------------------------------------------------------

@given(st.one_of(text, text.map(Markup), st.none(), st.just(math.nan), st.integers(), st.floats(), st.dates()))
def test_finalize_of_text_takes_a_short_cut_to_the_same_escaping(value):
    """Text goes straight to md_escape's character references; everything else the way it always went."""
    expected = NO_DATA if value is None or (isinstance(value, float) and math.isnan(value)) else md_escape(value)
    got = finalize(value)
    assert got == expected and type(got) is Markup


@given(st.one_of(text, text.map(Markup), st.none(), st.just(math.nan), st.integers(), st.floats(), st.dates(),
                 st.text(alphabet=st.characters(codec="utf-8"))))
def test_finalize_text_is_finalize_in_characters(value):
    """What a template's own `{{ value }}` calls: finalize's characters, text that needs no escaping as it is."""
    assert str(finalize_text(value)) == str(finalize(value))
    if type(value) is str:
        assert type(finalize_text(value)) is str


def test_the_escaping_short_cut_knows_every_character_it_may_skip():
    """_TO_ESCAPE matches exactly the characters md_escape changes, so text it finds nothing in is already escaped."""
    for code in range(0x11000):
        c = chr(code)
        assert (_TO_ESCAPE.search(c) is None) == (c.translate(_ESCAPES) == c), repr(c)


# --- `row.name` on a plain dict ---------------------------------------------------------------------------

def test_a_dict_field_reads_as_in_plain_jinja():
    """Keys first only where Jinja would find no attribute: `row.items` is still dict.items, a missing key is
    still the strict undefined (an error), and a dict subclass is left to Jinja."""
    class Sub(dict):
        label = "attribute"

    page = "{{ row.label }} {{ row.items is callable }} {{ row.get('label') }} {{ sub.label }}"
    context = dict(row={"label": "<key>", "items": "shadowed"}, sub=Sub(label="key"))
    plain = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=finalize)
    assert environment(Fmt()).from_string(page).render(**context) == plain.from_string(page).render(**context)
    assert environment(Fmt()).from_string(page).render(**context) == "&#60;key&#62; True &#60;key&#62; attribute"
    with pytest.raises(jinja2.UndefinedError):
        environment(Fmt()).from_string("{{ row.missing }}").render(row={})


# --- Jinja's compiler and context: `{{ value }}` without a second escape, calls with fewer checks ----------------

def _stock(env: jinja2.Environment) -> jinja2.Environment:
    """The same environment with Jinja's own code generator and context (an instance's attributes win)."""
    env.code_generator_class = jinja2.compiler.CodeGenerator
    env.context_class = jinja2.runtime.Context
    return env


CALLS = """{% macro shout(x) %}<{{ x }}>{% endmacro %}{{ v }}|{{ v ~ "&" }}|{{ shout(v) }}|{{ plain(v) }}|{{ ctx(v) }}|
{{ envf(v) }}|{{ evalf(v) }}|{{ obj(v) }}|{{ obj.method(v) }}|{{ d.get("k", v) }}|{{ stop() is undefined }}|
{% for i in [1, 2] %}{{ ctx(v ~ i) }}{{ shout(i) }}{% endfor %}|{% set block %}{{ ctx(v) }}{% endset %}{{ block }}|
{% filter upper %}{{ v }}{{ ctx(v) }}{% endfilter %}|{% autoescape false %}{{ v }}{{ plain(v) }}{% endautoescape %}|
{{ kpi("Won", v, v, metric="win_rate") }}{{ table([{"a": v}], [col("A", "a")]) }}|{{ term("win_rate") }}|
{% macro wrap(x) %}[{{ caller(x) }}]{% endmacro %}{% call(y) wrap(v) %}{{ y }}{{ ctx(y) }}{% endcall %}"""


class _CallableWithContext:
    @jinja2.pass_context
    def __call__(self, ctx, v):
        return f"{ctx.get('root')}:{v}"

    def method(self, v):
        return f"m{v}"


def _stop():
    raise StopIteration


CALLABLES = dict(
    plain=lambda v: f"<{v}>", ctx=jinja2.pass_context(lambda c, v: f"{c.get('root')}{v}"),
    envf=jinja2.pass_environment(lambda e, v: f"{type(e).__name__}{v}"),
    evalf=jinja2.pass_eval_context(lambda e, v: f"{e.autoescape}{v}"),
    obj=_CallableWithContext(), d={"x": 1}, stop=_stop, root="../",
)


@settings(max_examples=150, deadline=None)
@given(v=st.one_of(text, text.map(Markup), st.none(), st.just(math.nan), st.integers(), st.floats(), st.dates()))
def test_pages_render_as_with_jinjas_own_compiler_and_context(v):
    """Output, macros, every kind of callable Jinja passes something to, calls in loops, blocks, filters and a
    call block (its caller)."""
    ours, stock = environment(Fmt()), _stock(environment(Fmt()))
    assert type(ours.from_string("{{ 1 }}").new_context()) is not jinja2.runtime.Context  # the fast one
    assert render_page(ours.from_string(CALLS), v=v, **CALLABLES) == render_page(stock.from_string(CALLS), v=v,
                                                                                 **CALLABLES)


def test_every_page_template_compiles_to_finalize_without_escape_around_it():
    """Jinja's code for each page template with ours differs only in `escape(environment.finalize(` written as
    `(environment.finalize_text(` (the same characters, plain text left a str)."""
    ours, stock = environment(Fmt()), _stock(environment(Fmt()))
    for name in ours.list_templates():
        source = ours.loader.get_source(ours, name)[0]
        fast, slow = ours.compile(source, name, raw=True), stock.compile(source, name, raw=True)
        assert "escape(environment.finalize(" not in fast
        assert fast == slow.replace("escape(environment.finalize(", "(environment.finalize_text("), name


def test_code_compiled_by_jinjas_own_generator_is_kept_apart_from_ours():
    """The template cache (pipelines.template_cache) names its folder after the code generator too: a cache
    written by a build before this one (or by the theme's stock environment) is never loaded as ours."""
    from pipelines.template_cache import compile_settings

    assert compile_settings(environment(Fmt())) != compile_settings(_stock(environment(Fmt())))
