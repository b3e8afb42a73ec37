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

from pipelines.errors import ConfigError, DataTestError, ScorecardError
from pipelines.settings import Config, load_config
from pipelines.sqltext import lit


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
    from pipelines.atomic import DirLock, sweep
    from pipelines.demo import generate_demo

    calls = cfg.demo.forecast_calls
    out = cfg.build.cache_path / f"demo-{cfg.demo.reps}-{cfg.demo.seed}{'-calls' if calls else ''}"
    config_file = out / "config.yml"
    if not config_file.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        with DirLock(out.parent / ".demo.lock", f"demo cache {out.parent}", cfg.build.lock_wait_seconds, _say):
            sweep(out.parent, [".demo-"])  # what a killed generation left
            if not config_file.exists():
                _say(f"no sources configured: generating the demo org ({cfg.demo.reps} reps) into {out}")
                tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out.parent))
                generate_demo(tmp, reps=cfg.demo.reps, seed=cfg.demo.seed, forecast_calls=calls)
                shutil.rmtree(out, ignore_errors=True)
                tmp.rename(out)
    demo = load_config(config_file)
    update = {"sources": demo.sources, "base_dir": demo.base_dir, "config_file": demo.config_file, "extracts_dir": None}
    update["stages"] = cfg.stages or demo.stages
    update["as_of"] = cfg.as_of or demo.as_of
    update["org_name"] = cfg.org_name or demo.org_name
    update["is_demo"] = True
    if "fiscal_year_start_month" not in cfg.model_fields_set:
        update["fiscal_year_start_month"] = demo.fiscal_year_start_month
    return cfg.model_copy(update=update)


def prepare(config: Path, no_demo: bool = False) -> Config:
    """The validated config; without sources, the demo org's (refused with `no_demo`, as the publish workflow asks)."""
    cfg = load_config(config)
    if cfg.uses_demo and no_demo:
        raise ConfigError("configures no `sources:`, so this would build the generated demo org; --no-demo refuses "
                          "to (configure your extracts, README: config.yml)", cfg.config_file)
    return with_demo(cfg) if cfg.uses_demo else cfg


def write_quarantine(con, report: Path) -> None:
    """The quarantine report, every cell formula-safe (users open it in a spreadsheet), in a total order."""
    from pipelines.exports import formula_safe

    rel = con.sql("select * from quarantine")
    cols = ", ".join(formula_safe(c, str(t)) for c, t in zip(rel.columns, rel.types))
    order = '"table", file, "row", "column", reason, action, value, owner_id'
    con.execute(f"copy (select {cols} from quarantine order by {order}) to {lit(str(report))} (header)")


def tidy_warehouse(warehouse: Path, held) -> None:
    """Under the warehouse lock: remove the scratch and the unlisted files that killed writers left."""
    from pipelines import history

    if not held.read_only and warehouse.is_dir():
        history.tidy(history.open_store(warehouse, strict=False))


def run_build(
    cfg: Config,
    out: Path,
    warehouse: Path | None = None,
    snapshot_date: dt.date | None = None,
    report_dir: Path | None = None,
    timer: Timer | None = None,
    sql_dir: Path | None = None,
    *,
    rebuild: bool = False,
    accept_row_drop: bool = False,
) -> dict:
    """extract -> load -> models -> pages -> site, then store the day and swap the site in; returns figures.

    The site's lock, then the warehouse's (always in this order, so two builds never deadlock),
    are held throughout: a second build of either waits, or fails with one line.
    """
    from pipelines import history
    from pipelines import site as site_stage
    from pipelines.atomic import DirLock

    timer = timer or Timer()
    parent = Path(out).absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    out = parent.resolve() / Path(out).name
    warehouse = warehouse or cfg.base_dir / cfg.warehouse
    wait = cfg.build.lock_wait_seconds
    with DirLock(parent / f".{out.name}.lock", f"site {out}", wait, _say):
        site_stage.tidy(out)
        with history.lock(warehouse, wait, _say) as held:
            tidy_warehouse(warehouse, held)
            # A memory cap (build.duckdb_memory) lets DuckDB spill to disk instead of growing with the activity extract.
            spill = Path(tempfile.mkdtemp(prefix=f".{out.name}-duckdb-", dir=parent))
            con = duckdb.connect(config={"memory_limit": cfg.build.duckdb_memory, "temp_directory": str(spill)})
            try:
                options = {"rebuild": rebuild, "accept_row_drop": accept_row_drop, "read_only": held.read_only}
                return _chain(cfg, con, out, warehouse, snapshot_date, report_dir, timer, sql_dir, options)
            finally:
                con.close()
                shutil.rmtree(spill, ignore_errors=True)


