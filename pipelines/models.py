"""Stage 3: run the SQL models in dependency order, then every data test.

What the models are, how they depend on each other and which layer may read which is read
from `sql/` by `pipelines.catalog`; this module only runs them. Settings reach SQL as DuckDB
variables, so models stay plain SQL that lints and runs anywhere.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines import workers
from pipelines.catalog import SQL_DIR, Catalog, Model, discover, load_catalog
from pipelines.errors import DataTestError, ModelError
from pipelines.forecast import category_map_sql
from pipelines.settings import DIMENSIONS, Config
from pipelines.sqltext import lit, q

__all__ = ["SQL_DIR", "DataTest", "Model", "ModelsResult", "data_tests", "discover", "run"]


@dataclass
class DataTest:
    name: str
    file: Path
    sql: str
    # The one model it reads, for a grain test; None: it may read any (a header's expression may hold a subquery).
    model: str | None = None


@dataclass
class ModelsResult:
    models: list[Model]
    tests_run: int
    as_of: dt.date
    catalog: Catalog | None = None


def data_tests(models: list[Model], sql_dir: Path = SQL_DIR) -> list[DataTest]:
    """Generated grain tests from headers, plus the singular tests in sql/tests/."""
    tests = []
    for m in models:
        if m.unique:
            cols = ", ".join(m.unique)
            tests.append(DataTest(f"unique({m.name}: {cols})", m.path,
                                  f"select {cols}, count(*) as n from {m.name} group by all having count(*) > 1",
                                  m.name))
            nulls = " or ".join(f"{c} is null" for c in m.unique)
            tests.append(DataTest(f"not_null({m.name}: {cols})", m.path, f"select * from {m.name} where {nulls}",
                                  m.name))
        for expr in m.tests:
            tests.append(DataTest(f"{m.name}: {expr}", m.path, f"select * from {m.name} where not coalesce(({expr}), true)"))
    for path in sorted((sql_dir / "tests").glob("*.sql")):
        # A query typed in an editor often ends in `;`, which no query wrapped around it can hold.
        sql = path.read_text(encoding="utf-8").strip().removesuffix(";")
        tests.append(DataTest(path.stem, path, sql))
    return tests


def default_as_of(con) -> dt.date:
    """The latest day on which something was recorded, never later than today.

    Recorded: a deal created, a change in the deal history, an activity. Never a deal's last activity date, which
    Salesforce sets to its furthest scheduled event (a meeting next week would date the whole export then), nor
    an open deal's close date, which is a forecast (often months ahead), nor a closed one's, which a CRM lets
    reps set ahead too; a closed deal's close date is used only when the export records nothing else.
    """
    row = con.execute(
        """select coalesce(
            greatest(
                (select max(created_date) from raw_opportunities where created_date <= current_date),
                (select max(activity_date) from raw_activities where activity_date <= current_date),
                (select max(cast(changed_at as date)) from raw_opportunity_history
                 where cast(changed_at as date) <= current_date)),
            (select max(o.close_date) from raw_opportunities as o inner join raw_stages as s on o.stage = s.stage
             where s.kind in ('won', 'lost') and o.close_date <= current_date))"""
    ).fetchall()[0][0]
    return row or dt.date.today()


def _sql_list(values) -> str:
    return "[" + ", ".join(lit(v) if isinstance(v, str) else str(float(v)) for v in values) + "]"


def variables(cfg: Config, as_of: dt.date) -> dict[str, str]:
    """Every setting the SQL reads with getvariable(), as a SQL literal."""
    t, g = cfg.thresholds, cfg.grades
    values = {
        "as_of": f"date {lit(as_of.isoformat())}",
        "fiscal_start_month": str(cfg.fiscal_year_start_month),
        "fiscal_year_offset": "1" if (cfg.fiscal_year_named_by == "end" and cfg.fiscal_year_start_month != 1) else "0",
        "deviation": str(t.deviation),
        "stuck_stage_multiple": str(t.stuck_stage_multiple),
        "stuck_no_activity_days": str(t.stuck_no_activity_days),
        "untouched_days": str(t.untouched_days),
        "manager_selling_share": str(t.manager_selling_share),
        "new_hire_months": str(t.new_hire_months),
        "min_closed_deals": str(t.min_closed_deals),
        "min_won_deals": str(t.min_won_deals),
        "min_activity_days": str(t.min_activity_days),
        "min_expected_share": str(t.min_expected_share),
        "grade_precision": str(g.precision),
        "grade_roles": _sql_list(g.roles or []) + "::varchar[]",
        "grade_require_quota": str(g.require_quota).lower(),
        "grade_min_dimensions": str(g.min_dimensions),
        "pace_quarters": str(g.pace_quarters),
        "ramp": _sql_list(cfg.targets.ramp) + "::double[]",
        "publish_emails": str(cfg.privacy.publish_emails).lower(),
        "contest_metric": lit(cfg.site.contest_metric),
        "contest_period": lit(cfg.site.contest_period),
        "contest_includes_managers": str(cfg.site.contest_includes_managers).lower(),
        "contest_includes_departed": str(cfg.site.contest_includes_departed).lower(),
        "forecast_categories": category_map_sql(cfg),
        "forecast_checkpoint_days": str(cfg.forecast.checkpoint_days),
        "forecast_stale_days": str(cfg.forecast.stale_days),
        "forecast_min_quarters": str(cfg.forecast.min_quarters),
    }
    cutoffs = ", ".join(f"{lit(dim)}: {_sql_list(g.cutoffs_for(dim))}" for dim in DIMENSIONS)
    values["grade_cutoffs"] = f"map {{{cutoffs}}}::map(varchar, double[])"
    return values


def prepare(con: duckdb.DuckDBPyConnection, cfg: Config, catalog: Catalog, as_of: dt.date) -> None:
    """Variables and macros: what every model may use before the first one runs."""
    for name, value in variables(cfg, as_of).items():
        con.execute(f"set variable {name} = {value}")
    for macro in catalog.macros:
        try:
            con.execute(macro.sql)
        except duckdb.Error as e:
            raise ModelError(f"macro {macro.name} failed: {str(e).splitlines()[0]}", macro.path) from e


def run_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Build one model as a table (or a view: `materialized: view`), and check that its header documents what it
    returns."""
    try:
        con.execute(f"create or replace {model.materialized} {model.name} as {model.sql}")
    except duckdb.Error as e:
        raise ModelError(f"model {model.name} failed: {str(e).splitlines()[0]}", model.path) from e
    described = con.execute(f"describe {model.name}").fetchall()
    model.check_output([r[0] for r in described], [r[1] for r in described])


