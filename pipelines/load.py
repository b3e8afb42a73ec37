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
from pipelines.settings import Config
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


def _read(path: Path) -> str:
    """One snapshot file, without the partition column its folder name would add."""
    return f"read_parquet({lit(str(path))}, hive_partitioning = false)"


def _count(con, sql: str) -> int:
    return con.execute(f"select count(*) from ({sql})").fetchall()[0][0]


def _diff(con, table: str, old: Path, new: Path) -> SnapshotChange:
    """Count rows added, removed and changed (by key) between two snapshot files of one day."""
    key = TABLES[table].key
    change = SnapshotChange(table, "replaced")
    o, n = _read(old), _read(new)
    if not key:
        change.added = _count(con, f"select * from {n} except all select * from {o}")
        change.removed = _count(con, f"select * from {o} except all select * from {n}")
        return change
    k = ", ".join(q(c) for c in key)
    change.added = _count(con, f"select {k} from {n} except select {k} from {o}")
    change.removed = _count(con, f"select {k} from {o} except select {k} from {n}")
    change.changed = _count(
        con, f"select distinct {k} from (select * from {n} except select * from {o}) where ({k}) in (select ({k}) from {o})"
    )
    return change


def _same_rows(con, old: Path, new: Path) -> bool:
    o, n = _read(old), _read(new)
    only_old = f"select * from {o} except all select * from {n}"
    only_new = f"select * from {n} except all select * from {o}"
    return _count(con, f"({only_old}) union all ({only_new})") == 0


def _write_snapshot(con, table: str, warehouse: Path, day: dt.date) -> SnapshotChange:
    """Write today's rows to a scratch folder, then keep, add or swap in the day's partition.

    Rows are sorted by the table's key (or, without one, by every column), so the same extract
    always gives the same bytes. A partition whose rows are unchanged is left exactly as it was,
    even if the new file's bytes happen to differ.
    """
    cols = ", ".join(q(c) for c in TABLES[table].column_names)
    order = ", ".join(q(c) for c in (TABLES[table].key or TABLES[table].column_names))
    part = _partition(warehouse, table, day)
    part.parent.mkdir(parents=True, exist_ok=True)
    tmp = part.parent / f".tmp-{day.isoformat()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    new = tmp / "part-0.parquet"
    con.execute(
        f"copy (select {cols} from extract_{table} order by {order}) to {lit(str(new))} "
        "(format parquet, compression zstd)"
    )
    target = part / "part-0.parquet"
    if target.exists():
        if filecmp.cmp(target, new, shallow=False) or _same_rows(con, target, new):
            shutil.rmtree(tmp)
            return SnapshotChange(table, "unchanged")
        change = _diff(con, table, target, new)
        old = part.parent / f".old-{day.isoformat()}"
        shutil.rmtree(old, ignore_errors=True)
        part.rename(old)
        tmp.rename(part)
        shutil.rmtree(old)
        return change
    if part.exists():  # a partition folder without its file (an interrupted copy): replace it whole
        shutil.rmtree(part)
    tmp.rename(part)
    return SnapshotChange(table, "new")


def snapshot_glob(warehouse: Path, table: str) -> str:
    return str(warehouse / table / "snapshot_date=*" / "*.parquet")


def store_snapshots(
    con: duckdb.DuckDBPyConnection, extracted: ExtractResult, warehouse: Path, snapshot_date: dt.date
) -> list[SnapshotChange]:
    """Write (or keep, or replace) the day's snapshot of every table that was extracted."""
    return [_write_snapshot(con, t, warehouse, snapshot_date) for t in TABLES if t in extracted.present]


def load(
    con: duckdb.DuckDBPyConnection,
    extracted: ExtractResult,
    warehouse: Path,
    snapshot_date: dt.date,
    *,
    cfg: Config,
    keep_history: bool = True,
    store: bool = True,
) -> LoadResult:
    """Store today's extracts as snapshots, then make the `raw_*` inputs of the models.

    With `store=False` nothing is written yet, so a build can call `store_snapshots` only
    once its data tests passed; the models see the same rows either way. Every table the
    models read is made here (pipelines/inputs.py lists them).
    """
    result = LoadResult(snapshot_date, warehouse)
    _stamp_load_day(con, snapshot_date)
    if keep_history and store:
        result.changes = store_snapshots(con, extracted, warehouse, snapshot_date)
    for table in TABLES:
        cols = ", ".join(q(c) for c in TABLES[table].column_names)
        con.execute(f"create or replace view raw_{table} as select {cols} from extract_{table}")
    _snapshots_input(con, warehouse, snapshot_date, keep_history)
    _events_input(con, warehouse, snapshot_date, keep_history)
    _extract_inputs(con, extracted)
    _config_inputs(con, cfg)
    return result


