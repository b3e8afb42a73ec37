"""Stage 4: render the marts into markdown pages, chart specs and CSV downloads.

Pages are rendered by our own Jinja2 step, not by MkDocs plugins, so the site outlives
MkDocs (Zensical reads the same markdown). The data comes from `pipelines.page_data`, the
look of every value from `pipelines.formatting`; this module only lays pages out and writes
them. It computes no metric. The thousands of rep, coaching, team and Monday pages are written a
chunk to a file (`pipelines.page_packs`, which the site stage reads); `page_packs.unpack(docs)`
writes them out as files of their own for any other tool that reads a docs folder.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path

import duckdb
import jinja2

from pipelines import audiences, charts, page_contexts, page_packs, workers
from pipelines.audiences import Audience
from pipelines.catalog import Catalog
from pipelines.exports import export_steps
from pipelines.formatting import Fmt, currency_symbol, period_label
from pipelines.models import cursor_like, give_back_memory, session_of
from pipelines.page_contexts import rep_context, team_list
from pipelines.page_data import (Bundle, Calendar, across_reps_only, load_bundle, period_row, rep_batch,
                                 rep_rows)
from pipelines.page_env import cell_helpers, crm_link, environment, render_page, render_parts, root_of
from pipelines.settings import Config
from pipelines.slugs import rep_slug, team_slug

# Kept importable from here: tests and users' scripts used them as pipelines.pages.*
__all__ = ["PagesResult", "render", "rep_slug", "team_slug"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# People whose page data (the per-rep marts a rep's own pages read) is held at once: memory stays bounded
# whatever the org's size, and a batch still has enough pages to keep every core busy.
BATCH_REPS = 1000

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
    con: duckdb.DuckDBPyConnection
    env: jinja2.Environment
    docs: Path
    bundle: Bundle
    cal: Calendar
    common: dict
    timing: charts.Timing

    def render(self, rel: str, template: str, **context) -> str:
        """The Markdown of docs page `rel` from `template`."""
        return render_page(self.env.get_template(template), root=root_of(rel), **context, **self.common)

    def render_parts(self, rel: str, template: str, **context) -> tuple[str, list[str]]:
        """The Markdown of docs page `rel` and its blocks, apart (for a pack)."""
        return render_parts(self.env.get_template(template), root=root_of(rel), **context, **self.common)

    def write(self, rel: str, template: str, **context) -> None:
        path = self.docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(rel, template, **context), encoding="utf-8")


def _home(job: _Job, teams: list[dict], team_rows: list[dict]) -> None:
    org, cal = job.bundle.org, job.cal
    flow = period_row(org["flow"], cal.current)
    job.write(
        "index.md", "index.md.j2",
        org_now=period_row(org["scorecard"], cal.current), team_rows=team_rows, teams=teams,
        org_attainment=page_contexts.attainment_values(org["scorecard"], cal),
        flow=flow, flow_values=charts.waterfall_values(flow or {}),
        pareto=period_row(org["pareto"], cal.previous) if job.common["audience"].is_all else None,
        team_paretos=[] if job.common["audience"].is_all else
        [dict(r, team=t) for t, d in sorted(job.bundle.by_team.items()) for r in d["pareto"] if r["period"] == cal.previous],
        buckets=[r for r in org["buckets"] if r["period"] == cal.previous],
        ramp_values=[{"series": s, "month": c["month_since_hire"], "attainment": c[k]}
                     for s, k in (("Org median", "median_attainment"), ("Org mean", "mean_attainment"))
                     for c in org["ramp_curve"] if c[k] is not None],
        funnel=[r for r in org["funnel"] if r["period"] == cal.previous],
        org_forecast=page_contexts.forecast_view(org["forecast_rollup"], org["forecast_movement"], org["forecast_trend"]),
    )


def _indexes(job: _Job, team_rows: list[dict], catalog: Catalog) -> None:
    b, org = job.bundle, job.bundle.org
    job.write("teams/index.md", "teams.md.j2", team_rows=team_rows)
    job.write("reps/index.md", "reps.md.j2", reps=page_contexts.reps_index(b, job.cal))
    job.write("glossary.md", "glossary.md.j2", **page_contexts.glossary(catalog, job.cfg))
    job.write("reference.md", "reference.md.j2", **page_contexts.reference(job.cfg))
    job.write("data-quality.md", "data-quality.md.j2", counts=org["quarantine_counts"],
              sample=org["quarantine_sample"], per_rep=org["rep_quality"], notes=org["notes"],
              extracts=org["extracts"], coverage=(org["coverage"] or [None])[0],
              hygiene_by_team=[(d["hygiene"] or [{}])[0] | {"team": t} for t, d in sorted(b.by_team.items())
                               if d["hygiene"]],
              hygiene_by_rep=sorted([r["hygiene"][0] for r in b.by_rep.values() if r.get("hygiene")
                                     and r["hygiene"][0]["open_deals"]],
                                    key=lambda h: (-h["deals_with_problems"], h["rep_id"])))


def _front_pages(job: _Job, teams: list[dict], team_rows: list[dict], catalog: Catalog, result: PagesResult) -> None:
    """The home, index, glossary, reference and data-quality pages, with the chart time they took. A step of the
    first batch's `meanwhile`: rendered beside its workers, not before the first fork with a core idle."""
    seconds, calls = job.timing.seconds, job.timing.calls
    front = replace(job, bundle=across_reps_only(job.bundle))  # the first batch's rows are in job.bundle by now
    _home(front, teams, team_rows)
    _indexes(front, team_rows, catalog)
    result.chart_seconds += job.timing.seconds - seconds
    result.chart_calls += job.timing.calls - calls


