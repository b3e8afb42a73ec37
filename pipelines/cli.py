"""The command line: it only chains the stages, and it is the one place errors are caught.

A user-fixable problem prints one red line naming the file and what to do, and exits 1;
`--debug` shows the traceback. Anything unexpected exits 2 with the same one-line shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import click
import duckdb

from pipelines.errors import DataTestError, ScorecardError
from pipelines.settings import Config, load_config


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished (waited-for) workers."""
    try:
        import resource
    except ImportError:  # not Unix: this process only
        return time.process_time()
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


class Timer:
    """Wall and CPU seconds per stage, printed after a build and written by `build --timings` as JSON.

    CPU seconds are less swayed by other work on the machine than wall seconds, so `make bench` keeps both.
    """

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start
            self.cpu[name] = self.cpu.get(name, 0.0) + _cpu_seconds() - cpu


def _say(msg: str) -> None:
    click.echo(msg, err=True)


def with_demo(cfg: Config) -> Config:
    """No sources configured: generate (once, cached by size and seed) and use the demo org."""
    from pipelines.demo import generate_demo

    calls = cfg.demo.forecast_calls
    out = cfg.build.cache_path / f"demo-{cfg.demo.reps}-{cfg.demo.seed}{'-calls' if calls else ''}"
    config_file = out / "config.yml"
    if not config_file.exists():
        _say(f"no sources configured: generating the demo org ({cfg.demo.reps} reps) into {out}")
        tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out.parent if out.parent.exists() else None))
        generate_demo(tmp, reps=cfg.demo.reps, seed=cfg.demo.seed, forecast_calls=calls)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    demo = load_config(config_file)
    update = {"sources": demo.sources, "base_dir": demo.base_dir, "config_file": demo.config_file, "extracts_dir": None}
    update["stages"] = cfg.stages or demo.stages
    update["as_of"] = cfg.as_of or demo.as_of
    update["org_name"] = cfg.org_name or demo.org_name
    if "fiscal_year_start_month" not in cfg.model_fields_set:
        update["fiscal_year_start_month"] = demo.fiscal_year_start_month
    return cfg.model_copy(update=update)


def prepare(config: Path) -> Config:
    cfg = load_config(config)
    return with_demo(cfg) if cfg.uses_demo else cfg


def run_build(
    cfg: Config,
    out: Path,
    warehouse: Path | None = None,
    snapshot_date: dt.date | None = None,
    report_dir: Path | None = None,
    timer: Timer | None = None,
    sql_dir: Path | None = None,
) -> dict:
    """extract -> load -> models -> pages -> site; returns figures for the summary."""
    timer = timer or Timer()
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    # A memory cap (build.duckdb_memory) lets DuckDB spill to disk instead of growing with the activity extract.
    spill = Path(tempfile.mkdtemp(prefix=f".{out.name}-duckdb-", dir=parent))
    con = duckdb.connect(config={"memory_limit": cfg.build.duckdb_memory, "temp_directory": str(spill)})
    try:
        return _chain(cfg, con, out, warehouse, snapshot_date, report_dir, timer, sql_dir)
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _chain(cfg, con, out, warehouse, snapshot_date, report_dir, timer, sql_dir) -> dict:
    """The stages in order, on one DuckDB connection."""
    from pipelines import extract as extract_stage
    from pipelines import load as load_stage
    from pipelines import models as models_stage
    from pipelines import pages as pages_stage
    from pipelines import site as site_stage

    warehouse = warehouse or cfg.base_dir / cfg.warehouse
    with timer.stage("load"):
        day = snapshot_date or cfg.as_of or dt.date.today()
        extracted = extract_stage.extract(cfg, con, warehouse, day)
        report = (report_dir or out.parent / f".{out.name}-report") / "quarantine.csv"
        report.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy (select * from quarantine order by \"table\", file, \"row\") to '{report}' (header)")
        extract_stage.check_quality_gate(extracted, cfg, report)
        # Snapshots are stored only after the site is built: a failed build adds no history.
        loaded = load_stage.load(con, extracted, warehouse, day, cfg=cfg, store=False)
    with timer.stage("models"):
        modelled = models_stage.run(cfg, con, sql_dir or models_stage.SQL_DIR)
    docs = Path(tempfile.mkdtemp(prefix=f".{out.name}-docs-", dir=out.resolve().parent))
    try:
        with timer.stage("pages"):
            rendered = pages_stage.render(cfg, con, modelled.catalog, modelled.as_of, docs)
        with timer.stage("site"):
            built = site_stage.build_site(cfg.site.title, docs, out, site_url=cfg.site.url, jobs=cfg.build.jobs,
                                          reuse=cfg.build.page_cache, cache_dir=cfg.build.cache_path)
    finally:
        shutil.rmtree(docs, ignore_errors=True)
    with timer.stage("load"):
        loaded.changes = load_stage.store_snapshots(con, extracted, warehouse, day)
    return _summary(extracted, loaded, modelled, rendered, built, timer, report)


def _summary(extracted, loaded, modelled, rendered, built, timer: Timer, report: Path) -> dict:
    """What the build did, from each stage's own result: printed, and written by `build --timings` as JSON."""
    pages = {k: v for k, v in dataclasses.asdict(rendered).items() if k != "docs_dir"}
    return {
        "as_of": modelled.as_of.isoformat(),
        "tables": {t: vars(r) for t, r in extracted.tables.items()},
        "notes": extracted.notes,
        "snapshots": [c.describe() for c in loaded.changes],
        "tests": modelled.tests_run,
        "rep_pages": rendered.rep_pages,
        "team_pages": rendered.team_pages,
        "pages": pages,
        "site": dataclasses.asdict(built),
        "seconds": timer.stages,
        "cpu_seconds": timer.cpu,
        "quarantine_report": str(report),
    }


