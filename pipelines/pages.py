"""Stage 4: render the marts into markdown pages, chart specs and CSV downloads.

Pages are rendered by our own Jinja2 step, not by MkDocs plugins, so the site outlives
MkDocs (Zensical reads the same markdown). The data comes from `pipelines.page_data`, the
look of every value from `pipelines.formatting`; this module only lays pages out and writes
them. It computes no metric.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup

from pipelines import blocks, charts, workers
from pipelines.catalog import Catalog
from pipelines.exports import export_csvs
from pipelines.formatting import Fmt, finalize, plain_title
from pipelines.page_data import Bundle, Calendar, load_bundle, period_row, rep_context, team_list
from pipelines.schema import TABLES
from pipelines.settings import Config, iter_settings
from pipelines.slugs import rep_slug, team_slug

# Kept importable from here: tests and users' scripts used them as pipelines.pages.*
__all__ = ["PagesResult", "render", "rep_slug", "team_slug"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

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
        finalize=finalize,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(fmt.filters(), page_title=lambda v: Markup(plain_title(v)), rep_slug=rep_slug,
                       team_slug=team_slug, block=_block)
    env.globals["chart"] = lambda kind, values, title, desc: _block(timing.figure(kind, values, title, desc))
    return env


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
class _Job:
    """One build's pages: where they go, how they are rendered, and the data they show."""

    cfg: Config
    env: jinja2.Environment
    docs: Path
    bundle: Bundle
    cal: Calendar
    common: dict
    timing: charts.Timing

    def write(self, rel: str, template: str, **context) -> None:
        path = self.docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_page(self.env.get_template(template), **context, **self.common), encoding="utf-8")


def _home(job: _Job, teams: list[dict], team_rows: list[dict]) -> None:
    org, cal = job.bundle.org, job.cal
    recent = set(cal.recent)
    flow = period_row(org["flow"], cal.current)
    job.write(
        "index.md", "index.md.j2",
        org_now=period_row(org["scorecard"], cal.current), team_rows=team_rows, teams=teams,
        team_link=lambda r: f"teams/{team_slug(r['team'])}/",
        org_attainment=[{"period": r["period"], "attainment": r["attainment"]}
                        for r in org["scorecard"] if r["period"] in recent and r["attainment"] is not None],
        flow=flow, flow_values=charts.waterfall_values(flow or {}),
        pareto=period_row(org["pareto"], cal.previous),
        buckets=[r for r in org["buckets"] if r["period"] == cal.previous],
        ramp_values=[{"series": s, "month": c["month_since_hire"], "attainment": c[k]}
                     for s, k in (("Org median", "median_attainment"), ("Org mean", "mean_attainment"))
                     for c in org["ramp_curve"]],
        funnel=[r for r in org["funnel"] if r["period"] == cal.previous],
    )


def _indexes(job: _Job, team_rows: list[dict], catalog: Catalog) -> None:
    b, cur = job.bundle, job.cal.current
    job.write("teams/index.md", "teams.md.j2", team_rows=team_rows, team_link=lambda r: f"{team_slug(r['team'])}/")
    job.write("reps/index.md", "reps.md.j2", reps=b.directory,
              now={rid: period_row(d["scorecard"], cur) for rid, d in b.by_rep.items()})
    job.write("glossary.md", "glossary.md.j2", marts=catalog.marts, macros=catalog.macros)
    job.write("reference.md", "reference.md.j2", settings=list(iter_settings()), tables=TABLES.values())
    org = b.org
    job.write("data-quality.md", "data-quality.md.j2", counts=org["quarantine_counts"],
              sample=org["quarantine_sample"], per_rep=org["rep_quality"], notes=org["notes"],
              extracts=org["extracts"])


