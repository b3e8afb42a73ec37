"""What the tests share: the fixture folders, running the pipeline's first stages, and one-model unit tests.

`run_model` is the dbt unit-test idea: give a model hand-written rows for every table it
reads, run just that model, and compare with rows worked out by hand. It needs no fixture
org, so a formula is tested on exactly the cases that matter to it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from pipelines import models
from pipelines.catalog import load_catalog
from pipelines.extract import extract
from pipelines.load import load
from pipelines.settings import Config, load_config, parse_config
from pipelines.sqltext import lit, q

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


def models_on(config_path: Path, tmp_path: Path, snapshot_date: dt.date | None = None) -> duckdb.DuckDBPyConnection:
    """Extract, load (into a throwaway warehouse) and run every model and data test."""
    cfg = load_config(config_path)
    con = duckdb.connect()
    result = extract(cfg, con)
    load(con, result, tmp_path / "warehouse", snapshot_date or cfg.as_of or dt.date.today(), cfg=cfg)
    models.run(cfg, con)
    return con


def org_with(fixture: str, folder: Path, appended: dict[str, list[str]] | None = None) -> Path:
    """A copy of a fixture org in `folder`, with CSV lines appended to its files; its config.yml.

    How a test says "this fixture, plus one deal": the added rows are the whole of the difference, next to the
    expected values the test's docstring works out from them.
    """
    shutil.copytree(FIXTURES / fixture, folder)
    for name, lines in (appended or {}).items():
        with open(folder / name, "a", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
    return folder / "config.yml"


def rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    rel = con.execute(sql, params or [])
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def tuples(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    """The rows of a query as tuples, in column order."""
    return [tuple(r.values()) for r in rows(con, sql)]


def one(con: duckdb.DuckDBPyConnection, sql: str, *params) -> dict:
    found = rows(con, sql, list(params))
    assert len(found) == 1, found
    return found[0]


def _literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime):
        return f"timestamp {lit(value.isoformat(sep=' '))}"
    if isinstance(value, dt.date):
        return f"date {lit(value.isoformat())}"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return lit(str(value))


def _table_sql(given: list[dict] | str) -> str:
    """Rows as a query; a column that is null in every row is typed varchar unless given as SQL."""
    if isinstance(given, str):
        return given
    cols = list(given[0])
    values = ", ".join("(" + ", ".join(_literal(r.get(c)) for c in cols) + ")" for r in given)
    return f"select * from (values {values}) as t({', '.join(q(c) for c in cols)})"


def run_model(name: str, given: dict[str, list[dict] | str], as_of: str = "2026-05-15", config: dict | None = None,
              order_by: str | None = None) -> list[dict]:
    """Run one model on `given` inputs (rows or a SELECT per table it reads) and return its rows.

    Every table the model reads must be given, so a test says exactly what the model sees.
    Settings reach the SQL as in a build: defaults, or `config` (a config.yml mapping).
    """
    catalog = load_catalog()
    model = catalog.model(name)
    missing = sorted(model.refs - set(given))
    assert not missing, f"{name} also reads {missing}: give them too"
    cfg = parse_config(config or {}, ROOT / "config.yml") if config else Config()
    con = duckdb.connect()
    models.prepare(con, cfg, catalog, dt.date.fromisoformat(as_of))
    for table, value in given.items():
        con.execute(f"create table {table} as {_table_sql(value)}")
    return rows(con, f"select * from ({model.sql}) order by {order_by or 'all'}")