def _may_fail(con: duckdb.DuckDBPyConnection, test: DataTest) -> bool:
    """Whether a test returns any row, asked as one plain `exists` statement.

    Almost every test passes, and this costs half what preparing the test's relation and fetching
    from it does (0.13 against 0.30 CPU s for the 167 tests of a 50-rep org), so only a test that
    returns rows, or cannot run, is run again to say how (its error, its rows)."""
    try:
        return con.execute(f"select exists (\n{test.sql}\n)").fetchall()[0][0]
    except duckdb.Error:
        return True


def run_tests(con: duckdb.DuckDBPyConnection, tests: list[DataTest], may_fail: set[int] | None = None) -> None:
    """Every data test; the first failure raises with sample rows, naming how many others failed.

    `may_fail`, when given, holds the positions of the only tests that may fail: the others were
    asked already (`_may_fail`, in `run_models`' threads) and returned no row."""
    failures = []
    for i, t in enumerate(tests):
        if not (i in may_fail if may_fail is not None else _may_fail(con, t)):
            continue
        try:
            rel = con.sql(t.sql)
            cols = rel.columns
            rows = rel.limit(5).fetchall()
            if rows:
                # In a set order, on lines of their own (a test may end in a -- comment): the rows come back in
                # whichever order DuckDB's threads finish, and the message must be the same every time.
                rows = con.execute(f"select * from (\n{t.sql}\n) order by all limit 5").fetchall()
            n = con.execute(f"select count(*) from (\n{t.sql}\n)").fetchall()[0][0] if rows else 0
        except duckdb.Error as e:
            raise ModelError(f"data test {t.name} could not run: {str(e).splitlines()[0]}", t.file) from e
        if rows:
            failures.append((t, n, [dict(zip(cols, r)) for r in rows]))
    if failures:
        t, n, sample = failures[0]
        others = f"; {len(failures) - 1} more test(s) failed" if len(failures) > 1 else ""
        raise DataTestError(f"data test {t.name} failed on {n} row(s), e.g. {sample[0]}{others}", t.file, sample)


