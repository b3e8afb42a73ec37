"""Stage 4: render the marts into markdown pages, chart specs and CSV downloads.

Pages are rendered by our own Jinja2 step, not by MkDocs plugins, so the site outlives
MkDocs (Zensical reads the same markdown). Every value from the CRM is escaped on its way
out of a template: CRM text is shown as text, never run as HTML, markdown or Jinja.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup

from pipelines import blocks, charts, workers
from pipelines.models import Model
from pipelines.schema import TABLES
from pipelines.settings import Config, iter_settings
from pipelines.sqltext import lit, q

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# One pass, character by character: HTML-significant characters and markdown syntax both
# become numeric character references, which markdown leaves alone and browsers show as text.
_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-!|~:=$"}
_ESCAPES.update({ord("\r"): " ", ord("\n"): " "})


# --- escaping and formatting ------------------------------------------------------------------


def md_escape(value) -> Markup:
    """HTML-escape, then neutralise markdown syntax with character references.

    A deal called `[x](javascript:alert(1))` or `**{{ 7*7 }}**` must reach the reader as
    exactly those characters; entities survive markdown untouched and display as text.
    """
    if isinstance(value, Markup):
        return value
    return Markup(str(value).translate(_ESCAPES))


def plain_title(value) -> str:
    """A page title for front matter: letters kept, markup characters dropped, YAML-quoted."""
    text = re.sub(r"[<>&\"'`{}\[\]|\\*_#]", " ", str(value))
    return json.dumps(re.sub(r"\s+", " ", text).strip()[:80] or "untitled")


def _finalize(value):
    if value is None:
        return Markup('<span class="no-data">no data</span>')
    return md_escape(value)


def rep_slug(rep_id: str) -> str:
    """A URL slug that depends only on rep_id: bookmarks survive name changes and new reps.

    Ids that are already lower-case URL-safe are used as they are; any other id gets a short
    hash of the exact id, so ids differing only in case (Salesforce) never collide.
    """
    base = re.sub(r"[^a-z0-9]+", "-", rep_id.lower()).strip("-")
    if base and base == rep_id:
        return base
    digest = hashlib.sha1(rep_id.encode("utf-8")).hexdigest()[:8]
    return f"{base[:40] or 'rep'}-{digest}"


def team_slug(team: str) -> str:
    """Team names are for people, so case is ignored ("Northeast" -> northeast/); anything else
    that the slug cannot carry (punctuation, non-Latin letters) adds a hash of the exact name."""
    base = re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-")
    if base and base == team.lower():
        return base
    return f"{base[:40] or 'team'}-{hashlib.sha1(team.encode('utf-8')).hexdigest()[:8]}"


@dataclass
class Fmt:
    """Number formatting with the org's currency; None is always 'no data'."""

    currency: str = "$"

    def money(self, v) -> str | None:
        if v is None:
            return None
        v = float(v)
        for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(v) >= div:
                return f"{self.currency}{v / div:,.1f}{suffix}"
        return f"{self.currency}{v:,.0f}"

    @staticmethod
    def pct(v) -> str | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else f"{float(v):.0%}"

    @staticmethod
    def times(v) -> str | None:
        return None if v is None else f"{float(v):.1f}×"

    @staticmethod
    def days(v) -> str | None:
        return None if v is None else f"{float(v):.0f} d"

    @staticmethod
    def num(v) -> str | None:
        return None if v is None else f"{float(v):,.0f}"


# Tables and charts are kept out of Markdown's way (see pipelines.blocks).
_PAGE_BLOCKS: list[str] = []


def _block(html) -> Markup:
    _PAGE_BLOCKS.append(str(html))
    return Markup(blocks.placeholder(len(_PAGE_BLOCKS) - 1))


def render_page(template: jinja2.Template, **context) -> str:
    """Render one page; its tables and charts travel in a closing comment (pipelines.blocks)."""
    _PAGE_BLOCKS.clear()
    text = blocks.attach(template.render(**context), list(_PAGE_BLOCKS))
    _PAGE_BLOCKS.clear()
    return text


