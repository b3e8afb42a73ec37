"""The Jinja environment the page templates render in, and the small functions they call.

Filters format values (pipelines.formatting), `table(...)` and `col(...)` lay out tables
(pipelines.html_tables), `chart(...)` embeds a chart or says why there is none, and the cell
helpers turn a mart row into what a table cell shows (who owns it, where it links). None of them
computes a metric: every figure arrives from a mart.
"""

from __future__ import annotations

import functools
import types
from pathlib import Path
from urllib.parse import quote

import jinja2
import jinja2.compiler
import jinja2.runtime
from markupsafe import Markup, escape

from pipelines import blocks, charts
from pipelines.formatting import Fmt, finalize, finalize_text, plain_title
from pipelines.html_tables import Tables, col
from pipelines.page_data import EVENT_LABELS  # noqa: F401 (event_label below)
from pipelines.slugs import rep_slug, team_slug
from pipelines.template_cache import TemplateCache

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Tables and charts are kept out of Markdown's way (see pipelines.blocks).
_PAGE_BLOCKS: list[str] = []


def _block(html) -> Markup:
    _PAGE_BLOCKS.append(str(html))
    return Markup(blocks.placeholder(len(_PAGE_BLOCKS) - 1))


def render_page(template: jinja2.Template, **context) -> str:
    """Render one page; its tables and charts travel in a closing comment (pipelines.blocks)."""
    return blocks.attach(*render_parts(template, **context))


def render_parts(template: jinja2.Template, **context) -> tuple[str, list[str]]:
    """One page's Markdown and its blocks, apart: a pack keeps them apart (`pipelines.page_packs`), so the
    blocks are never written as JSON only to be read back from it."""
    _PAGE_BLOCKS.clear()
    try:
        return template.render(**context), list(_PAGE_BLOCKS)
    finally:
        _PAGE_BLOCKS.clear()


def root_of(rel: str) -> str:
    """The path from a page back to the site root: docs `a/b/index.md` is served at a/b/, `a.md` at a/."""
    parts = rel.split("/")
    depth = len(parts) - 1 if parts[-1] == "index.md" else len(parts)
    return "../" * depth


@jinja2.pass_context
def _rep_href(ctx, rep_id: str) -> str:
    return f"{ctx.get('root', '')}reps/{rep_slug(rep_id)}/"


@jinja2.pass_context
def _team_href(ctx, team: str) -> str:
    return f"{ctx.get('root', '')}teams/{team_slug(team)}/"


@jinja2.pass_context
def _term(ctx, metric: str, label: str | None = None) -> Markup:
    """A metric's name, linked to its glossary entry."""
    text = label or (ctx.get("metric_labels") or {}).get(metric) or metric.replace("_", " ")
    return Markup(f'<a class="term" href="{ctx.get("root", "")}glossary/#{escape(metric)}">{escape(text)}</a>')


@jinja2.pass_context
def _kpi(ctx, label, value, note="", metric=None) -> Markup:
    """One figure of a row of KPIs: its label (linked to the glossary when it names a metric), value and note.

    Python rather than a macro: a rep page has twenty of them, and a Jinja macro call costs more than the figure.
    """
    shown = _term(ctx, metric, label) if metric else finalize(label)
    note = f'<span class="kpi-note">{finalize(note)}</span>' if note else ""
    return Markup(f'<div class="kpi"><span class="kpi-label">{shown}</span>'
                  f'<span class="kpi-value">{finalize(value)}</span>{note}</div>')


@jinja2.pass_context
def _period_label(ctx, period):
    """`period|period_label`: how the page names a fiscal quarter (its `period_labels`), else the period itself."""
    return (ctx.get("period_labels") or {}).get(period, period)


def _grade_badge(grade) -> Markup:
    if grade is None:
        return Markup('<span class="grade grade-none" title="no data">–</span>')
    return Markup(f'<span class="grade grade-{finalize(grade)}">{finalize(grade)}</span>')


