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
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup

from pipelines import charts
from pipelines.models import Model
from pipelines.schema import TABLES
from pipelines.settings import Config, iter_settings
from pipelines.sqltext import lit

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


team_slug = rep_slug


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


def environment(fmt: Fmt) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / "pages"),
        finalize=_finalize,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(title=lambda v: Markup(plain_title(v)), money=fmt.money, pct=fmt.pct, times=fmt.times, days=fmt.days, num=fmt.num,
                       rep_slug=rep_slug, team_slug=team_slug)
    env.globals["chart"] = lambda kind, values, title, desc: Markup(
        charts.embed(charts.chart(kind, values, title, desc), desc)
    )
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
    docs_dir: Path
    rep_pages: int = 0
    team_pages: int = 0
    pages: list[str] = field(default_factory=list)


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
            hidden |= {c for c in mart.columns if "amount" in c or "pipeline" in c and "coverage" not in c}
    return hidden


def _export_csvs(con, cfg: Config, marts: list[Model], data_dir: Path) -> None:
    """Every mart as a CSV download, plus marts.json (grain and columns) for `pipelines diff`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for mart in marts:
        hidden = _hidden_columns(cfg, mart)
        cols = [c for c in con.sql(f"select * from {mart.name}").columns if c not in hidden]
        order = ", ".join(mart.unique) if mart.unique else "all"
        con.execute(
            f"copy (select {', '.join(cols)} from {mart.name} order by {order}) "
            f"to {lit(str(data_dir / (mart.name + '.csv')))} (header, delimiter ',')"
        )
        manifest[mart.name] = {"unique": mart.unique, "columns": cols, "grain": mart.grain}
    (data_dir / "marts.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")


def render(cfg: Config, con: duckdb.DuckDBPyConnection, models: list[Model], as_of: dt.date, docs_dir: Path) -> PagesResult:
    """Write every page of the site as markdown into docs_dir."""
    fmt = Fmt(cfg.currency_symbol)
    env = environment(fmt)
    result = PagesResult(docs_dir)
    periods = fetch(con, "select * from int_fiscal_quarters order by period_start")
    current = next((p for p in periods if p["is_current"]), None)
    sources = dict(con.sql("select table_name, present from raw_sources").fetchall())
    ctx = Context(cfg, as_of, periods, current, sources)
    cur = current["period"] if current else None
    common = dict(cfg=cfg, as_of=as_of, ctx=ctx, current=cur, sources=sources, privacy=cfg.privacy)

    directory = fetch(con, "select * from rep_directory order by team, name, rep_id")
    people = {p["rep_id"]: p for p in directory}
    scorecards = group_by(fetch(con, "select * from rep_scorecard order by rep_id, period_start"), "rep_id")
    pipeline = group_by(fetch(con, "select * from rep_pipeline_by_stage order by rep_id, stage_order"), "rep_id")
    activity = group_by(fetch(con, "select * from rep_activity_weekly order by rep_id, week_start"), "rep_id")
    teams = group_by(fetch(con, "select * from team_scorecard order by team, period_start"), "team")
    org = fetch(con, "select * from org_scorecard order by period_start")
    quarantine_counts = fetch(
        con,
        """select "table", reason, action, count(*) as n from quarantine group by all order by "table", n desc""",
    )
    rep_quarantine = group_by(
        fetch(con, """select * from quarantine where owner_id is not null order by "table", file, "row" """), "owner_id"
    )
    recent = set(ctx.recent)

    def current_row(rows: list[dict]) -> dict | None:
        return next((r for r in rows if r["period"] == cur), None)

    team_members = group_by(directory, "team")
    team_list = []
    for team, rows in teams.items():
        team_list.append({"team": team, "slug": team_slug(team), "now": current_row(rows),
                          "members": len(team_members.get(team, []))})

    team_rows = [dict(t["now"], team=t["team"]) for t in team_list if t["now"]]

    def team_link(r: dict) -> str:
        return f"teams/{team_slug(r['team'])}/"

    # Home, indexes, glossary, data quality.
    org_recent = [r for r in org if r["period"] in recent]
    _write(docs_dir / "index.md", env.get_template("index.md.j2").render(
        org_now=current_row(org), team_rows=team_rows, team_link=team_link,
        org_attainment=_jsonable([r for r in org_recent if r["attainment"] is not None], ["period", "attainment"]),
        **common))
    _write(docs_dir / "teams" / "index.md", env.get_template("teams.md.j2").render(
        team_rows=team_rows, team_link=lambda r: f"{team_slug(r['team'])}/", **common))
    _write(docs_dir / "reps" / "index.md", env.get_template("reps.md.j2").render(
        reps=directory, now={r: current_row(s) for r, s in scorecards.items()}, **common))
    marts = [m for m in models if m.layer == "marts"]
    _write(docs_dir / "glossary.md", env.get_template("glossary.md.j2").render(marts=marts, **common))
    _write(docs_dir / "reference.md", env.get_template("reference.md.j2").render(
        settings=list(iter_settings()), tables=TABLES.values(), **common))
    _write(docs_dir / "data-quality.md", env.get_template("data-quality.md.j2").render(
        counts=quarantine_counts, sample=fetch(con, 'select * from quarantine order by "table", file, "row" limit 200'),
        per_rep={people[k]["name"] if k in people else k: len(v) for k, v in rep_quarantine.items()},
        **common))
    result.pages += ["index.md", "teams/index.md", "reps/index.md", "glossary.md", "reference.md", "data-quality.md"]

    # Team pages.
    team_tpl = env.get_template("team.md.j2")
    for t in team_list:
        members = team_members.get(t["team"], [])
        member_rows = [{"person": p, "now": current_row(scorecards.get(p["rep_id"], []))} for p in members]
        bar = [{"name": m["person"]["name"], "attainment": m["now"]["attainment"]}
               for m in member_rows if m["now"] and m["now"]["attainment"] is not None]
        _write(docs_dir / "teams" / t["slug"] / "index.md", team_tpl.render(
            team=t, history=[r for r in teams[t["team"]] if r["period"] in recent], members=member_rows,
            bar=bar, **common))
        result.team_pages += 1

    # Rep pages.
    rep_tpl = env.get_template("rep.md.j2")
    for person in directory:
        rid = person["rep_id"]
        rows = scorecards.get(rid, [])
        history = [r for r in rows if r["period"] in recent]
        _write(docs_dir / "reps" / rep_slug(rid) / "index.md", rep_tpl.render(
            person=person, now=current_row(rows), history=history,
            attainment_values=_jsonable([r for r in history if r["attainment"] is not None], ["period", "attainment"]),
            pipeline_values=_jsonable(pipeline.get(rid, []), ["stage", "stage_order", "open_amount", "open_deals"]),
            pipeline=pipeline.get(rid, []),
            activity_values=_jsonable(activity.get(rid, []), ["week_start", "activity_type", "activities"]),
            quarantine=rep_quarantine.get(rid, [])[:50], quarantine_total=len(rep_quarantine.get(rid, [])),
            manager=people.get(person["manager_id"]) if person["manager_id"] else None,
            **common))
        result.rep_pages += 1

    _export_csvs(con, cfg, marts, docs_dir / "data")
    return result
