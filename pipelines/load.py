"""Stage 2: keep every extract's history, and hand the models their inputs.

A CRM only knows today; trends, slippage and forecast accuracy need yesterday too. The
history is a change-based, append-only store of plain Hive-partitioned Parquet
(`pipelines.history`), so Spark, Trino or another DuckDB can read it without this project.
This stage plans the day's versions (reading, and checking, only the stored files it needs),
applies the sanity gates, and makes the `raw_*` inputs; the day is stored by `store`, which a
build calls only once its site is ready to be swapped in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import gates, history
from pipelines.extract import ExtractResult
from pipelines.history.layout import DELETED, VOLATILE, Store
from pipelines.history.plan import Plan, TableChange, drop_day_rows, lit_date
from pipelines.schema import TABLES
from pipelines.settings import Config
from pipelines.sqltext import lit, q

# Kept importable: the load's report line per table was called a snapshot change.
SnapshotChange = TableChange


@dataclass
class LoadResult:
    snapshot_date: dt.date
    warehouse: Path
    changes: list[TableChange] = field(default_factory=list)
    plan: Plan | None = None
    stored: bool = False
    notes: list[str] = field(default_factory=list)  # what loading did besides storing (a repaired file)


def load(
    con: duckdb.DuckDBPyConnection,
    extracted: ExtractResult,
    warehouse: Path,
    snapshot_date: dt.date,
    *,
    cfg: Config,
    keep_history: bool = True,
    store: bool = True,
    rebuild: bool = False,
    accept_row_drop: bool = False,
    read_only: bool = False,
) -> LoadResult:
    """Plan the day's history, check the extracts, make the `raw_*` inputs, and (with `store`) store the day.

    With `store=False` nothing is written yet, so a build can call `store()` only once its site
    is built; the models see the same rows either way. `keep_history=False` reads and writes no
    history (the day is all there is). The caller holds the warehouse lock (`history.lock`).
    Every table the models read is made here (pipelines/inputs.py lists them).
    """
    result = LoadResult(snapshot_date, warehouse)
    _stamp_load_day(con, snapshot_date)
    for table in TABLES:
        cols = ", ".join(q(c) for c in TABLES[table].column_names)
        con.execute(f"create or replace view raw_{table} as select {cols} from extract_{table}")
    _extract_inputs(con, extracted)
    _config_inputs(con, cfg)
    gates.check_required(extracted)
    stored = history.open_store(warehouse) if keep_history else Store(warehouse)
    if keep_history and not read_only:
        stored, result.notes = _repair_load_day(con, stored, snapshot_date, extracted.present)
    plan = history.plan_load(con, stored, snapshot_date, extracted.present, rebuild)
    result.plan, result.changes = plan, plan.changes
    gates.check_row_drop(plan, extracted, cfg.thresholds.max_row_drop, accept_row_drop)
    if keep_history:
        history.refuse_rewrite(plan)
        history.refuse_read_only(plan, read_only)
    _versions_input(con, plan, _as_of(con, cfg))
    _events_input(con, stored, snapshot_date, extracted.present, keep_history)
    if keep_history:
        history.stage(con, plan)
    drop_day_rows(con, plan)
    if keep_history and store:
        store_day(result)
    return result


def _repair_load_day(con, stored: Store, day: dt.date, present: set[str]) -> tuple[Store, list[str]]:
    """Loading a day again repairs its damaged files: the extracts at hand are that day's.

    A file they reproduce byte for byte is put back; any other is dropped with a record, and the
    day is stored again when the build stores it. Damage on other days stops the build (plan).
    """
    from pipelines.history import repair

    wanted = {s.name for t in present for s in history.stored_for(t)}
    if not any(e.day == day and e.table in wanted and e.rel not in stored.dropped and stored.damage(e)
               for e in stored.files.values()) or not history.writable(stored.root):
        return stored, []
    lines, _ = repair.repair_day(con, stored.root, day, present)
    return history.open_store(stored.root), [f"history: {line}" for line in lines]


def store_day(loaded: LoadResult) -> list[TableChange]:
    """Put the staged day into the warehouse (a no-op when it is stored already); the report lines."""
    if loaded.plan is not None and loaded.plan.staged is not None and not loaded.stored:
        history.commit(loaded.plan)
        loaded.stored = True
    return loaded.changes


def discard(loaded: LoadResult | None) -> None:
    """Forget a staged day that will not be stored (the build failed)."""
    if loaded is not None and loaded.plan is not None and not loaded.stored:
        history.discard(loaded.plan)


def _as_of(con, cfg: Config) -> dt.date:
    from pipelines.models import default_as_of

    return cfg.as_of or default_as_of(con)


def _versions_input(con, plan: Plan, as_of: dt.date) -> None:
    """`raw_opportunity_versions`: the stored deal versions up to as_of, and the load day's own.

    Stored history after as_of is left out, so a build of an earlier day sees what that day's
    first build saw. The load day's versions are the ones this load stores (or stored).
    """
    volatile = set(VOLATILE["opportunities"])
    cols = ", ".join(q(c) for c in TABLES["opportunities"].column_names if c not in volatile)
    day = lit_date(plan.day)
    con.execute(
        f"""create or replace table raw_opportunity_versions as
        select valid_from, {cols}, {DELETED} as is_removed from h_opportunities_lt
        where valid_from < {day} and valid_from <= {lit_date(as_of)}
        union all
        select {day} as valid_from, {cols}, {DELETED} as is_removed from h_opportunities_new"""
    )
    con.execute("drop table if exists h_opportunities_lt")


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


def _events_input(con, stored: Store, day: dt.date, present: set[str], keep_history: bool) -> None:
    """`raw_<table>` of an event table (`Table.events`): every call stored before the load day, and today's.

    An event does not stop having happened because today's extract no longer lists it (a CRM that
    keeps only the current call), so its stored table keeps every key it ever saw (no tombstones,
    `pipelines.history.layout`); today's row of a key wins (a corrected amount). Only days before
    the load day are read, so an earlier day rebuilt with --rebuild sees what it saw then.
    """
    from pipelines.history.read import as_of

    for name, table in TABLES.items():
        if not table.events or not keep_history or not stored.load_days(name):
            continue
        cols = ", ".join(q(c) for c in table.column_names)
        key = " and ".join(f"s.{q(k)} is not distinct from e.{q(k)}" for k in table.key)
        today = f"select {cols} from extract_{name}" if name in present else None
        past = f"select {cols} from ({as_of(con, stored, name, day - dt.timedelta(days=1))}) s"
        if today:
            past += f" anti join extract_{name} e on {key}"
        con.execute(f"drop view if exists raw_{name}")
        con.execute(f"create or replace table raw_{name} as {past}" + (f" union all {today}" if today else ""))


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