def _team_pages(job: _Job, teams: list[dict]) -> int:
    b, cal = job.bundle, job.cal
    recent = set(cal.recent)
    for t in teams:
        d = b.by_team[t["team"]]
        reps = {p["rep_id"]: b.by_rep[p["rep_id"]] for p in t["members"]}
        members = [{"person": p, "now": period_row(reps[p["rep_id"]]["scorecard"], cal.current)} for p in t["members"]]
        week = [e for r in reps.values() for e in r["events"] if e["days_ago"] < 7]
        flow = period_row(d["flow"], cal.current)
        job.write(
            f"teams/{team_slug(t['team'])}/index.md", "team.md.j2",
            team=t, history=[r for r in d["scorecard"] if r["period"] in recent], members=members,
            bar=[{"name": m["person"]["name"], "attainment": m["now"]["attainment"]}
                 for m in members if m["now"] and m["now"]["attainment"] is not None],
            leaderboard=[dict(r, person=b.people[r["rep_id"]]) for r in d["leaderboard"]],
            flow=flow, flow_values=charts.waterfall_values(flow or {}),
            forecast=[f for f in d["forecast"] if f["period"] in recent],
            wins=sorted([e for e in week if e["event"] == "won"], key=lambda e: (-(e["amount"] or 0), e["opportunity_id"])),
            slips=[e for e in week if e["event"] == "pushed_out"],
            stuck=sorted([s for r in reps.values() for s in r["stuck"]],
                         key=lambda s: (-(s["amount"] or 0), s["opportunity_id"]))[:15],
            plan_rows=[{"person": p, "week": reps[p["rep_id"]]["vs_plan"][-1]}
                       for p in t["members"] if reps[p["rep_id"]]["vs_plan"]],
        )
    return len(teams)


def _rep_pages(job: _Job, result: PagesResult) -> None:
    """Rep and coaching pages: thousands of them, so every core renders (forked workers inherit the
    data; none touches DuckDB). Each chunk reports the chart time it added, on its own copy of the
    timing in a worker or on this process's, so the chart figures are the same either way."""
    rep_tpl, coach_tpl = job.env.get_template("rep.md.j2"), job.env.get_template("coaching.md.j2")
    timing = job.timing

    def chunk(share: list[dict]) -> tuple[float, int]:
        seconds, calls = timing.seconds, timing.calls
        for person in share:
            c = rep_context(job.bundle, person["rep_id"], job.cal)
            base = job.docs / "reps" / rep_slug(person["rep_id"])
            for path, tpl in ((base / "index.md", rep_tpl), (base / "coaching" / "index.md", coach_tpl)):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(render_page(tpl, **c, **job.common), encoding="utf-8")
        return timing.seconds - seconds, timing.calls - calls

    own_seconds, own_calls = timing.seconds, timing.calls
    done, result.workers = workers.fork_map(chunk, job.bundle.directory, jobs=job.cfg.build.jobs, min_per_worker=100)
    result.rep_pages = len(job.bundle.directory)
    result.chart_calls = own_calls + sum(calls for _, calls in done)
    result.chart_seconds = own_seconds + sum(seconds for seconds, _ in done) / result.workers


def render(cfg: Config, con: duckdb.DuckDBPyConnection, catalog: Catalog, as_of: dt.date, docs_dir: Path) -> PagesResult:
    """Write every page of the site as markdown into docs_dir, the CSV downloads and the chart specs."""
    b = load_bundle(con)
    cal = Calendar(b.org["quarters"], cfg.site.recent_quarters)
    common = dict(cfg=cfg, as_of=as_of, current=cal.current, previous=cal.previous,
                  sources={e["table_name"]: e["is_present"] for e in b.org["extracts"]},
                  privacy=cfg.privacy, target=cfg.targets.for_role,
                  names={p["rep_id"]: p["name"] for p in b.directory})
    timing = charts.Timing()
    env = environment(Fmt(cfg.currency_symbol), timing)
    env.globals["demo_data"] = cfg.is_demo  # every page says so: imported macros see globals, not the context
    job = _Job(cfg, env, docs_dir, b, cal, common, timing)
    teams = [dict(t, slug=team_slug(t["team"])) for t in team_list(b, cal)]
    team_rows = [dict(t["now"], team=t["team"]) for t in teams if t["now"]]
    _home(job, teams, team_rows)
    _indexes(job, team_rows, catalog)
    result = PagesResult(docs_dir, team_pages=_team_pages(job, teams))
    _rep_pages(job, result)
    export_csvs(con, cfg, catalog.marts, docs_dir / "data")
    (docs_dir / "assets").mkdir(parents=True, exist_ok=True)
    (docs_dir / "assets" / "chart-specs.js").write_text(charts.specs_script(), encoding="utf-8")
    return result
