"""The history store: every extract kept as versions, append-only, checked, readable as of any day.

A CRM only knows today; trends, slippage and forecast accuracy need the past. A full copy of
every extract every day repeats yesterday almost entirely (36 MB a day at 5,000 reps), so the
store keeps changes only:

    <warehouse>/<table>/valid_from=YYYY-MM-DD/part-<generation>.parquet
    <warehouse>/_manifests/YYYY-MM-DD[.<n>].json
    <warehouse>/_repairs/<when>.json

* One row per key per version (SCD type 2). A day's load writes, per table that changed, one
  file with that day's new versions and a tombstone (`_deleted`) for each key that left the
  extract; an unchanged table writes nothing. `valid_to` is derived on read (the next version's
  `valid_from`), never written, so no stored file ever changes.
* The deal's `last_activity_date` (activities move it daily) is kept in the narrow side table
  `opportunities_volatile`, so an ordinary day versions only the deals that really changed.
* A corrected extract of a stored day is a new generation of that day's file; a key's row of
  the newest generation wins. An older day is rewritten only with `--rebuild`, and then the next
  load day gets the rows that keep everything after it as it was (`pipelines.history.plan`).
* A manifest per load names the files it wrote with their sha256; readers use listed files
  only, and check each before reading it (`pipelines.history.layout`).

`pipelines.load` plans a day and hands the models its versions; `pipelines.cli` stores them,
under the warehouse lock, only after the site is built and before it is swapped in.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from pipelines.atomic import DirLock
from pipelines.errors import HistoryError
from pipelines.history.layout import PARTITION, STORED, Store, open_store, stored_for
from pipelines.history.plan import Plan, TableChange, plan_load
from pipelines.history.write import commit, discard, stage, tidy

__all__ = [
    "PARTITION", "STORED", "Plan", "Store", "TableChange", "as_of_query", "commit", "discard", "lock",
    "open_store", "plan_load", "refuse_rewrite", "stage", "stored_for", "tidy",
]


def lock(warehouse: Path, wait: float, say=None) -> DirLock:
    """The warehouse's writer lock: one build or load at a time plans and stores a warehouse.

    The lock file sits beside the warehouse (`.<name>.lock`), so the folder holds only history
    and is exactly what the history branch holds.
    """
    path = Path(warehouse).absolute()
    path = path.parent.resolve() / path.name
    return DirLock(path.parent / f".{path.name}.lock", f"warehouse {warehouse}", wait, say)


def refuse_rewrite(plan: Plan) -> None:
    """An older day than the newest stored one is stored only when identical, or with --rebuild."""
    newest = plan.store.newest_day
    if plan.rebuild or newest is None or plan.day >= newest:
        return
    differ = sorted({w.table.removesuffix("_volatile") for w in plan.writes})
    if differ:
        raise HistoryError(
            f"the extracts of {plan.day} differ from the history stored for that day ({', '.join(differ)}), and "
            f"history goes on to {newest}: storing them would rewrite the past; pass --rebuild to store them "
            "anyway (later days keep what they hold), or check the extracts' date (--snapshot-date, as_of)",
            plan.store.root,
        )


def writable(warehouse: Path) -> bool:
    """Whether files can be made in the warehouse (or, before the first load, beside it)."""
    folder = Path(warehouse)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.access(folder, os.W_OK | os.X_OK)


def refuse_read_only(plan: Plan, read_only: bool) -> None:
    """Fail before the build when the day has to be stored and the warehouse cannot be written."""
    from pipelines.history.write import needs_manifest

    if (read_only or not writable(plan.store.root)) and needs_manifest(plan):
        raise HistoryError(
            f"cannot be written (read-only), and the extracts of {plan.day} are not stored yet; "
            "nothing was stored and the site was not replaced", plan.store.root,
        )


def as_of_query(root: Path | str, table: str, day: dt.date | str) -> str:
    """The SQL (DuckDB) that rebuilds canonical `table` as it stood on `day` from the files alone (README: History).

    It reads every file of the table folder, so it sees what an outside engine sees; the
    build reads the manifests' files instead and checks them first.
    """
    from pipelines.history.layout import DELETED, GENERATION
    from pipelines.schema import TABLES

    day = day.isoformat() if isinstance(day, dt.date) else day
    specs = stored_for(table)
    parts = []
    for spec in specs:
        glob = f"{Path(root) / spec.name}/*/*.parquet"
        parts.append(
            f"(select * from read_parquet('{glob}', hive_partitioning = true, union_by_name = true)\n"
            f"  where valid_from <= date '{day}'\n"
            f"  qualify row_number() over (partition by {', '.join(spec.key)}\n"
            f"      order by valid_from desc, {GENERATION} desc) = 1)"
        )
    cols = [c for c in TABLES[table].column_names]
    main = specs[0]
    if len(specs) == 1:
        return f"select {', '.join(cols)}\nfrom {parts[0]} as v\nwhere not {DELETED}"
    side = specs[1]
    extra = [c for c in side.columns if c not in main.key_columns]
    items = [f"v.{c}" if c not in extra else f"a.{c}" for c in cols]
    on = " and ".join(f"a.{k} = v.{k}" for k in main.key_columns)
    return f"select {', '.join(items)}\nfrom {parts[0]} as v\nleft join {parts[1]} as a on {on}\nwhere not v.{DELETED}"

