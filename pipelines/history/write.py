"""Writing a planned load: every file in scratch first, then renamed into place, the manifest last.

The manifest is the commit: a reader (this project's, or `history check`) trusts only files a
manifest lists, with the sha256 it records. Scratch lives in `<warehouse>/.scratch/` under names
ending in `.tmp`, outside every table folder and never matched by a `*.parquet` glob. A crash
before the manifest leaves at most some complete files no manifest lists; the next writer
(holding the warehouse lock) removes them, and with them every scratch file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from pipelines.atomic import place, sweep, write_atomically
from pipelines.errors import HistoryError
from pipelines.history.layout import (
    DELETED,
    GENERATION,
    SCRATCH,
    STORED,
    Manifest,
    Store,
    file_path,
    sha256,
)
from pipelines.history.plan import Plan, Write
from pipelines.sqltext import lit, q


def needs_manifest(plan: Plan) -> bool:
    """A load leaves a record when it writes, or when it is a new load day; storing a stored day again is a no-op."""
    if plan.writes:
        return True
    newest = plan.store.newest_day
    if newest is None or plan.day > newest:
        return True
    return plan.day == newest and any(plan.day not in plan.store.load_days(t) for t in plan.tables)


def _cannot(e: OSError, where) -> HistoryError:
    what = e.strerror or type(e).__name__
    return HistoryError(f"cannot write the history ({what}); nothing was stored and the site was not replaced", where)


def _write_file(con, plan: Plan, w: Write, scratch: Path) -> tuple[Path, str, dict]:
    """One generation file, written in scratch; (scratch file, its path in the warehouse, its manifest record)."""
    spec = STORED[w.table]
    rel = file_path(w.table, w.day, w.generation)
    tmp = scratch / f"{uuid.uuid4().hex}.tmp"
    cols = ", ".join([q(c) for c in spec.stored_columns] + [DELETED, f"cast({w.generation} as integer) as {GENERATION}"])
    try:  # the rows are in key order already (pipelines.history.plan), so the same rows give the same bytes
        # COPY answers how many rows it wrote: counting a first load's view again would sort it again.
        rows = con.execute(f"copy (select {cols} from {w.rows}) to {lit(str(tmp))} "
                           "(format parquet, compression zstd)").fetchone()[0]
    except Exception as e:  # DuckDB wraps the OS error (a full disk) in its own IOException
        raise HistoryError(f"cannot write the history ({str(e).splitlines()[0]}); nothing was stored", rel) from e
    return tmp, rel, {"sha256": sha256(tmp), "bytes": tmp.stat().st_size, "rows": rows}


def stage(con, plan: Plan) -> None:
    """Write the plan's files into scratch now (freeing DuckDB of the day's rows); `commit` puts them in place."""
    if not needs_manifest(plan):
        plan.staged = []
        return
    plan.scratch = plan.store.root / SCRATCH / uuid.uuid4().hex
    try:
        plan.scratch.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _cannot(e, plan.store.root) from e
    try:
        plan.staged = [_write_file(con, plan, w, plan.scratch) for w in plan.writes]
    except OSError as e:
        discard(plan)
        raise _cannot(e, plan.store.root) from e
    except BaseException:
        discard(plan)
        raise


def discard(plan: Plan) -> None:
    """Remove the plan's scratch (a failed build stores nothing)."""
    if plan.scratch is not None:
        shutil.rmtree(plan.scratch, ignore_errors=True)
        try:
            plan.scratch.parent.rmdir()  # .scratch/ itself, once no other scratch is in it
        except OSError:
            pass
        plan.scratch = None


def commit(plan: Plan) -> Manifest | None:
    """Rename the staged files into place, then write the manifest; the manifest, or None for a no-op."""
    if plan.staged is None:
        raise RuntimeError("commit() before stage()")
    if not needs_manifest(plan):
        return None
    root = plan.store.root
    manifest = Manifest(plan.day, plan.store.next_seq(plan.day), _tables(plan),
                        {rel: rec for _, rel, rec in plan.staged}, rebuild=plan.rebuild and bool(plan.writes))
    placed: list[Path] = []
    try:
        for tmp, rel, _ in plan.staged:
            target = root / rel
            if target.exists():
                raise HistoryError("is already there and no manifest lists it; run `python -m pipelines history "
                                   "check`", rel)
            place(tmp, target)
            placed.append(target)
        write_atomically(root / manifest.name, manifest.to_json(), plan.scratch or root / SCRATCH)
    except OSError as e:
        for target in placed:  # undo: files no manifest lists would be removed next time anyway
            try:
                target.unlink()
            except OSError:
                pass
        raise _cannot(e, os.path.relpath(getattr(e, "filename", None) or root, root)) from e
    finally:
        discard(plan)
    return manifest


def _tables(plan: Plan) -> dict[str, dict]:
    return {name: {"rows": t.rows_now, "written": bool(t.writes)} for name, t in sorted(plan.tables.items())}


def tidy(store: Store) -> list[str]:
    """Remove what killed writers left: scratch, and files in table folders that no manifest lists.

    Only under the warehouse lock, and only while every manifest can be read: a file an
    unreadable manifest might list is kept for `history repair`.
    """
    root = store.root
    removed = [str(p.relative_to(root)) for p in sweep(root / SCRATCH, ("",))]
    try:
        (root / SCRATCH).rmdir()
    except OSError:
        pass
    if store.unreadable:
        return removed
    for table in STORED:
        for path in sorted((root / table).glob("valid_from=*/*")):
            rel = path.relative_to(root).as_posix()
            if rel in store.files:
                continue
            try:
                path.unlink()
                removed.append(rel)
            except OSError:
                continue
        for folder in sorted((root / table).glob("valid_from=*")):
            try:
                folder.rmdir()  # only when empty
            except OSError:
                pass
    return removed


def orphans(store: Store) -> list[str]:
    """Files in table folders that no manifest lists (what `tidy` would remove)."""
    found = []
    for table in STORED:
        for path in sorted((store.root / table).glob("valid_from=*/*")):
            rel = path.relative_to(store.root).as_posix()
            if rel not in store.files and path.is_file():
                found.append(rel)
    return found