# The badges of the grades there are, made once: a rep and coaching page show thirty.
_GRADE_BADGES = {grade: _grade_badge(grade) for grade in (1, 2, 3, 4, 5)}


def grade_badge(grade) -> Markup:
    """A grade (1 to 5) as its coloured badge; no grade is a dash."""
    if type(grade) is int and grade in _GRADE_BADGES:  # not a float or bool that equals one: those read otherwise
        return _GRADE_BADGES[grade]
    return _grade_badge(grade)


_HIDDEN_GRADE = Markup("hidden")  # as a table cell privacy hides reads


def grades_table(fmt: Fmt):
    """`grades_table(grades, grades_prev, previous)` for templates: a scorecard's dimensions, with each one's grade,
    ratio to plan and grade in the previous quarter, as a block. Python for the same reason as `kpi`."""
    def ratio(g: dict) -> Markup:
        if g.get("hidden"):
            return _HIDDEN_GRADE
        if g["ratio"] is None and g["note"]:  # no grade, or a Results grade its lower bound earns (no ratio then)
            return Markup(f'<span class="no-data">{finalize(g["note"])}</span>')
        return finalize(fmt.pct(g["ratio"]))

    def row(g: dict, grades_prev: dict) -> str:
        """One dimension's row; its grade now and in the previous quarter both "hidden" when privacy hides it."""
        if g.get("hidden"):
            now = prev = _HIDDEN_GRADE
        else:
            now, prev = grade_badge(g["grade"]), grade_badge(grades_prev.get(g["key"]))
        return (f"<tr><td>{finalize(g['label'])}</td><td>{now}</td><td>{ratio(g)}</td>"
                f"<td>{prev}</td><td>{finalize(g['how'])}</td></tr>\n")

    @jinja2.pass_context
    def table(ctx, grades: list[dict], grades_prev: dict, previous: str | None) -> Markup:
        head = _period_label(ctx, previous) if previous else "Previous"
        rows = "".join(row(g, grades_prev) for g in grades)
        return _block('<div class="table-wrap"><table class="grades">\n<thead><tr><th>Dimension</th><th>Grade</th>'
                      f'<th>Ratio to plan</th><th>{finalize(head)}</th><th>How it is measured</th></tr></thead>\n'
                      f"<tbody>\n{rows}</tbody></table></div>\n")
    return table