def _team_page(job: _Job, t: dict, out: page_packs.Writer) -> None:
    c = page_contexts.team_context(job.bundle, t, job.cal)
    for rel, template in ((f"teams/{team_slug(t['team'])}/index.md", "team.md.j2"),
                          (f"teams/{team_slug(t['team'])}/monday/index.md", "monday.md.j2")):
        out.add(rel, *job.render_parts(rel, template, **c))


def _rep_page(job: _Job, person: dict, rep_tpl: jinja2.Template, coach_tpl: jinja2.Template,
              out: page_packs.Writer) -> None:
    c = rep_context(job.bundle, person["rep_id"], job.cal, job.common["privacy"].hide_quotas)
    base = f"reps/{rep_slug(person['rep_id'])}"
    kinds = [(f"{base}/index.md", rep_tpl)]
    if job.common["coaching"]:
        kinds.append((f"{base}/coaching/index.md", coach_tpl))
    for rel, tpl in kinds:
        out.add(rel, *render_parts(tpl, root=root_of(rel), **c, **job.common))


def _batches(directory: list[dict], teams: list[dict]) -> list[tuple[list[dict], list[dict]]]:
    """(teams, people) to render together: whole teams (a team page reads its members' page data), about
    BATCH_REPS people a batch, in directory order; teams nobody in the directory belongs to come last."""
    entries = {t["team"]: t for t in teams}
    batches: list[tuple[list[dict], list[dict]]] = [([], [])]
    for team, members in groupby(directory, key=lambda p: p["team"]):
        if len(batches[-1][1]) >= BATCH_REPS:
            batches.append(([], []))
        if team in entries:
            batches[-1][0].append(entries.pop(team))
        batches[-1][1].extend(members)
    batches[-1][0].extend(entries.values())
    return batches