def environment(fmt: Fmt, chart_timing: charts.Timing | None = None) -> jinja2.Environment:
    """The page templates' environment; charts drawn through it are timed on `chart_timing`."""
    timing = chart_timing if chart_timing is not None else charts.Timing()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "pages"),
        finalize=_finalize,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(page_title=lambda v: Markup(plain_title(v)), money=fmt.money, pct=fmt.pct, times=fmt.times, days=fmt.days, num=fmt.num,
                       rep_slug=rep_slug, team_slug=team_slug)
    env.filters["block"] = _block
    env.globals["chart"] = lambda kind, values, title, desc: _block(timing.figure(kind, values, title, desc))
    return env


# --- data access ------------------------------------------------------------------------------


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    rel = con.sql(sql)
    cols = rel.columns
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def group_by(items: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        out[it[key]].append(it)
    return out


def _jsonable(rows: list[dict], keys: list[str]) -> list[dict]:
    out = []
    for r in rows:
        d = {}
        for k in keys:
            v = r.get(k)
            d[k] = v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v
        out.append(d)
    return out


@dataclass
class PagesResult:
    """What the pages stage wrote, and where its time went (the build summary reports both)."""

    docs_dir: Path
    rep_pages: int = 0
    team_pages: int = 0
    workers: int = 1  # processes that rendered the rep pages
    chart_calls: int = 0
    # Wall seconds of this stage spent making charts: this process's, plus the workers' divided
    # by how many ran side by side. Measured here, as no outside wrapper can see into the workers.
    chart_seconds: float = 0.0


@dataclass
class Context:
    cfg: Config
    as_of: dt.date
    periods: list[dict]
    current: dict | None
    sources: dict[str, bool]

    @property
    def recent(self) -> list[str]:
        closed_or_current = [p["period"] for p in self.periods if not p["is_future"]]
        return closed_or_current[-self.cfg.site.recent_quarters:]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _hidden_columns(cfg: Config, mart: Model) -> set[str]:
    """Columns kept out of the downloads by privacy settings (emails always, unless published)."""
    hidden = set() if cfg.privacy.publish_emails else {"email"}
    if "rep_id" in mart.unique or "opportunity_id" in mart.unique:
        if cfg.privacy.hide_quotas:
            hidden |= {"quota", "gap_to_quota"}
        if cfg.privacy.hide_amounts:
            hidden |= {c for c in mart.columns if "amount" in c or ("pipeline" in c and "coverage" not in c)}
    return hidden


def _export_csvs(con, cfg: Config, marts: list[Model], data_dir: Path) -> None:
    """Every mart as a CSV download, plus marts.json (grain and columns) for `pipelines diff`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for mart in marts:
        hidden = _hidden_columns(cfg, mart)
        rel = con.sql(f"select * from {mart.name}")
        cols = [c for c in rel.columns if c not in hidden]
        types = dict(zip(rel.columns, (str(t) for t in rel.types)))
        # CRM text that starts like a formula (= + - @) gets a leading ' so spreadsheets show it as text.
        select = [
            f"case when regexp_matches({q(c)}, '^[=+@\\t\\r-]') then '''' || {q(c)} else {q(c)} end as {q(c)}"
            if types[c] == "VARCHAR"
            else q(c)
            for c in cols
        ]
        order = ", ".join(mart.unique) if mart.unique else "all"
        con.execute(
            f"copy (select {', '.join(select)} from {mart.name} order by {order}) "
            f"to {lit(str(data_dir / (mart.name + '.csv')))} (header, delimiter ',')"
        )
        manifest[mart.name] = {"unique": mart.unique, "columns": cols, "grain": mart.grain}
    (data_dir / "marts.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")


DIMENSIONS = [
    ("results", "Results", "attainment (projected this quarter) against 100%"),
    ("pipeline", "Pipeline", "coverage against the coverage target"),
    ("conversion", "Conversion", "win rate against the win-rate target"),
    ("cycle", "Cycle time", "target cycle days ÷ actual cycle days"),
    ("activity", "Activity", "activities a week against plan"),
    ("discipline", "CRM discipline", "share of clean open deals against target"),
    ("forecast", "Forecast", "forecast accuracy against target"),
]
EVENT_LABELS = {
    "created": "created", "won": "won", "lost": "lost", "pushed_out": "slipped to a later quarter",
    "pulled_in": "pulled into an earlier quarter", "advanced": "moved forward a stage",
    "went_back": "moved back a stage", "amount_up": "amount raised", "amount_down": "amount cut",
}


@dataclass
class Bundle:
    """Every mart the pages need, fetched once and grouped by rep or team (no per-page queries)."""

    directory: list[dict]
    people: dict[str, dict]
    by_rep: dict[str, dict[str, list[dict]]]
    by_team: dict[str, dict[str, list[dict]]]
    org: dict[str, list[dict]]


REP_MARTS = {
    "scorecard": "select * from rep_scorecard order by rep_id, period_start",
    "pipeline": "select * from rep_pipeline_by_stage order by rep_id, stage_order",
    "activity": "select * from rep_activity_weekly order by rep_id, week_start",
    "vs_plan": "select * from rep_activity_vs_plan order by rep_id, week_start",
    "flow": "select * from rep_flow order by rep_id, window_start",
    "stuck": "select * from rep_stuck_deals order by rep_id, days_in_stage desc, opportunity_id",
    "hygiene": "select * from rep_hygiene",
    "hygiene_deals": "select * from rep_hygiene_deals order by rep_id, problems desc, amount desc nulls last",
    "alerts": "select * from rep_alerts order by rep_id, is_worse desc, deviation",
    "grades": "select * from rep_balanced_scorecard order by rep_id, period",
    "forecast": "select * from rep_forecast_accuracy order by rep_id, period",
    "velocity": "select * from rep_velocity",
    "targets": "select * from rep_targets",
    "events": "select * from rep_deal_events order by rep_id, event_date desc, opportunity_id",
    "ramp": "select * from rep_ramp where is_complete order by rep_id, month_since_hire",
    "quarantine": 'select * from quarantine where owner_id is not null order by "table", file, "row"',
}
TEAM_MARTS = {
    "scorecard": "select * from team_scorecard order by team, period_start",
    "flow": "select * from team_flow order by team, window_start",
    "alerts": "select * from team_alerts order by team, is_worse desc, deviation",
    "selling": "select * from team_manager_selling order by team, period",
    "forecast": "select * from team_forecast_accuracy order by team, period",
}
ORG_MARTS = {
    "scorecard": "select * from org_scorecard order by period_start",
    "flow": """select period, min(window_start) as window_start, max(window_end) as window_end,
        sum(opening_pipeline) as opening_pipeline, sum(created) as created, sum(pulled_in) as pulled_in,
        sum(other_in) as other_in, sum(amount_up) as amount_up, sum(amount_down) as amount_down,
        sum(won) as won, sum(lost) as lost, sum(pushed_out) as pushed_out, sum(other_out) as other_out,
        sum(closing_pipeline) as closing_pipeline from team_flow group by period order by window_start""",
    "pareto": "select * from org_pareto order by period",
    "buckets": "select * from rep_attainment_distribution order by period, bucket_order",
    "ramp_curve": "select * from org_ramp_curve order by month_since_hire",
    "funnel": "select * from rep_stage_funnel where is_org order by period, stage_order",
    "quarantine_counts": 'select "table", reason, action, count(*) as n from quarantine group by all order by "table", n desc',
    "quarantine_sample": 'select * from quarantine order by "table", file, "row" limit 200',
    "notes": 'select "table", note from extract_notes order by all',
}


def load_bundle(con: duckdb.DuckDBPyConnection) -> Bundle:
    directory = fetch(con, "select * from rep_directory order by team, name, rep_id")
    by_rep: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for key, sql in REP_MARTS.items():
        owner = "owner_id" if key == "quarantine" else "rep_id"
        for row in fetch(con, sql):
            by_rep[row[owner]][key].append(row)
    by_team: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for key, sql in TEAM_MARTS.items():
        for row in fetch(con, sql):
            by_team[row["team"]][key].append(row)
    org = {key: fetch(con, sql) for key, sql in ORG_MARTS.items()}
    return Bundle(directory, {p["rep_id"]: p for p in directory}, by_rep, by_team, org)


def _period_row(rows: list[dict], period: str | None) -> dict | None:
    return next((r for r in rows if r.get("period") == period), None)


def _grades(row: dict | None) -> list[dict]:
    if not row:
        return []
    return [
        {"key": k, "label": label, "how": how, "grade": row.get(f"{k}_grade"), "ratio": row.get(f"{k}_ratio")}
        for k, label, how in DIMENSIONS
    ]


def _top_share(values: list[float]) -> float | None:
    """Share of the total held by the top 20% (at least one) of the values: the 80/20 view."""
    values = sorted((v for v in values if v), reverse=True)
    total = sum(values)
    if not total:
        return None
    top = max(1, math.ceil(len(values) / 5))
    return sum(values[:top]) / total


def rep_context(b: Bundle, rid: str, cur: str | None, recent: set[str], prev: str | None) -> dict:
    """Everything the rep page and the coaching page show for one rep."""
    d = b.by_rep.get(rid, {})
    person = b.people[rid]
    rows = d.get("scorecard", [])
    history = [r for r in rows if r["period"] in recent]
    grades_rows = d.get("grades", [])
    grades_now = _grades(_period_row(grades_rows, cur))
    grades_prev = {g["key"]: g["grade"] for g in _grades(_period_row(grades_rows, prev))}
    graded = [g for g in grades_now if g["grade"] is not None]
    weakest = sorted(graded, key=lambda g: (g["grade"], g["ratio"] or 0))[:2]
    strengths = [g for g in sorted(graded, key=lambda g: -g["grade"]) if g["grade"] >= 4][:3]
    ramp = d.get("ramp", [])
    return dict(
        person=person,
        manager=b.people.get(person["manager_id"]) if person["manager_id"] else None,
        now=_period_row(rows, cur),
        history=history,
        bsc=_period_row(grades_rows, cur),
        grades=grades_now,
        grades_prev=grades_prev,
        weakest=weakest,
        strengths=strengths,
        targets={t["metric"]: t for t in d.get("targets", [])},
        velocity=(d.get("velocity") or [None])[0],
        hygiene=(d.get("hygiene") or [None])[0],
        hygiene_deals=d.get("hygiene_deals", []),
        stuck=d.get("stuck", []),
        alerts=[a for a in d.get("alerts", []) if a["is_worse"]],
        flow=_period_row(d.get("flow", []), cur),
        forecast=[f for f in d.get("forecast", []) if f["period"] in recent],
        events=d.get("events", []),
        slipped=[e for e in d.get("events", []) if e["event"] == "pushed_out" and e["days_ago"] <= 30],
        event_labels=EVENT_LABELS,
        pipeline=d.get("pipeline", []),
        vs_plan=d.get("vs_plan", []),
        quarantine=d.get("quarantine", [])[:50],
        quarantine_total=len(d.get("quarantine", [])),
        attainment_values=_jsonable([r for r in history if r["attainment"] is not None], ["period", "attainment"]),
        pipeline_values=_jsonable(d.get("pipeline", []), ["stage", "stage_order", "open_amount", "open_deals"]),
        activity_values=_jsonable(d.get("activity", []), ["week_start", "activity_type", "activities"]),
        vs_plan_values=[
            {"week_start": r["week_start"].isoformat(), "series": s, "value": r[k]}
            for r in d.get("vs_plan", [])
            for s, k in (("Activities", "activities"), ("Plan", "target_per_week"))
        ],
        ramp_values=[{"series": "This rep", "month": r["month_since_hire"], "attainment": r["attainment"]}
                     for r in ramp if r["attainment"] is not None]
        + [{"series": "Org median", "month": c["month_since_hire"], "attainment": c["median_attainment"]}
           for c in b.org["ramp_curve"] if ramp and c["month_since_hire"] <= max(r["month_since_hire"] for r in ramp)],
        flow_values=charts.waterfall_values(_period_row(d.get("flow", []), cur) or {}),
    )


def _leaderboard(cfg: Config, b: Bundle, members: list[dict], cur: str | None) -> list[dict]:
    """Team contest: members ranked by the configured metric over the configured period."""
    metric, period = cfg.site.contest_metric, cfg.site.contest_period
    board = []
    for p in members:
        d = b.by_rep.get(p["rep_id"], {})
        if period == "week":
            events = [e for e in d.get("events", []) if e["days_ago"] < 7]
            won = [e for e in events if e["event"] == "won"]
            value = {
                "won_amount": sum(e["amount"] or 0 for e in won),
                "deals_won": len(won),
                "pipeline_created": sum(e["amount"] or 0 for e in events if e["event"] == "created"),
                "attainment": sum(e["amount"] or 0 for e in won),
            }[metric]
        else:
            now = _period_row(d.get("scorecard", []), cur) or {}
            flow = _period_row(d.get("flow", []), cur) or {}
            value = flow.get("created") if metric == "pipeline_created" else now.get(metric)
        board.append({"person": p, "value": value})
    board.sort(key=lambda r: (r["value"] is None, -(r["value"] or 0), r["person"]["name"]))
    return board


def _write_rep_pages(cfg: Config, people: list[dict], rep_pages, chart_timing: charts.Timing, result: PagesResult) -> None:
    """Thousands of reps: every core renders (forked workers inherit the data; none touches DuckDB).

    Each chunk reports the chart time it added, on its own copy of `chart_timing` in a worker
    or on this process's in one, so the chart figures are the same either way.
    """

    def chunk(share: list[dict]) -> tuple[float, int]:
        seconds, calls = chart_timing.seconds, chart_timing.calls
        for person in share:
            for path, text in rep_pages(person):
                _write(path, text)
        return chart_timing.seconds - seconds, chart_timing.calls - calls

    own_seconds, own_calls = chart_timing.seconds, chart_timing.calls
    done, result.workers = workers.fork_map(chunk, people, jobs=cfg.build.jobs, min_per_worker=100)
    result.rep_pages += len(people)
    result.chart_calls = own_calls + sum(calls for _, calls in done)
    result.chart_seconds = own_seconds + sum(seconds for seconds, _ in done) / result.workers


def render(cfg: Config, con: duckdb.DuckDBPyConnection, models: list[Model], as_of: dt.date, docs_dir: Path) -> PagesResult:
    """Write every page of the site as markdown into docs_dir."""
    fmt = Fmt(cfg.currency_symbol)
    chart_timing = charts.Timing()
    env = environment(fmt, chart_timing)
    result = PagesResult(docs_dir)
    periods = fetch(con, "select * from int_fiscal_quarters order by period_start")
    current = next((p for p in periods if p["is_current"]), None)
    sources = dict(con.sql("select table_name, present from raw_sources").fetchall())
    ctx = Context(cfg, as_of, periods, current, sources)
    cur = current["period"] if current else None
    closed = [p["period"] for p in periods if p["is_closed"]]
    prev = closed[-1] if closed else None
    recent = set(ctx.recent)
    common = dict(cfg=cfg, as_of=as_of, current=cur, previous=prev, sources=sources,
                  privacy=cfg.privacy, target=cfg.targets.for_role)
    b = load_bundle(con)
    common["names"] = {p["rep_id"]: p["name"] for p in b.directory}
    team_members = group_by(b.directory, "team")

    team_list = []
    for team, d in sorted(b.by_team.items()):
        now = _period_row(d["scorecard"], cur)
        team_list.append({"team": team, "slug": team_slug(team), "now": now, "members": team_members.get(team, []),
                          "alerts": [a for a in d["alerts"] if a["is_worse"]],
                          "rep_alerts": sum(len([a for a in b.by_rep[p["rep_id"]]["alerts"] if a["is_worse"]])
                                            for p in team_members.get(team, [])),
                          "selling": _period_row(d["selling"], cur)})
    team_rows = [dict(t["now"], team=t["team"]) for t in team_list if t["now"]]

    # Home, indexes, glossary, reference, data quality.
    org = b.org
    org_recent = [r for r in org["scorecard"] if r["period"] in recent]
    pareto = _period_row(org["pareto"], prev)
    _write(docs_dir / "index.md", render_page(env.get_template("index.md.j2"), 
        org_now=_period_row(org["scorecard"], cur), team_rows=team_rows, teams=team_list,
        team_link=lambda r: f"teams/{team_slug(r['team'])}/",
        org_attainment=_jsonable([r for r in org_recent if r["attainment"] is not None], ["period", "attainment"]),
        flow=_period_row(org["flow"], cur), flow_values=charts.waterfall_values(_period_row(org["flow"], cur) or {}),
        pareto=pareto, buckets=[r for r in org["buckets"] if r["period"] == prev],
        ramp_values=[{"series": "Org median", "month": c["month_since_hire"], "attainment": c["median_attainment"]}
                     for c in org["ramp_curve"]]
        + [{"series": "Org mean", "month": c["month_since_hire"], "attainment": c["mean_attainment"]}
           for c in org["ramp_curve"]],
        funnel=[r for r in org["funnel"] if r["period"] == prev],
        **common))
    _write(docs_dir / "teams" / "index.md", render_page(env.get_template("teams.md.j2"), 
        team_rows=team_rows, team_link=lambda r: f"{team_slug(r['team'])}/", **common))
    _write(docs_dir / "reps" / "index.md", render_page(env.get_template("reps.md.j2"), 
        reps=b.directory, now={rid: _period_row(d["scorecard"], cur) for rid, d in b.by_rep.items()}, **common))
    marts = [m for m in models if m.layer == "marts"]
    _write(docs_dir / "glossary.md", render_page(env.get_template("glossary.md.j2"), marts=marts, **common))
    _write(docs_dir / "reference.md", render_page(env.get_template("reference.md.j2"), 
        settings=list(iter_settings()), tables=TABLES.values(), **common))
    per_rep = {b.people[k]["name"] if k in b.people else k: len(d["quarantine"])
               for k, d in b.by_rep.items() if d.get("quarantine")}
    _write(docs_dir / "data-quality.md", render_page(env.get_template("data-quality.md.j2"), 
        counts=org["quarantine_counts"], sample=org["quarantine_sample"], per_rep=per_rep, notes=org["notes"],
        **common))

    # Team pages.
    team_tpl = env.get_template("team.md.j2")
    for t in team_list:
        d = b.by_team[t["team"]]
        members = [{"person": p, "now": _period_row(b.by_rep[p["rep_id"]]["scorecard"], cur)} for p in t["members"]]
        member_ids = {p["rep_id"] for p in t["members"]}
        week = [e for rid in member_ids for e in b.by_rep[rid]["events"] if e["days_ago"] < 7]
        last_week_plan = []
        for p in t["members"]:
            plan = b.by_rep[p["rep_id"]]["vs_plan"]
            if plan:
                last_week_plan.append({"person": p, "week": plan[-1]})
        _write(docs_dir / "teams" / t["slug"] / "index.md", render_page(team_tpl, 
            team=t, history=[r for r in d["scorecard"] if r["period"] in recent], members=members,
            bar=[{"name": m["person"]["name"], "attainment": m["now"]["attainment"]}
                 for m in members if m["now"] and m["now"]["attainment"] is not None],
            leaderboard=_leaderboard(cfg, b, t["members"], cur),
            top_share=_top_share([(m["now"] or {}).get("won_amount") or 0 for m in members]),
            flow=_period_row(d["flow"], cur), flow_values=charts.waterfall_values(_period_row(d["flow"], cur) or {}),
            forecast=[f for f in d["forecast"] if f["period"] in recent],
            wins=sorted([e for e in week if e["event"] == "won"], key=lambda e: -(e["amount"] or 0)),
            slips=[e for e in week if e["event"] == "pushed_out"],
            stuck=sorted([s for rid in member_ids for s in b.by_rep[rid]["stuck"]],
                         key=lambda s: -(s["amount"] or 0))[:15],
            plan_rows=last_week_plan,
            **common))
        result.team_pages += 1

    # Rep pages and coaching pages.
    rep_tpl, coach_tpl = env.get_template("rep.md.j2"), env.get_template("coaching.md.j2")

    def rep_pages(person: dict) -> list[tuple[Path, str]]:
        c = rep_context(b, person["rep_id"], cur, recent, prev)
        base = docs_dir / "reps" / rep_slug(person["rep_id"])
        return [(base / "index.md", render_page(rep_tpl, **c, **common)),
                (base / "coaching" / "index.md", render_page(coach_tpl, **c, **common))]

    _write_rep_pages(cfg, b.directory, rep_pages, chart_timing, result)

    _export_csvs(con, cfg, marts, docs_dir / "data")
    _write(docs_dir / "assets" / "chart-specs.js", charts.specs_script())
    return result