def _chain(cfg, con, out, warehouse, snapshot_date, report_dir, timer, sql_dir, options) -> dict:
    """The stages in order, on one DuckDB connection: all in scratch, then the history stored, the site swapped last."""
    from pipelines import audience_sites
    from pipelines import extract as extract_stage
    from pipelines import load as load_stage
    from pipelines import models as models_stage

    with timer.stage("load"):
        day = snapshot_date or cfg.as_of or dt.date.today()
        extracted = extract_stage.extract(cfg, con, warehouse, day)
        report = (report_dir or out.parent / f".{out.name}-report") / "quarantine.csv"
        report.parent.mkdir(parents=True, exist_ok=True)
        write_quarantine(con, report)
        extract_stage.check_quality_gate(extracted, cfg, report)
        loaded = load_stage.load(con, extracted, warehouse, day, cfg=cfg, store=False, **options)
    try:
        with timer.stage("models"):
            modelled = models_stage.run(cfg, con, sql_dir or models_stage.SQL_DIR)
            models_stage.release(con, {m.name for m in modelled.catalog.marts})
        sites = audience_sites.stage(cfg, con, modelled.catalog, modelled.as_of, out, timer)
        staged = sites.staged
        try:
            with timer.stage("load"):
                load_stage.store_day(loaded)  # history first: a site is never live without its day stored
            with timer.stage("site"):
                built = staged.swap()
        finally:
            staged.discard()
    finally:
        load_stage.discard(loaded)
    return _summary(extracted, loaded, modelled, sites, built, timer, report)