# --- commands ---------------------------------------------------------------------------------


class Cli(click.Group):
    """Catches every error in one place: one red line, a non-zero exit, a traceback only with --debug."""

    def invoke(self, ctx: click.Context):
        # The group's own options are parsed before invoke: read --debug from them, not from
        # sys.argv, so it also holds when the CLI is called from code (click.testing.CliRunner).
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ScorecardError as e:
            if debug:
                raise
            click.secho(f"{e.kind}: {e}", fg="red", err=True)
            if isinstance(e, DataTestError) and e.sample:
                for row in e.sample[:5]:
                    click.echo(f"  failing row: {row}", err=True)
            ctx.exit(1)
        except Exception as e:  # never a traceback for the user, but say it is ours
            if debug:
                raise
            click.secho(f"internal error: {type(e).__name__}: {e} (run with --debug for the traceback)", fg="red", err=True)
            ctx.exit(2)


@click.group(cls=Cli)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Sales Scorecards: CRM extracts -> DuckDB -> SQL scorecards -> static site."""


@main.command()
@click.option("--config", "config", type=click.Path(path_type=Path), default=Path("config.yml"), show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("site"), show_default=True)
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help="Snapshot store (default: config `warehouse`).")
@click.option("--snapshot-date", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date of today's extract (default: as_of or today).")
@click.option("--timings", type=click.Path(path_type=Path), default=None, help="Write stage timings and counts as JSON.")
def build(config: Path, out: Path, warehouse: Path | None, snapshot_date, timings: Path | None) -> None:
    """Load the extracts, run models and data tests, render pages and build the site."""
    timer = Timer()
    with timer.stage("config"):
        cfg = prepare(config)
    summary = run_build(cfg, out, warehouse, snapshot_date.date() if snapshot_date else None, timer=timer)
    for t, r in summary["tables"].items():
        if r["present"]:
            _say(f"  {t}: {r['loaded']} of {r['read']} rows loaded, {r['rejected']} rejected, {r['flagged']} flagged")
    for note in summary["notes"]:
        click.secho(f"  note: {note}", fg="yellow", err=True)
    _say(f"  {summary['tests']} data tests passed; {summary['rep_pages']} rep pages, {summary['team_pages']} team pages")
    _say("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in timer.stages.items()))
    if timings:
        timings.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    index = out.resolve() / "index.html"
    click.secho(f"site built: open {index} (or run: python -m http.server -d {out} 8000)", fg="green")


@main.command()
@click.option("--config", "config", type=click.Path(path_type=Path), default=Path("config.yml"), show_default=True)
@click.option("--warehouse", type=click.Path(path_type=Path), default=None)
@click.option("--snapshot-date", type=click.DateTime(["%Y-%m-%d"]), default=None)
def load(config: Path, warehouse: Path | None, snapshot_date) -> None:
    """Store today's extracts as dated Parquet snapshots (append-only history)."""
    from pipelines import extract as extract_stage
    from pipelines import load as load_stage

    cfg = prepare(config)
    con = duckdb.connect()
    day = snapshot_date.date() if snapshot_date else (cfg.as_of or dt.date.today())
    warehouse = warehouse or cfg.base_dir / cfg.warehouse
    extracted = extract_stage.extract(cfg, con, warehouse, day)
    for note in extracted.notes:
        click.secho(f"  note: {note}", fg="yellow", err=True)
    extract_stage.check_quality_gate(extracted, cfg)
    result = load_stage.load(con, extracted, warehouse, day, cfg=cfg)
    for change in result.changes:
        _say(f"  {change.describe()}")
    click.secho(f"snapshot {day.isoformat()} stored in {result.warehouse}", fg="green")


@main.command("demo-data")
@click.option("--reps", type=int, default=60, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--forecast-calls", is_flag=True, help="Also write forecast_calls.csv: reps' and managers' calls.")
@click.option("--flavor", type=click.Choice(["default", "salesforce", "hubspot"]), default="default", show_default=True,
              help="Write the extracts as that CRM exports them (for its preset) instead of the canonical tables.")
def demo_data(reps: int, seed: int, out: Path, forecast_calls: bool, flavor: str) -> None:
    """Write a realistic demo org's CRM extracts and a config.yml pointing at them."""
    from pipelines.demo import generate_demo

    if forecast_calls and flavor != "default":
        raise click.UsageError("--forecast-calls writes the canonical forecast_calls extract: use it without --flavor")
    config_file = generate_demo(out, reps=reps, seed=seed, forecast_calls=forecast_calls, flavor=flavor)
    click.secho(f"demo org written: build it with  python -m pipelines build --config {config_file}", fg="green")


@main.command()
@click.option("--base", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True)
@click.option("--head", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True)
@click.option("--limit", type=int, default=10, show_default=True, help="Largest changes listed per metric.")
def diff(base: Path, head: Path, limit: int) -> None:
    """Compare the marts of two built sites and print a markdown summary."""
    from pipelines.diff import diff_sites

    click.echo(diff_sites(base, head, limit=limit))