def figure_helpers(fmt: Fmt) -> dict:
    """`amount(v, hide)`, `coverage_value(r)`, `coverage_note(r, target, level)`, `attainment_note(r)`,
    `gap_note(r)` and `unpriced_wins(r)` for templates: an amount (or "hidden", for privacy), a scorecard row's
    coverage ("quota met" once the quota is), the notes under its coverage, attainment and gap, and its won
    deals without an amount. Python for the same reason as `kpi`: a rep page
    shows a dozen amounts."""
    def amount(v, hide=False) -> Markup:
        return finalize("hidden" if hide else fmt.money(v))

    def coverage_value(r: dict | None) -> Markup:
        if r and r["quota_met"]:
            return Markup("quota met")
        return finalize(fmt.times(r["pipeline_coverage"]) if r else None)

    def unpriced_wins(r: dict | None) -> str:
        """Why a won amount is only a lower bound, and a gap or coverage not known: "2 won deals without an amount"
        ("" when every win has one). Beside the figures it explains, so that "no data" never reads as 0."""
        n = (r or {}).get("won_deals_without_amount") or 0
        return f"{n:,} won deal{'' if n == 1 else 's'} without an amount" if n else ""

    def attainment_note(r: dict) -> str:
        """The note under an attainment figure: the share expected by now, after "at least: 1 won deal without an
        amount" when unpriced wins make the figure a lower bound. Plain text: `kpi` escapes it."""
        why = unpriced_wins(r)
        lower = f"at least: {why} · " if why and r["attainment"] is not None else ""
        return f"{lower}{fmt.pct(r['expected_share'])} expected by now"

    def gap_note(r: dict) -> str | None:
        """Why a gap to quota is no data when unpriced wins leave it unknown (None otherwise: no note)."""
        why = unpriced_wins(r)
        return f"not known: {why}" if r["gap_to_quota"] is None and why and r["quota"] else None

    def coverage_note(r: dict | None, target, level: str = "rep") -> Markup:
        """The note under a coverage figure: its target; for a team or the org, how many reps are under their own
        (per-role) targets; and when the figure is no data, why (no quota to cover, or wins without an amount
        leave what is still to close unknown), so that neither reads as a count of 0 or a coverage of nothing."""
        t = Markup("target ") + finalize(fmt.times(target))
        if level == "rep":
            why = unpriced_wins(r)
        else:  # the reps whose quota still to close is not known, not every win without an amount
            k = (r or {}).get("reps_to_close_unknown") or 0
            why = f"{k:,} rep{' has' if k == 1 else 's have'} won deals without an amount" if k else ""
        if r and (r["pipeline_coverage"] is not None or r["quota_met"]):
            if level == "rep":
                return t
            n = r.get("reps_under_coverage_target")
            if n is None:
                count = Markup("reps under their coverage target not known: ") + why
            else:
                count = finalize(fmt.num(n)) + Markup(f" rep{'' if n == 1 else 's'} under their coverage target")
            return count if level == "team" else t + "; " + count
        if not (r and r["quota"]):
            return t + "; no quota to cover"
        return t + ("; not known: " + why if why else "")
    return dict(amount=amount, coverage_value=coverage_value, unpriced_wins=unpriced_wins,
                attainment_note=attainment_note, gap_note=gap_note, coverage_note=coverage_note)


def crm_link(template: str | None, key: str):
    """row -> the CRM address of its deal or account (None when not configured or the row has no id)."""
    def href(row: dict) -> str | None:
        value = row.get(key)
        return template.replace("{" + key + "}", quote(str(value), safe="")) if template and value else None
    return href


METRIC_FORMATS = {"pipeline_coverage": "times", "avg_cycle_days": "days", "activities_per_week": "num"}