def run(cfg: Config, con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> ModelsResult:
    """Run every model, then every data test; a failing test raises with sample rows.

    With more than one job (`build.jobs`, by default one per core) and room in DuckDB's memory
    (`room_for_two`), the models and tests run on two threads (`run_models`); otherwise one by
    one on `con`."""
    catalog = load_catalog(sql_dir, cfg.build.cache_path)
    as_of = cfg.as_of or default_as_of(con)
    prepare(con, cfg, catalog, as_of)
    tests = data_tests(catalog.models, sql_dir)
    jobs = workers.available_cores() if cfg.build.jobs is None else cfg.build.jobs
    if jobs <= 1 or not room_for_two(con):
        for model in catalog.models:
            run_model(con, model)
        run_tests(con, tests)
    else:
        session = [f"set variable {n} = {v}" for n, v in variables(cfg, as_of).items()]
        may_fail = run_models(con, catalog.models, tests, jobs, session)
        run_tests(con, tests, may_fail)
    return ModelsResult(catalog.models, len(tests), as_of, catalog)


_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40, "PiB": 2**50}


def room_for_two(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether DuckDB has room to run two models at once: it has spilled nothing, and holds under half its limit.

    Models side by side gain only when each has the memory it needs. Where the extracts alone
    fill DuckDB's limit (5,000 reps and more with the default 800MB: they had spilled 666 MB when
    the models started), two models at once only fight over it: no faster, 1.5 CPU s more, and
    the build's peak about 25 MB higher, with the memory targets met by 17 MB.
    """
    held, spilled, limit = con.execute(
        "select coalesce(sum(memory_usage_bytes), 0), coalesce(sum(temporary_storage_bytes), 0), "
        "current_setting('memory_limit') from duckdb_memory()"
    ).fetchall()[0]
    number, _, unit = str(limit).partition(" ")
    try:
        cap = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        return False  # a limit DuckDB words another way: one model at a time, as before
    return spilled == 0 and held < cap / 2


def session_of(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The statements that set a new cursor of `con` up like `con`: DuckDB shares the database's tables and
    macros, but keeps the time zone, `use`, variables and temporary objects per connection (the build
    makes none a model may read: `catalog` refuses a reference to a temporary table, and the
    extract's `parse_date` is a macro of the database). Variables are the caller's to add."""
    # fetchall, never fetchone: a result left pending keeps `con`'s transaction open, and `con.sql` would
    # then not see the tables the cursors create (run_tests found no int_a that a cursor had just built).
    zone, database = con.execute("select current_setting('TimeZone'), current_database()").fetchall()[0]
    return [f"set TimeZone = {lit(zone)}", f"use {q(database)}"]


def cursor_like(con: duckdb.DuckDBPyConnection, session: list[str]) -> duckdb.DuckDBPyConnection:
    """A new cursor of `con`, for another thread, set up by `session` (`session_of` and any variables)."""
    cur = con.cursor()
    for statement in session:
        cur.execute(statement)
    return cur


