"""Stage 3: run the SQL models in dependency order, then every data test.

What the models are, how they depend on each other and which layer may read which is read
from `sql/` by `pipelines.catalog`; this module only runs them. Settings reach SQL as DuckDB
variables, so models stay plain SQL that lints and runs anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb

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
                                  f"select {cols}, count(*) as n from {m.name} group by all having count(*) > 1"))
            nulls = " or ".join(f"{c} is null" for c in m.unique)
            tests.append(DataTest(f"not_null({m.name}: {cols})", m.path, f"select * from {m.name} where {nulls}"))
        for expr in m.tests:
            tests.append(DataTest(f"{m.name}: {expr}", m.path, f"select * from {m.name} where not coalesce(({expr}), true)"))
    for path in sorted((sql_dir / "tests").glob("*.sql")):
        # A query typed in an editor often ends in `;`, which no query wrapped around it can hold.
        sql = path.read_text(encoding="utf-8").strip().removesuffix(";")
        tests.append(DataTest(path.stem, path, sql))
    return tests


def default_as_of(con) -> dt.date:
    """The latest day on which something was recorded, never later than today.

    Recorded: a deal created, a change in the deal history, an activity. Never an open deal's close date,
    which is a forecast (often months ahead), nor a closed one's, which a CRM lets reps set ahead too;
    a closed deal's close date is used only when the export records nothing else.
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
    ).fetchone()[0]
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


def run_tests(con: duckdb.DuckDBPyConnection, tests: list[DataTest]) -> None:
    """Every data test; the first failure raises with sample rows, naming how many others failed."""
    failures = []
    for t in tests:
        if not _may_fail(con, t):
            continue
        try:
            rel = con.sql(t.sql)
            cols = rel.columns
            rows = rel.limit(5).fetchall()
            # Counted on lines of their own: a test may end in a -- comment.
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
    """Run every model, then every data test; a failing test raises with sample rows."""
    catalog = load_catalog(sql_dir, cfg.build.cache_path)
    as_of = cfg.as_of or default_as_of(con)
    prepare(con, cfg, catalog, as_of)
    for model in catalog.models:
        run_model(con, model)
    tests = data_tests(catalog.models, sql_dir)
    run_tests(con, tests)
    return ModelsResult(catalog.models, len(tests), as_of, catalog)


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
