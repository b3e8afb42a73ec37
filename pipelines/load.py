"""Stage 2: keep every extract as a dated Parquet snapshot, and hand the models their inputs.

A CRM only knows today; trends, slippage and forecast accuracy need yesterday too. The
snapshot store is plain Hive-partitioned Parquet (`<table>/snapshot_date=YYYY-MM-DD/part-0.parquet`)
so Spark, Trino or another DuckDB can read it without this project.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.extract import ExtractResult
from pipelines.schema import TABLES
from pipelines.sqltext import lit, q


@dataclass
class SnapshotChange:
    table: str
    status: str  # new | unchanged | replaced
    added: int = 0
    removed: int = 0
    changed: int = 0

    def describe(self) -> str:
        if self.status == "replaced":
            return f"{self.table}: replaced ({self.added} added, {self.removed} removed, {self.changed} changed)"
        return f"{self.table}: {self.status}"


@dataclass
class LoadResult:
    snapshot_date: dt.date
    warehouse: Path
    changes: list[SnapshotChange] = field(default_factory=list)


def _partition(warehouse: Path, table: str, day: dt.date) -> Path:
    return warehouse / table / f"snapshot_date={day.isoformat()}"


def _diff(con, table: str, old: Path, new: Path) -> SnapshotChange:
    """Count rows added, removed and changed (by key) between two snapshot files of one day."""
    key = TABLES[table].key
    change = SnapshotChange(table, "replaced")
    o, n = f"read_parquet({lit(str(old))})", f"read_parquet({lit(str(new))})"
    if not key:
        change.added = con.execute(f"select count(*) from (select * from {n} except all select * from {o})").fetchone()[0]
        change.removed = con.execute(f"select count(*) from (select * from {o} except all select * from {n})").fetchone()[0]
        return change
    k = ", ".join(q(c) for c in key)
    change.added = con.execute(f"select count(*) from (select {k} from {n} except select {k} from {o})").fetchone()[0]
    change.removed = con.execute(f"select count(*) from (select {k} from {o} except select {k} from {n})").fetchone()[0]
    change.changed = con.execute(
        f"select count(distinct ({k})) from (select * from {n} except select * from {o}) "
        f"where ({k}) in (select ({k}) from {o})"
    ).fetchone()[0]
    return change


def _write_snapshot(con, table: str, warehouse: Path, day: dt.date) -> SnapshotChange:
    cols = ", ".join(q(c) for c in TABLES[table].column_names)
    order = ", ".join(q(c) for c in (TABLES[table].key or TABLES[table].column_names[:2]))
    part = _partition(warehouse, table, day)
    part.parent.mkdir(parents=True, exist_ok=True)
    tmp = part.parent / f".tmp-{day.isoformat()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    con.execute(
        f"copy (select {cols} from extract_{table} order by {order}) to {lit(str(tmp / 'part-0.parquet'))} "
        "(format parquet, compression zstd)"
    )
    target = part / "part-0.parquet"
    if target.exists():
        if filecmp.cmp(target, tmp / "part-0.parquet", shallow=False):
            shutil.rmtree(tmp)
            return SnapshotChange(table, "unchanged")
        change = _diff(con, table, target, tmp / "part-0.parquet")
        old = part.parent / f".old-{day.isoformat()}"
        shutil.rmtree(old, ignore_errors=True)
        part.rename(old)
        tmp.rename(part)
        shutil.rmtree(old)
        return change
    tmp.rename(part)
    return SnapshotChange(table, "new")


def snapshot_glob(warehouse: Path, table: str) -> str:
    return str(warehouse / table / "snapshot_date=*" / "*.parquet")


def load(
    con: duckdb.DuckDBPyConnection,
    extracted: ExtractResult,
    warehouse: Path,
    snapshot_date: dt.date,
    keep_history: bool = True,
) -> LoadResult:
    """Store today's extracts as snapshots, then expose `raw_<table>` views to the models.

    `raw_opportunity_snapshots` holds every stored day of the opportunities extract: the
    models fall back to it for history when no opportunity_history extract is given.
    """
    result = LoadResult(snapshot_date, warehouse)
    for table in TABLES:
        if table in extracted.present and keep_history:
            result.changes.append(_write_snapshot(con, table, warehouse, snapshot_date))
        cols = ", ".join(q(c) for c in TABLES[table].column_names)
        con.execute(f"create or replace view raw_{table} as select {cols} from extract_{table}")
    cols = ", ".join(q(c) for c in TABLES["opportunities"].column_names)
    files = sorted((warehouse / "opportunities").glob("snapshot_date=*/*.parquet")) if keep_history else []
    if files:
        con.execute(
            f"""create or replace table raw_opportunity_snapshots as
            select cast(snapshot_date as date) as snapshot_date, {cols}
            from read_parquet({lit(snapshot_glob(warehouse, 'opportunities'))}, hive_partitioning = true)"""
        )
    else:
        con.execute(
            f"""create or replace table raw_opportunity_snapshots as
            select cast({lit(snapshot_date.isoformat())} as date) as snapshot_date, {cols} from extract_opportunities"""
        )
    con.execute(
        "create or replace table raw_sources as select * from (values "
        + ", ".join(f"({lit(t)}, {str(t in extracted.present).lower()})" for t in TABLES)
        + ") as t(table_name, present)"
    )
    return result