class _Cursors:
    """One cursor of `con` per thread, each set up like `con` (`session_of`) and with the build's variables."""

    def __init__(self, con: duckdb.DuckDBPyConnection, session: list[str]):
        self._con, self._session = con, [*session_of(con), *session]  # asked here: never from two threads
        self._local, self._lock, self._all = threading.local(), threading.Lock(), []

    def get(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = cursor_like(self._con, self._session)
            with self._lock:
                self._all.append(cur)
        return cur

    def interrupt(self) -> None:
        for cur in self._all:
            cur.interrupt()

    def close(self) -> None:
        for cur in self._all:
            cur.close()


def run_models(con: duckdb.DuckDBPyConnection, models: list[Model], tests: list[DataTest], jobs: int,
               session: list[str]) -> set[int]:
    """Run `models` (in dependency order) as soon as what each reads is built, on up to two threads (fewer if `jobs`
    is 1), each with its own cursor; ask each data test whether it may fail (`_may_fail`) once what it reads is built. Returns the positions
    in `tests` of those that may fail, for `run_tests` to run again and report.

    Most models are small: one of them leaves DuckDB's other threads idle while Python and
    DuckDB's planner work, and a chain of them leaves cores idle for most of the stage. So
    models whose inputs are built run side by side: at 50 reps the stage went 0.79 -> 0.55 s, at
    1,000 reps 2.27 -> 1.82 s. At 5,000 reps DuckDB's memory limit, not a core, holds the
    models back, and `run` does not call this (`room_for_two`).
    """
    plan, cursors = _Plan(models, tests), _Cursors(con, session)
    # Two at most: `room_for_two` made room for two, and every model uses DuckDB's threads besides.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, 2), thread_name_prefix="models")
    try:
        running: dict[concurrent.futures.Future, Model | int] = {}
        while True:
            for what in plan.ready():
                if isinstance(what, int):
                    running[pool.submit(_may_fail_on, cursors, tests[what])] = what
                else:
                    running[pool.submit(_run_model_on, cursors, what)] = what
            if not running:
                break
            finished, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                plan.finished(running.pop(future), future)
    except BaseException:  # Ctrl-C, or a bug: nothing queued starts, and what runs is interrupted
        pool.shutdown(wait=False, cancel_futures=True)
        cursors.interrupt()
        raise
    finally:
        pool.shutdown(wait=True)
        cursors.close()
    return plan.outcome()


def _run_model_on(cursors: _Cursors, model: Model) -> None:
    run_model(cursors.get(), model)


def _may_fail_on(cursors: _Cursors, test: DataTest) -> bool:
    return _may_fail(cursors.get(), test)


class _Plan:
    """What `run_models` may start next, and what it found.

    What is raised is what a run one by one would raise: the first model in `models`' order
    that fails. So after a failure only the models before it in that order are still started
    (one of them may fail too), never one that reads a failed model, and no more tests. A test
    that could not be asked for another reason than DuckDB's (a bug) is raised only when no
    model failed.
    """

    def __init__(self, models: list[Model], tests: list[DataTest]):
        names = {m.name for m in models}
        self.models, self.order = models, {m.name: i for i, m in enumerate(models)}
        self.waiting = {m.name: {r for r in m.refs if r in names and r != m.name} for m in models}
        # A grain test reads its model; any other test may read any model (a header's test may hold a subquery).
        self.test_needs = [{t.model} if t.model in names else names for t in tests]
        self.started: set[str | int] = set()
        self.done: set[str] = set()
        self.failed: dict[str, BaseException] = {}
        self.may_fail: set[int] = set()
        self.test_error: BaseException | None = None

    def ready(self) -> list[Model | int]:
        stop = min((self.order[n] for n in self.failed), default=len(self.models))
        got: list[Model | int] = [m for m in self.models[:stop]
                                  if m.name not in self.started and not self.waiting[m.name] - self.done]
        if not self.failed:
            got += [i for i, needs in enumerate(self.test_needs) if i not in self.started and not needs - self.done]
        self.started.update(m if isinstance(m, int) else m.name for m in got)
        return got

    def finished(self, what: Model | int, future: concurrent.futures.Future) -> None:
        if isinstance(what, int):
            if future.exception() is not None:  # not a DuckDB error (`_may_fail` keeps those): raised after models'
                self.test_error = self.test_error or future.exception()
            elif future.result():
                self.may_fail.add(what)
        elif future.exception() is not None:
            self.failed[what.name] = future.exception()
        else:
            self.done.add(what.name)

    def outcome(self) -> set[int]:
        if self.failed:
            raise self.failed[min(self.failed, key=self.order.__getitem__)]
        if self.test_error is not None:
            raise self.test_error
        return self.may_fail


def release(con: duckdb.DuckDBPyConnection, keep: set[str]) -> None:
    """Drop every table and view but `keep`, and hand the memory DuckDB freed back to the system.

    A build calls it twice. Once the data tests have passed, the pages and downloads read marts
    only (pipelines.page_data), so the extracts and the staging and intermediate models (most of
    DuckDB's memory, the activity extract above all) go; once the pages and downloads are
    written, MkDocs needs nothing from DuckDB and the marts go too. Dropping frees the memory
    inside DuckDB, and `give_back_memory` returns it to the system.
    """
    found = con.execute(
        "select table_name, table_type from information_schema.tables where table_schema = 'main' "
        "and table_catalog = current_database()"
    ).fetchall()
    for name, kind in found:
        if name not in keep:
            con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} if exists {q(name)}")
    give_back_memory(con)


def give_back_memory(con: duckdb.DuckDBPyConnection) -> None:
    """Hand the memory DuckDB has freed but still holds back to the system.

    DuckDB's allocator keeps what a finished query used (a sort's buffers, a fetched result) until
    its memory limit is lowered. The pages stage calls this before its first fork and once a batch,
    after the queries it runs while page workers render (the next batch's rows, the downloads' sorted
    COPYs): otherwise what they used stays in the parent at the moment the workers are largest, the
    build's peak (about 100 MB at 5,000 reps), when nothing will use it again.
    """
    limit, used = con.execute(
        "select current_setting('memory_limit'), (select sum(memory_usage_bytes) from duckdb_memory())"
    ).fetchone()
    try:
        con.execute(f"set memory_limit = '{int(used or 0) // 2**20 + 64}MiB'")
    except duckdb.Error:
        pass  # DuckDB could not get down to it: the memory stays DuckDB's, the build is no different
    con.execute(f"set memory_limit = {lit(limit)}")
