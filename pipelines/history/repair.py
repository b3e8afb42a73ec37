"""`history check` and `history repair`: what is wrong with a warehouse, and fixing it.

A file can be damaged after it was written: a disk error, a copy cut short, someone's editor.
Its manifest says what it held (sha256 and size), so damage is found, never read. A repair:

* reloads the day when the extracts of that day are given: written again from them, a file that
  comes out byte for byte as its manifest recorded is put back as it was; otherwise the day's
  rows are stored as a new generation of the day and the damaged file is dropped;
* drops every other damaged file: it is moved to `_repairs/<when>/` and a record
  `_repairs/<when>.json` says what was dropped and why. Readers skip a dropped file while it
  stays damaged (a copy restored from the history branch is used again);
* writes a manifest that cannot be read anew from the files of its day that no other lists;
* removes scratch and files of interrupted loads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pipelines.atomic import place, write_atomically
from pipelines.history.layout import (
    FORMAT,
    REPAIRS,
    SCRATCH,
    Manifest,
    Problem,
    Store,
    open_store,
    parse_file,
    parse_manifest,
    sha256,
)
from pipelines.history.write import orphans, tidy


def check(root: Path) -> list[Problem]:
    """Everything that is not as the manifests say, worst first: unreadable manifests, damaged files, leftovers."""
    store = open_store(root, strict=False)
    problems = list(store.unreadable)
    for entry in sorted(store.files.values(), key=lambda e: e.rel):
        wrong = store.damage(entry)
        if wrong is None:
            continue
        if entry.rel in store.dropped:
            problems.append(Problem(entry.rel, "dropped", f"{wrong}; dropped by {store.dropped[entry.rel]['record']}"))
        else:
            problems.append(Problem(entry.rel, "damaged", wrong))
    for rel in orphans(store):
        problems.append(Problem(rel, "not in any manifest", "left by an interrupted load; the next build or load "
                                                           "removes it"))
    scratch = root / SCRATCH
    if scratch.is_dir():
        for path in sorted(p for p in scratch.rglob("*") if p.is_file()):
            problems.append(Problem(path.relative_to(root).as_posix(), "scratch", "left by an interrupted load"))
    return problems


def damaged(store: Store) -> list:
    return [e for e in sorted(store.files.values(), key=lambda e: e.rel)
            if e.rel not in store.dropped and store.damage(e) is not None]


def _stamp(root: Path) -> str:
    base = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stamp, n = base, 1
    while (root / REPAIRS / f"{stamp}.json").exists():
        n += 1
        stamp = f"{base}-{n}"
    return stamp


def drop(store: Store, entries, reason: str) -> list[str]:
    """Move damaged files out of the table folders and record the drop; one line per file."""
    if not entries:
        return []
    root = store.root
    stamp = _stamp(root)
    records, lines = [], []
    for e in entries:
        wrong = store.damage(e) or "damaged"
        path = root / e.rel
        if path.exists():
            target = root / REPAIRS / stamp / e.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(path, target)
        records.append({"file": e.rel, "manifest": e.manifest, "sha256": e.sha256, "bytes": e.bytes,
                        "found": wrong, "reason": reason})
        lines.append(f"dropped {e.rel} ({wrong}); the record is {REPAIRS}/{stamp}.json")
    doc = {"format": FORMAT, "dropped": records}
    write_atomically(root / REPAIRS / f"{stamp}.json", (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode(),
                     root / SCRATCH)
    return lines


def rewrite_manifests(con, store: Store) -> list[str]:
    """A manifest that cannot be read is written anew from the unlisted, readable files of its day."""
    lines = []
    unlisted = orphans(store)
    for problem in store.unreadable:
        day, seq = parse_manifest(Path(problem.rel).name)
        files, tables = {}, {}
        for rel in unlisted:
            parsed = parse_file(rel)
            if parsed is None or parsed[1] != day:
                continue
            path = store.root / rel
            try:
                rows = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchone()[0]
            except Exception:  # unreadable too: left for tidy to remove
                continue
            files[rel] = {"sha256": sha256(path), "bytes": path.stat().st_size, "rows": rows}
            tables[parsed[0]] = {"rows": rows, "written": True}
        manifest = Manifest(day, seq, tables, files)
        write_atomically(store.root / problem.rel, manifest.to_json(), store.root / SCRATCH)
        lines.append(f"rewrote {problem.rel} from {len(files)} file(s) of {day} that no manifest listed")
    return lines


def restore(con, store: Store, plan, entries) -> tuple[list[str], set[str]]:
    """Put back each damaged file the reloaded day reproduces byte for byte; (one line each, the files put back)."""
    from pipelines.history.plan import Write
    from pipelines.history.write import _write_file

    lines, done = [], set()
    scratch = store.root / SCRATCH / "restore"
    scratch.mkdir(parents=True, exist_ok=True)
    for e in entries:
        w = next((w for w in plan.writes if w.table == e.table and w.day == e.day), None)
        if w is None:
            continue
        tmp, _, rec = _write_file(con, plan, Write(e.table, e.day, e.generation, w.rows), scratch)
        if rec["sha256"] == e.sha256:
            place(tmp, store.root / e.rel)
            lines.append(f"restored {e.rel} from the extracts of {e.day} (sha256 as recorded)")
            done.add(e.rel)
        else:
            tmp.unlink()
    return lines, done


def repair_day(con, root: Path, day: dt.date, present: set[str]) -> tuple[list[str], bool]:
    """Put back the damaged files of `day` its extracts (extract_* on `con`) reproduce; drop the others.

    Returns one line per action, and whether a file was dropped: then the day has to be stored
    again from its extracts (`reload` does it at once, a build when it stores the day).
    """
    from pipelines.history.plan import plan_load

    store = open_store(root, strict=False)
    hit = [e for e in damaged(store) if e.day == day]
    if not hit:
        return [], False
    for e in hit:  # plan the day as if the damaged files were gone
        store.dropped[e.rel] = {"record": "this repair"}
    lines, done = restore(con, store, plan_load(con, store, day, present, rebuild=True), hit)
    left = [e for e in hit if e.rel not in done]
    if left:
        lines += drop(open_store(root, strict=False), left, f"the extracts of {day} do not reproduce it; "
                                                          "stored again from them")
    return lines, bool(left)


def reload(con, root: Path, day: dt.date, present: set[str]) -> list[str]:
    """Repair the damaged files of `day` from its extracts (the extract_* tables on `con`), storing the day again."""
    from pipelines.history.plan import plan_load
    from pipelines.history.write import commit, stage

    lines, again = repair_day(con, root, day, present)
    if again:
        plan = plan_load(con, open_store(root, strict=False), day, present, rebuild=True)
        stage(con, plan)
        manifest = commit(plan)
        lines.append(f"stored the extracts of {day} again ({manifest.name if manifest else 'nothing new'})")
    return lines


def repair(con, root: Path, day: dt.date | None = None, present: set[str] = frozenset()) -> list[str]:
    """Fix what `check` finds; with `day` (and its extracts on `con`) reload that day first. One line per action."""
    lines = rewrite_manifests(con, open_store(root, strict=False))
    if day is not None:
        lines += reload(con, root, day, present)
    store = open_store(root, strict=False)
    lines += drop(store, damaged(store), "damaged, and its day was not reloaded (--snapshot-date)")
    lines += [f"removed {rel} (left by an interrupted load)" for rel in tidy(open_store(root, strict=False))]
    return lines


__all__ = ["check", "damaged", "drop", "reload", "repair", "repair_day", "restore", "rewrite_manifests"]