def _team_and_rep_pages(job: _Job, teams: list[dict], result: PagesResult,
                        meanwhile: list[Callable[[], None]], early: workers.Background | None = None) -> None:
    """Team, Monday, rep and coaching pages: thousands of them, so every core renders (forked workers
    inherit the data; none touches DuckDB), a batch of teams at a time so that only that batch's page
    data is in memory. While the workers render a batch, this process fetches the next one's rows and
    runs a share of the `meanwhile` steps, in order, instead of waiting (none during the last batch: it
    is the small remainder, and its workers waited for all the steps when they ran there). Each chunk
    reports the chart time it added, on its own copy of the timing in a worker or on this process's, so
    the chart figures are the same either way (a `meanwhile` step that draws charts adds its own).
    Steps started `early` on a thread run until the first batch's rows are read; those they did not
    reach join the `meanwhile` steps."""
    rep_tpl, coach_tpl = job.env.get_template("rep.md.j2"), job.env.get_template("coaching.md.j2")
    job.env.get_template("team.md.j2"), job.env.get_template("monday.md.j2")  # compiled once, before the forks
    timing = job.timing

    def chunk(share: list[tuple[str, dict]]) -> tuple[float, int, list[page_packs.Entry]]:
        seconds, calls = timing.seconds, timing.calls
        out = page_packs.Writer(job.docs)  # a pack of this chunk's pages, not a file (and a folder) each
        try:
            for kind, item in share:
                if kind == "team":
                    _team_page(job, item, out)
                else:
                    _rep_page(job, item, rep_tpl, coach_tpl, out)
        finally:
            out.close()
        return timing.seconds - seconds, timing.calls - calls, out.entries

    def rows_of(people: list[dict]) -> dict:
        return rep_rows(job.con, [p["rep_id"] for p in people])

    batches = _batches(job.bundle.directory, teams)
    ahead = [rows_of(batches[0][1])]
    if early is not None:
        meanwhile = [*meanwhile, *early.stop()]
    give_back_memory(job.con)  # before the first fork, so no worker starts with it either
    share = math.ceil(len(meanwhile) / max(1, len(batches) - 1))

    def while_rendering(i: int) -> None:
        if i + 1 < len(batches):
            ahead.append(rows_of(batches[i + 1][1]))
        for step in meanwhile[i * share:(i + 1) * share]:
            step()
        # Once, at the end: each query reuses what the one before it left, so what DuckDB holds is the largest
        # query's, not the sum (a call after each query cost 0.065 s at 50 reps; a 5,000-rep build peaked the same).
        give_back_memory(job.con)

    packed: list[page_packs.Entry] = []
    for i, (batch_teams, people) in enumerate(batches):
        with rep_batch(job.bundle, ahead.pop()):
            items = [("team", t) for t in batch_teams] + [("rep", p) for p in people]
            done, used = workers.fork_map(chunk, items, jobs=job.cfg.build.jobs, min_per_worker=100,
                                          meanwhile=lambda: while_rendering(i))
        result.workers = max(result.workers, used)
        result.chart_calls += sum(calls for _, calls, _ in done)
        result.chart_seconds += sum(seconds for seconds, _, _ in done) / used
        packed += [entry for _, _, entries in done for entry in entries]
    page_packs.write_index(job.docs, packed)
    result.rep_pages, result.team_pages = len(job.bundle.directory), len(teams)


def _common(cfg: Config, b: Bundle, cal: Calendar, catalog: Catalog, as_of: dt.date, aud: Audience,
            fmt: Fmt) -> dict:
    """What every page's template may use: settings, the calendar, labels, links and the cell helpers."""
    # Plan metrics named like no mart column: their label here (glossary links still go to a definition).
    labels = {"activities_per_week": "Activities a week"}
    labels |= {k: v["label"] for k, v in catalog.dictionary.items() if v.get("label")}
    names = {p["rep_id"]: p["name"] for p in b.directory}
    common = dict(cfg=cfg, as_of=as_of, current=cal.current, previous=cal.previous,
                  quarter=next((q for q in cal.quarters if q["is_current"]), None),
                  sources={e["table_name"]: e["is_present"] for e in b.org["extracts"]},
                  privacy=aud.privacy, coaching=aud.coaching, audience=aud, target=cfg.targets.for_role,
                  names=names,
                  period_labels={q["period"]: period_label(q, cfg.fiscal_year_start_month != 1) for q in cal.quarters},
                  metric_labels=labels,
                  deal_href=crm_link(cfg.crm.deal_url, "opportunity_id"),
                  account_href=crm_link(cfg.crm.account_url, "account_id"))
    common.update(cell_helpers(fmt, names, labels, cfg.thresholds.manager_selling_share,
                               set(b.by_team)))
    # A table's quarter column reads "FY2027 Q3 · 1 Aug – 31 Oct" (which sorts in time order, year first).
    common["period_cell"] = lambda r, _labels=common["period_labels"]: _labels.get(r.get("period"), r.get("period"))
    common["team_pages"] = set(b.by_team)
    return common