def cell_helpers(fmt: Fmt, names: dict[str, str], labels: dict[str, str], selling_threshold: float,
                 teams: set[str]) -> dict:
    """Row -> cell functions the templates' tables use: who owns a row, where it links, mixed-metric values.

    `names` and `teams` are the people and teams of this site (an audience's scope): a link to anyone or any
    team outside it is never made, and nobody outside it is ever named.
    """
    def value(metric: str, v):
        return getattr(fmt, METRIC_FORMATS.get(metric, "pct"))(v)

    def team_alerts(t: dict) -> Markup:
        parts = [f"{labels.get(a['metric'], a['metric'])} {fmt.pct(a['deviation'])}" for a in t["alerts"]]
        return Markup(escape(", ".join(parts) or "none"))

    def manager_share(t: dict) -> Markup:
        share = (t.get("selling") or {}).get("manager_share")
        if share is None:
            return finalize(None)
        flag = f' <span class="tag">above {fmt.pct(selling_threshold)}</span>' if t["selling"]["is_flagged"] else ""
        return Markup(f"{escape(fmt.pct(share))}{flag}")

    def coverage_cell(r: dict) -> Markup:
        text = "quota met" if r.get("quota_met") else fmt.times(r.get("pipeline_coverage"))
        return Markup(escape(text)) if text is not None else finalize(None)

    return dict(
        rep_path=lambda r: f"reps/{rep_slug(r['rep_id'])}/" if r.get("rep_id") in names else None,
        team_path=lambda r: f"teams/{team_slug(r['team'])}/" if r.get("team") in teams else None,
        owner_name=lambda r: names.get(r["rep_id"], "(not on this site)"),
        alert_who=lambda a: names.get(a["rep_id"], "(not on this site)") if a.get("rep_id") else "the team",
        alert_link=lambda a: f"reps/{rep_slug(a['rep_id'])}/" if a.get("rep_id") else None,
        coverage_cell=coverage_cell,
        # "quota met" sorts above every coverage, "no data" below
        coverage_sort=lambda r: 1e9 if r.get("quota_met") else r.get("pipeline_coverage"),
        alert_metric=lambda a: Markup(escape(labels.get(a["metric"], a["metric"].replace("_", " ")))),
        alert_actual=lambda a: finalize(value(a["metric"], a["actual"])),
        alert_target=lambda a: finalize(value(a["metric"], a["target"])),
        metric_value=lambda metric, v: finalize(value(metric, v)),
        departed=lambda r: None if r.get("is_active", True) else "left",
        rep_badge=lambda r: "left" if not r.get("is_active", True) else ("ramping" if r.get("is_ramping") else None),
        ramping_badge=lambda r: "ramping" if r.get("is_ramping") else None,
        event_label=lambda r: EVENT_LABELS.get(r["event"], r["event"]),
        given_cell=lambda e: Markup("yes") if e["is_present"] else Markup(
            '<span class="no-data">no: what needs it shows no data</span>'),
        must_be_mapped=lambda c: "yes" if c["required"] else "no",
        forecast_column_label=lambda d: d["forecast_column"].replace("_", " "),
        movement_label=lambda d: d["movement"].replace("_", " "),
        accuracy_cell=lambda f: finalize(fmt.pct(f["accuracy"])) if f["accuracy"] is not None or not f.get("accuracy_note")
        else Markup(f'<span class="no-data">{escape(f["accuracy_note"])}</span>'),
        accuracy_sort=lambda f: f["accuracy"],
        forecast_source_label=lambda f: {"crm": "CRM forecast", "call": "call"}.get(f.get("forecast_source"),
                                                                                 f.get("forecast_source")),
        submitted_day=lambda c: c["submitted_at"].date() if c.get("submitted_at") else None,
        submitted_day_rollup=lambda r: r["call_submitted_at"].date() if r.get("call_submitted_at") else None,
        scored_cell=lambda c: "yes" if c.get("is_checkpoint_call") else "",
        standing_cell=lambda c: "stale" if c.get("is_stale") else ("yes" if c.get("is_latest_call") else ""),
        team_alert_list=team_alerts,
        manager_share_cell=manager_share,
        people_with_alerts=lambda t: t.get("people_with_alerts"),  # the count the audience may see (team_list)
    )