def _snapshots_input(con, warehouse: Path, snapshot_date: dt.date, keep_history: bool) -> None:
    """`raw_opportunity_snapshots`: every stored day of opportunities, today's extract as the load day's.

    The models fall back to it for history when no opportunity_history extract is given.
    """
    cols = ", ".join(q(c) for c in TABLES["opportunities"].column_names)
    day = f"cast({lit(snapshot_date.isoformat())} as date)"
    snapshots = f"select {day} as snapshot_date, {cols} from extract_opportunities"
    if keep_history and any((warehouse / "opportunities").glob("snapshot_date=*/*.parquet")):
        snapshots = f"""select * from (
            select cast(snapshot_date as date) as snapshot_date, {cols}
            from read_parquet({lit(snapshot_glob(warehouse, 'opportunities'))}, hive_partitioning = true,
                union_by_name = true))
            where snapshot_date <> {day}
            union all {snapshots}"""
    con.execute(f"create or replace table raw_opportunity_snapshots as {snapshots}")


def _stamp_load_day(con, snapshot_date: dt.date) -> None:
    """An event's load-day column the extract left empty is the load day (`Table.load_day_column`).

    Done before the day is stored, so a source that only ever holds the current call stores one
    call per load day, and the calls build up.
    """
    day = f"cast(date {lit(snapshot_date.isoformat())} as timestamp)"
    for name, table in TABLES.items():
        if table.load_day_column:
            col = q(table.load_day_column)
            con.execute(f"update extract_{name} set {col} = {day} where {col} is null")


def _events_input(con, warehouse: Path, snapshot_date: dt.date, keep_history: bool) -> None:
    """`raw_<table>` of an event table (`Table.events`): every stored day's rows and today's, once per key.

    An event does not stop having happened because today's extract no longer lists it (a CRM that
    keeps only the current call), so the stored days are read too; a key stored on several days
    keeps its latest row (a corrected amount).
    """
    day = f"cast({lit(snapshot_date.isoformat())} as date)"
    for name, table in TABLES.items():
        if not table.events:
            continue
        cols = ", ".join(q(c) for c in table.column_names)
        rows = f"select {day} as _day, {cols} from extract_{name}"
        if keep_history and any((warehouse / name).glob("snapshot_date=*/*.parquet")):
            rows = f"""select * from (
                select cast(snapshot_date as date) as _day, {cols}
                from read_parquet({lit(snapshot_glob(warehouse, name))}, hive_partitioning = true,
                    union_by_name = true))
                where _day <> {day}
                union all {rows}"""
        key = ", ".join(q(k) for k in table.key)
        con.execute(f"drop view if exists raw_{name}")
        con.execute(
            f"""create or replace table raw_{name} as select {cols} from ({rows})
            qualify row_number() over (partition by {key} order by _day desc) = 1"""
        )


def _extract_inputs(con, extracted: ExtractResult) -> None:
    """What the extract stage found out about the files, as inputs like any other."""
    # Which optional columns the extracts gave at all: a check that needs a column the export
    # does not have says "no data" instead of counting every row as a problem.
    mapped = [(t, c) for t, r in extracted.tables.items() for c in sorted(r.mapped)]
    con.execute("create or replace table raw_columns (table_name varchar, column_name varchar)")
    if mapped:
        con.executemany("insert into raw_columns values (?, ?)", [list(m) for m in mapped])
    con.execute(
        "create or replace table raw_sources (table_name varchar, present boolean, files integer, "
        "rows_read bigint, rows_loaded bigint, rows_rejected bigint, rows_flagged bigint)"
    )
    con.executemany(
        "insert into raw_sources values (?, ?, ?, ?, ?, ?, ?)",
        [[t, r.present, len(r.files), r.read, r.loaded, r.rejected, r.flagged] for t, r in extracted.tables.items()],
    )
    con.execute(
        'create or replace view raw_quarantine as select "table" as table_name, file, "row" as row_number, '
        '"column" as column_name, value, reason, action, owner_id from quarantine'
    )
    con.execute('create or replace view raw_extract_notes as select "table" as table_name, note from extract_notes')


def _config_inputs(con, cfg: Config) -> None:
    """The stages (as the extract stage settled them: config's, or the export's own) and the per-role targets."""
    con.execute(
        "create or replace table raw_stages as select stage, kind, probability, stage_order from extract_stages "
        "order by stage_order"
    )
    con.execute("create or replace table raw_role_targets (metric varchar, role varchar, target double)")
    roles = [r[0] for r in con.execute("select distinct coalesce(role, '') from raw_reps order by 1").fetchall()]
    rows = [[metric, role, cfg.targets.for_role(metric, role or None)]
            for metric in cfg.targets.metrics() for role in dict.fromkeys(roles + [""])]
    rows = [r for r in rows if r[2] is not None]  # an unset target (targets.quota) is no data, not 0
    if rows:
        con.executemany("insert into raw_role_targets values (?, ?, ?)", rows)