def start_downloads(cfg: Config, con: duckdb.DuckDBPyConnection, catalog: Catalog, docs_dir: Path,
                    audience: Audience) -> workers.Background:
    """The CSV downloads of an audience that sees everyone, started on a thread of their own (`render(downloads=)`).

    Such downloads need nothing from the page data, and DuckDB writes them without the GIL: started
    before the page data is read (a second of one core's Python at 5,000 reps, then the first batch's
    rows), they use the core that would wait, instead of a share of the cores the page workers render on.
    """
    assert audience.is_all, "an audience's downloads keep the rows of its people, known from the page data"
    cur = cursor_like(con, session_of(con))
    return workers.Background(export_steps(cur, cfg, catalog.marts, docs_dir / "data", audience, set()),
                              interrupt=cur.interrupt)


def render(cfg: Config, con: duckdb.DuckDBPyConnection, catalog: Catalog, as_of: dt.date, docs_dir: Path,
           audience: Audience | None = None, bundle: Bundle | None = None,
           downloads: workers.Background | None = None) -> PagesResult:
    """Write every page of one site as markdown into docs_dir (the rep and team pages in packs, `page_packs`), its
    CSV downloads and the chart specs.

    With audiences, the CLI calls this once per audience with the same `bundle` (fetched once): the pages and
    the downloads hold only the audience's scope, with its privacy. `downloads`: this site's, already under
    way (`start_downloads`).
    """
    full = bundle or load_bundle(con, cfg.site.recent_quarters)
    if full.recent_quarters < cfg.site.recent_quarters:  # a rep's scorecard would miss quarters the pages show
        raise RuntimeError(f"the page data holds {full.recent_quarters} recent quarters, the pages show "
                           f"{cfg.site.recent_quarters}")
    aud = audience or Audience("", None, True, cfg.privacy)
    b = audiences.scope_bundle(full, aud)
    cal = Calendar(b.org["quarters"], cfg.site.recent_quarters)
    timing = charts.Timing()
    code = next((r["currency"] for r in full.org["scorecard"] if r.get("currency")), None)
    fmt = Fmt(currency_symbol(code, cfg.currency_symbol, "currency_symbol" in cfg.model_fields_set), code)
    env = environment(fmt, timing, cfg.build.cache_path / "page-templates")
    env.globals["demo_data"] = cfg.is_demo  # every page says so: imported macros see globals, not the context
    job = _Job(cfg, con, env, docs_dir, b, cal, _common(cfg, b, cal, catalog, as_of, aud, fmt), timing)
    teams = [dict(t, slug=team_slug(t["team"])) for t in team_list(b, cal, aud.privacy.hide_quotas)]
    team_rows = [dict(t["now"], team=t["team"]) for t in teams if t["now"]]
    result = PagesResult(docs_dir)
    # The downloads run beside the page workers, unless they are under way on a thread of their own already.
    steps = [] if downloads is not None else export_steps(con, cfg, catalog.marts, docs_dir / "data", aud,
                                                          audiences.people_in(full, aud))
    _team_and_rep_pages(job, teams, result,
                        [functools.partial(_front_pages, job, teams, team_rows, catalog, result), *steps],
                        early=downloads)
    (docs_dir / "assets").mkdir(parents=True, exist_ok=True)
    (docs_dir / "assets" / "chart-specs.js").write_text(charts.specs_script(fmt.currency), encoding="utf-8")
    return result
