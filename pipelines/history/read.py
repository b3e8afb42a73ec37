"""Reading a stored table as it stood on a day, from the files the manifests list (checked first).

The README's query does the same from the files alone, as an outside engine would; this one
trusts only listed files whose sha256 matches, so `history migrate` and the tests compare
exactly what a build would read.
"""

from __future__ import annotations

import datetime as dt

from pipelines.history.layout import DELETED, STORED, Store, stored_for
from pipelines.history.plan import files_select, keys, with_keys
from pipelines.schema import TABLES
from pipelines.sqltext import q


def latest(con, store: Store, name: str, day: dt.date) -> str:
    """The newest row of each key of stored table `name` on or before `day` (tombstones included)."""
    spec = STORED[name]
    rows = with_keys(spec, files_select(con, store, spec, store.newest(store.verified(store.entries(name, day)))))
    return f"(select * from ({rows}) qualify row_number() over (partition by {keys(spec)} order by valid_from desc) = 1)"


def as_of(con, store: Store, table: str, day: dt.date) -> str:
    """SQL for canonical `table` as the extract of `day` gave it (its canonical columns, in schema order)."""
    return compose(table, [latest(con, store, spec.name, day) for spec in stored_for(table)])


def compose(table: str, latest_rows: list[str]) -> str:
    """Canonical `table` from the latest rows of its stored tables (the versions, then their volatile fields)."""
    specs = stored_for(table)
    cols = TABLES[table].column_names
    if len(specs) == 1:
        return f"select {', '.join(q(c) for c in cols)} from {latest_rows[0]} where not {DELETED}"
    own = set(specs[1].columns) - set(specs[1].key_columns)
    items = [f"a.{q(c)}" if c in own else f"v.{q(c)}" for c in cols]
    on = " and ".join(f"a.{q(k)} = v.{q(k)}" for k in specs[0].key_columns)
    return f"select {', '.join(items)} from {latest_rows[0]} v left join {latest_rows[1]} a on {on} where not v.{DELETED}"
