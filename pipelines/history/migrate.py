"""`history migrate`: full daily snapshots (the layout before versions) into the version store, losslessly.

The old layout kept every extract whole every day (`<table>/snapshot_date=YYYY-MM-DD/part-0.parquet`).
Migrating loads those days in order into a new, empty warehouse, exactly as if each had been
that day's extract, then reads every day back from the new store and compares it with the old
snapshot row for row (same rows, same types, same values). The old folder is only read: an
existing deployment keeps it, read-only, as the proof of what the new store was made from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import HistoryError
from pipelines.history.layout import MANIFESTS, open_store, stored_for
from pipelines.schema import DUCKDB_TYPES, TABLES
from pipelines.sqltext import lit, q

_DAY = re.compile(r"^snapshot_date=(\d{4}-\d{2}-\d{2})$")


@dataclass
class Migrated:
    days: int
    tables: int  # table-days compared
    manifests: int


def old_snapshots(src: Path) -> dict[dt.date, dict[str, Path]]:
    """Day -> canonical table -> its snapshot file, for every complete day folder of the old layout."""
    days: dict[dt.date, dict[str, Path]] = {}
    for table in TABLES:
        for folder in sorted((src / table).glob("snapshot_date=*")):
            m = _DAY.match(folder.name)
            if m and (folder / "part-0.parquet").is_file():
                days.setdefault(dt.date.fromisoformat(m[1]), {})[table] = folder / "part-0.parquet"
    return dict(sorted(days.items()))


def _as_extract(con, table: str, path: Path | None) -> None:
    """extract_<table> from one old snapshot file (a column it lacks is null), as the planner reads it."""
    cols = TABLES[table].columns
    if path is None:
        defs = ", ".join(f"{q(c.name)} {DUCKDB_TYPES[c.type]}" for c in cols)
        con.execute(f"create or replace table extract_{table} ({defs})")
        return
    src = f"read_parquet({lit(str(path))}, hive_partitioning = false)"
    have = {r[0] for r in con.execute(f"describe select * from {src}").fetchall()}
    items = [q(c.name) if c.name in have else f"cast(null as {DUCKDB_TYPES[c.type]}) as {q(c.name)}" for c in cols]
    con.execute(f"create or replace table extract_{table} as select {', '.join(items)} from {src}")


def migrate(src: Path, dst: Path, say=None, memory: str = "1GB") -> Migrated:
    """Load every old day of `src` into the empty store `dst`, then check every day against its old snapshot."""
    from pipelines.history import lock
    from pipelines.history.plan import drop_day_rows, plan_load
    from pipelines.history.write import commit, stage

    days = old_snapshots(src)
    if not days:
        raise HistoryError("holds no daily snapshots (<table>/snapshot_date=YYYY-MM-DD/part-0.parquet)", src)
    if any((dst / MANIFESTS).glob("*.json")):
        raise HistoryError("already holds a history; migrate into a new, empty folder", dst)
    manifests = 0
    with duckdb.connect(config={"memory_limit": memory}) as con:  # closed here: DuckDB removes what it spilled
        with lock(dst, 0):
            for i, (day, files) in enumerate(days.items(), 1):
                for table in TABLES:
                    _as_extract(con, table, files.get(table))
                plan = plan_load(con, open_store(dst), day, set(files))
                stage(con, plan)
                manifests += commit(plan) is not None
                drop_day_rows(con, plan)
                con.execute("drop table if exists h_opportunities_lt")
                if say and (i % 20 == 0 or i == len(days)):
                    say(f"  migrated {i} of {len(days)} days (up to {day})")
        compared = verify(con, src, dst, days)
    return Migrated(len(days), compared, manifests)


def verify(con, src: Path, dst: Path, days: dict[dt.date, dict[str, Path]]) -> int:
    """Every old snapshot against the new store as of its day: same rows (with repeats), types and values.

    The new store's tables are rebuilt as a reader rebuilds them, but a day at a time (each day's
    newest generation replaces the rows of its keys), so a year of days is checked in one pass.
    """
    from pipelines.history.layout import STORED
    from pipelines.history.plan import files_select, same_key, with_keys
    from pipelines.history.read import compose

    store = open_store(dst)
    for spec in STORED.values():
        con.execute(f"create or replace temp table m_{spec.name} as {with_keys(spec, files_select(con, store, spec, []))}")
    compared = 0
    for day, files in days.items():
        for spec in STORED.values():
            entries = [e for e in store.newest(store.verified(store.entries(spec.name, day))) if e.day == day]
            if entries:
                con.execute(f"create or replace temp table m_day as {with_keys(spec, files_select(con, store, spec, entries))}")
                con.execute(f"create or replace temp table m_{spec.name} as select s.* from m_{spec.name} s anti join "
                            f"m_day d on {same_key(spec, 's', 'd')} union all by name select * from m_day")
        for table, path in files.items():
            _compare(con, dst, table, day, path, compose(table, [f"m_{s.name}" for s in stored_for(table)]))
            compared += 1
    return compared


def _compare(con, dst: Path, table: str, day: dt.date, path: Path, rebuilt: str) -> None:
    old = f"select * from read_parquet({lit(str(path))}, hive_partitioning = false)"
    cols = ", ".join(q(c) for c in con.sql(old).columns)
    o, n = f"select {cols} from ({old})", f"select {cols} from ({rebuilt})"
    if [str(t) for t in con.sql(n).types] != [str(t) for t in con.sql(o).types]:
        raise HistoryError(f"migration check: {table} of {day} has types {con.sql(n).types}, the snapshot "
                           f"{con.sql(o).types}", dst)
    # Equal counts and nothing of the snapshot missing from the rebuilt rows: the same multiset of rows.
    n_old, n_new = (con.execute(f"select count(*) from ({x})").fetchone()[0] for x in (o, n))
    missing = con.execute(f"select count(*) from ({o} except all {n})").fetchone()[0]
    if missing or n_old != n_new:
        raise HistoryError(f"migration check: {table} of {day} differs from its snapshot ({n_old} rows, rebuilt "
                           f"{n_new}, {missing} of them missing)", dst)