def _table_global(tables: Tables):
    """`table(rows, cols, ...)` for templates: a block (pipelines.blocks), or with inline=True plain HTML
    for a table that sits inside a block of its own (blocks do not nest)."""
    def table(ctx, rows, cols, inline: bool = False, **kw):
        html = tables(rows, cols, root=ctx.get("root", ""), **kw)
        return html if inline else _block(html)
    return table


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, writing `{{ value }}` as `finalize_text(value)` instead of `escape(finalize(value))`.

    `finalize` (pipelines.formatting) escapes every value itself and always returns Markup, which
    markupsafe's escape gives back as an equal copy: a second call, and a second string, for each of
    the million values a large org's pages show, that changed no byte. `finalize_text` escapes the same
    way and leaves plain text a str, which is all a template's output needs (its Markup was only for escape).
    """

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src == "environment.finalize(":
            self.write("(environment.finalize_text(")  # _output_child_post closes both
        else:
            super()._output_child_pre(node, frame, finalize)


# What templates call: functions, bound methods, builtins and macros. None of these types has a __call__ that
# takes a context (Jinja's first check), so a call of one needs only the callable's own jinja_pass_arg.
_PLAIN_CALLABLES = frozenset({types.FunctionType, types.MethodType, types.BuiltinFunctionType, jinja2.runtime.Macro})
_PASS_CONTEXT = jinja2.pass_context(lambda ctx: None).jinja_pass_arg  # what @pass_context marks a function with


class _Context(jinja2.runtime.Context):
    """Jinja's template context, calling a plain function or macro with fewer checks.

    Every call in a template goes through `Context.call`, which asks each callable twice whether it takes
    the context (a failed attribute look-up each); a rep page and its coaching page make about 140 calls.
    The calls Jinja makes from inside a loop or block (they carry `_loop_vars` or `_block_vars`) and any
    other kind of callable go Jinja's own way.
    """

    def call(__self, __obj, *args, **kwargs):
        if type(__obj) not in _PLAIN_CALLABLES or "_loop_vars" in kwargs or "_block_vars" in kwargs:
            return super().call(__obj, *args, **kwargs)
        pass_arg = getattr(__obj, "jinja_pass_arg", None)
        if pass_arg is _PASS_CONTEXT:
            args = (__self, *args)
        elif pass_arg is not None:  # the environment or the evaluation context
            return super().call(__obj, *args, **kwargs)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja answers it
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


class _Environment(jinja2.Environment):
    """Jinja, reading `row.name` from a plain dict by key without first asking the dict for an attribute.

    Pages read a million mart fields as `row.name`; Jinja tries getattr(row, "name") first, which raises and
    catches an AttributeError each time. A plain dict has no attributes but dict's own (`row.get`, `row.items`),
    so looking a name that is not one of those up as a key gives what Jinja gives, sooner.
    """

    code_generator_class = _CodeGenerator
    context_class = _Context
    finalize_text = staticmethod(finalize_text)  # what the code generator's `{{ value }}` calls

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass  # Jinja's own look-up makes the (strict) undefined
        return super().getattr(obj, attribute)


def _at_render(f):
    """A filter Jinja never calls while it compiles.

    Jinja computes a filter of constants into a template's code (`{{ 1234|money }}` becomes '$1.2k'), and the
    code is kept between builds and orgs (pipelines.template_cache): the project's filters know the org's
    currency, or have effects (`block`), so they must run when the page renders. Jinja calls early only a
    filter that does not take the context.
    """
    if getattr(f, "jinja_pass_arg", None) is not None:
        return f

    @jinja2.pass_context
    @functools.wraps(f)
    def at_render(_context, *args, **kwargs):
        return f(*args, **kwargs)

    return at_render


def environment(fmt: Fmt, chart_timing: charts.Timing | None = None,
                template_cache: Path | None = None) -> jinja2.Environment:
    """The page templates' environment; charts drawn through it are timed on `chart_timing`, and the templates'
    compiled code is kept in the `template_cache` folder between builds (`pipelines.template_cache`)."""
    timing = chart_timing if chart_timing is not None else charts.Timing()
    tables = Tables(fmt)
    env = _Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "pages"),
        finalize=finalize,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates do not change during a build: no stat of a template file at each import of its macros
        # (twice per rep page).
        auto_reload=False,
    )
    ours = dict(fmt.filters(), page_title=lambda v: Markup(plain_title(v)), rep_slug=rep_slug, team_slug=team_slug,
                block=_block)
    env.filters.update({name: _at_render(f) for name, f in ours.items()})
    env.globals["currency_code"] = fmt.code
    env.globals["chart"] = lambda kind, values, title, desc, empty=None: (
        _block(timing.figure(kind, values, title, desc)) if values or empty is None
        else Markup(f'<p class="no-data">{escape(title)}: no data because {escape(empty)}.</p>')
    )
    env.globals.update(col=col, rep_href=_rep_href, team_href=_team_href, term=_term, kpi=_kpi,
                       grade_badge=grade_badge, grades_table=grades_table(fmt), **figure_helpers(fmt),
                       anchor=lambda name: Markup("{#" + str(escape(name)) + "}"),
                       table=jinja2.pass_context(_table_global(tables)))
    env.filters["period_label"] = _period_label
    if template_cache is not None:
        env.bytecode_cache = TemplateCache.at(template_cache, env)
    return env