def _summary(extracted, loaded, modelled, sites, built, timer: Timer, report: Path) -> dict:
    """What the build did, from each stage's own result: printed, and written by `build --timings` as JSON.

    With audiences, rep_pages and team_pages are those of the first audience, and `audiences` has each one's.
    """
    rendered = sites.pages[0]
    pages = {k: v for k, v in dataclasses.asdict(rendered).items() if k != "docs_dir"}
    return {
        "as_of": modelled.as_of.isoformat(),
        "tables": {t: vars(r) for t, r in extracted.tables.items()},
        "notes": extracted.notes + loaded.notes,
        "snapshots": [c.describe() for c in loaded.changes],
        "tests": modelled.tests_run,
        "rep_pages": rendered.rep_pages,
        "team_pages": rendered.team_pages,
        "pages": pages,
        "site": dataclasses.asdict(built),
        "seconds": timer.stages,
        "cpu_seconds": timer.cpu,
        "quarantine_report": str(report),
        "audiences": {name: {"rep_pages": r.rep_pages, "team_pages": r.team_pages}
                      for name, r in zip(sites.names, sites.pages) if name},
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
            first = next(iter(str(e).splitlines()), "")  # DuckDB's messages run on ("Did you mean ...")
            click.secho(f"internal error: {type(e).__name__}: {first} (run with --debug for the traceback)", fg="red",
                        err=True)
            ctx.exit(2)


@click.group(cls=Cli)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Sales Scorecards: CRM extracts -> DuckDB -> SQL scorecards -> static site."""


CONFIG = click.option("--config", "config", type=click.Path(path_type=Path), default=Path("config.yml"),
                      show_default=True)
SNAPSHOT_DATE = click.option("--snapshot-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
                             help="Date of today's extract (default: as_of or today).")
REBUILD = click.option("--rebuild", is_flag=True,
                       help="Store the extracts even for a day older than the newest stored one, when they differ "
                            "from what is stored for it (later days keep what they hold).")
ACCEPT_ROW_DROP = click.option("--accept-row-drop", is_flag=True,
                               help="Store an extract that has far fewer rows than its previous version "
                                    "(thresholds.max_row_drop): the drop is genuine.")
NO_DEMO = click.option("--no-demo", is_flag=True,
                       help="Fail instead of using the generated demo org when config.yml configures no sources.")


@main.command()
@CONFIG
@click.option("--out", type=click.Path(path_type=Path), default=Path("site"), show_default=True)
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help="History store (default: config `warehouse`).")
@SNAPSHOT_DATE
@click.option("--timings", type=click.Path(path_type=Path), default=None, help="Write stage timings and counts as JSON.")
@REBUILD
@ACCEPT_ROW_DROP
@NO_DEMO
def build(config: Path, out: Path, warehouse: Path | None, snapshot_date, timings: Path | None, rebuild: bool,
          accept_row_drop: bool, no_demo: bool) -> None:
    """Load the extracts, run models and data tests, render pages, store the day's history, swap the site in."""
    timer = Timer()
    with timer.stage("config"):
        cfg = prepare(config, no_demo)
    summary = run_build(cfg, out, warehouse, snapshot_date.date() if snapshot_date else None, timer=timer,
                        rebuild=rebuild, accept_row_drop=accept_row_drop)
    for t, r in summary["tables"].items():
        if r["present"]:
            _say(f"  {t}: {r['loaded']} of {r['read']} rows loaded, {r['rejected']} rejected, {r['flagged']} flagged")
    for note in summary["notes"]:
        click.secho(f"  note: {note}", fg="yellow", err=True)
    _say(f"  history: {'; '.join(summary['snapshots'])}")
    if summary["audiences"]:
        _say(f"  {summary['tests']} data tests passed; audiences: " + ", ".join(
            f"{name} ({a['rep_pages']} rep pages, {a['team_pages']} team pages)" for name, a in summary["audiences"].items()))
        _say(f"  access: {out / 'access.json'} and {out / 'nginx-oauth2-proxy.conf'} say who each folder is for "
             "(README: Hosting audiences)")
    else:
        _say(f"  {summary['tests']} data tests passed; {summary['rep_pages']} rep pages, {summary['team_pages']} team pages")
    _say("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in timer.stages.items()))
    if timings:
        timings.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    index = out.resolve() / "index.html"
    click.secho(f"site built: open {index} (or run: python -m http.server -d {out} 8000)", fg="green")


@main.command()
@CONFIG
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help="History store (default: config `warehouse`).")
@SNAPSHOT_DATE
@REBUILD
@ACCEPT_ROW_DROP
@NO_DEMO
def load(config: Path, warehouse: Path | None, snapshot_date, rebuild: bool, accept_row_drop: bool,
         no_demo: bool) -> None:
    """Store today's extracts in the history (only what changed since the day before)."""
    from pipelines import extract as extract_stage
    from pipelines import history
    from pipelines import load as load_stage

    cfg = prepare(config, no_demo)
    warehouse = warehouse or cfg.base_dir / cfg.warehouse
    day = snapshot_date.date() if snapshot_date else (cfg.as_of or dt.date.today())
    with history.lock(warehouse, cfg.build.lock_wait_seconds, _say) as held:
        tidy_warehouse(warehouse, held)
        con = duckdb.connect(config={"memory_limit": cfg.build.duckdb_memory})
        try:  # closed here, not whenever Python frees it: DuckDB then removes what it spilled
            extracted = extract_stage.extract(cfg, con, warehouse, day)
            for note in extracted.notes:
                click.secho(f"  note: {note}", fg="yellow", err=True)
            extract_stage.check_quality_gate(extracted, cfg)
            result = load_stage.load(con, extracted, warehouse, day, cfg=cfg, rebuild=rebuild,
                                     accept_row_drop=accept_row_drop, read_only=held.read_only)
        finally:
            con.close()
    for note in result.notes:
        click.secho(f"  note: {note}", fg="yellow", err=True)
    for change in result.changes:
        _say(f"  {change.describe()}")
    click.secho(f"history of {day.isoformat()} stored in {result.warehouse}", fg="green")


@main.command("demo-data")
@click.option("--reps", type=int, default=60, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--forecast-calls", is_flag=True, help="Also write forecast_calls.csv: reps' and managers' calls.")
@click.option("--flavor", type=click.Choice(["default", "salesforce", "hubspot"]), default="default", show_default=True,
              help="Write the extracts as that CRM exports them (for its preset) instead of the canonical tables.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The org's reporting day: its data runs up to it (default 2026-11-18, day 18 of a quarter).")
def demo_data(reps: int, seed: int, out: Path, forecast_calls: bool, flavor: str, as_of) -> None:
    """Write a realistic demo org's CRM extracts and a config.yml pointing at them."""
    from pipelines.demo import DEMO_AS_OF, generate_demo

    if forecast_calls and flavor != "default":
        raise click.UsageError("--forecast-calls writes the canonical forecast_calls extract: use it without --flavor")
    config_file = generate_demo(out, reps=reps, seed=seed, as_of=as_of.date() if as_of else DEMO_AS_OF,
                                forecast_calls=forecast_calls, flavor=flavor)
    click.secho(f"demo org written: build it with  python -m pipelines build --config {config_file}", fg="green")


@main.command("warm-cache")
@CONFIG
def warm_cache(config: Path) -> None:
    """Fill build.cache_dir as a first build would, so the first real build pays none of it (make install runs it).

    A build caches what costs seconds to make and never changes between builds: the Vega bundle (1.7 s to
    make), the theme's and the pages' templates as Jinja compiles them, and the tables each SQL model reads.
    A fresh checkout's first build made them itself: about 2 s more, most of it in the site stage (a
    5,000-rep build's site stage: 7.9 s cold, 6.0-6.2 s warm). Building a 4-rep demo org in a scratch folder,
    with the config's `build:` settings and nothing else of it, makes exactly what a build would; the org, its
    site and its history go with the scratch folder.
    """
    from pipelines.demo import generate_demo
    from pipelines.site import vega_bundle_file

    settings = load_config(config).build
    with tempfile.TemporaryDirectory(prefix="scorecards-warm-") as scratch:
        tiny = load_config(generate_demo(Path(scratch) / "org", reps=4, seed=42))
        try:
            run_build(tiny.model_copy(update={"build": settings}), Path(scratch) / "site", Path(scratch) / "warehouse")
        except ScorecardError as e:  # the generated org is ours: its failure is a bug, not the user's to fix
            raise RuntimeError(f"the 4-rep demo org did not build: {e}") from e
    cache = settings.cache_path
    # A cache that cannot be written is no cache (`write_cache`): builds still work, making it all each time.
    if not vega_bundle_file(cache).exists():
        click.secho(f"  note: nothing could be kept in {cache} (build.cache_dir): every build makes its Vega bundle "
                    "and compiles its templates itself", fg="yellow", err=True)
        return
    click.secho(f"caches filled in {cache}", fg="green")


@main.command()
@click.option("--base", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True)
@click.option("--head", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True)
@click.option("--limit", type=int, default=10, show_default=True, help="Largest changes listed per metric.")
def diff(base: Path, head: Path, limit: int) -> None:
    """Compare the marts of two built sites and print a markdown summary."""
    from pipelines.diff import diff_sites

    click.echo(diff_sites(base, head, limit=limit))


# --- history ----------------------------------------------------------------------------------


@main.group("history")
def history_group() -> None:
    """Check, repair and migrate the stored history (README: History)."""


def _warehouse_of(config: Path, warehouse: Path | None) -> Path:
    """--warehouse, else the config's `warehouse` (read without generating the demo org)."""
    if warehouse is not None:
        return warehouse
    cfg = load_config(config)
    return cfg.base_dir / cfg.warehouse


@history_group.command("check")
@CONFIG
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help="History store (default: config `warehouse`).")
def history_check(config: Path, warehouse: Path | None) -> None:
    """Compare every stored file with its manifest's sha256; list what is damaged, dropped or left over."""
    from pipelines.errors import HistoryError
    from pipelines.history import repair

    root = _warehouse_of(config, warehouse)
    if not root.is_dir():
        raise HistoryError("is not a folder: there is no history here yet", root)
    problems = repair.check(root)
    for p in problems:
        _say(f"  {p.rel}: {p.what}{f' ({p.detail})' if p.detail else ''}")
    bad = [p for p in problems if p.what in ("damaged", "unreadable manifest")]
    if bad:
        raise HistoryError(f"{len(bad)} damaged file(s), the first {bad[0].rel}; fix with `python -m pipelines history "
                           "repair` (with --snapshot-date DAY and that day's extracts to reload the day)", root)
    from pipelines.history import open_store

    store = open_store(root)
    click.secho(f"history ok: {len(store.manifests)} load(s) up to {store.newest_day}, {len(store.files)} file(s) "
                f"match their manifests", fg="green")


@history_group.command("repair")
@CONFIG
@click.option("--warehouse", type=click.Path(path_type=Path), default=None, help="History store (default: config `warehouse`).")
@click.option("--snapshot-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Reload this day from the config's extracts (they must be that day's).")
def history_repair(config: Path, warehouse: Path | None, snapshot_date) -> None:
    """Repair the history: reload the given day from its extracts, drop other damaged files with a record."""
    from pipelines import extract as extract_stage
    from pipelines import history
    from pipelines.history import repair

    con = duckdb.connect()
    day, present = None, set()
    if snapshot_date is not None:
        cfg = prepare(config)
        extracted = extract_stage.extract(cfg, con)
        day, present = snapshot_date.date(), extracted.present
    root = _warehouse_of(config, warehouse)
    with history.lock(root, 0, _say):
        lines = repair.repair(con, root, day, present)
    for line in lines:
        _say(f"  {line}")
    click.secho(f"history repaired: {len(lines)} change(s) in {root}" if lines else f"nothing to repair in {root}",
                fg="green")


@history_group.command("migrate")
@click.option("--from", "src", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True,
              help="A warehouse of full daily snapshots (<table>/snapshot_date=YYYY-MM-DD/part-0.parquet).")
@click.option("--to", "dst", type=click.Path(path_type=Path), required=True, help="A new, empty folder.")
def history_migrate(src: Path, dst: Path) -> None:
    """Load full daily snapshots into the version store, then check every day against its snapshot."""
    from pipelines.history.migrate import migrate

    result = migrate(src, dst, say=_say)
    click.secho(f"migrated {result.days} day(s) into {dst}: {result.tables} daily snapshot(s) read back identical",
                fg="green")
