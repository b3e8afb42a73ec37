"""What is stored where: the stored tables, their keys, the manifests and the repair records.

Every name and rule an outside reader needs (Spark, Trino, another DuckDB) is here; the
README's History section repeats them for people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import HistoryError
from pipelines.schema import TABLES
from pipelines.sqltext import q

FORMAT = 2
MANIFESTS = "_manifests"
REPAIRS = "_repairs"
SCRATCH = ".scratch"
PARTITION = "valid_from"
# Written beside the data columns of every version row.
DELETED, GENERATION, ORDINAL = "_deleted", "_generation", "_n"
# Fields another extract gives (activities set last_activity_date): a change in them alone is no new
# version of the deal. They are kept, losslessly, in a narrow side table of their own.
VOLATILE = {"opportunities": ("last_activity_date",)}
VOLATILE_SUFFIX = "_volatile"
_FILE = re.compile(r"^(?P<table>[a-z_]+)/valid_from=(?P<day>\d{4}-\d{2}-\d{2})/part-(?P<gen>\d+)\.parquet$")
_MANIFEST = re.compile(r"^(?P<day>\d{4}-\d{2}-\d{2})(\.(?P<seq>\d+))?\.json$")


@dataclass(frozen=True)
class StoredTable:
    """One folder of versions: `columns` are stored, `key` (SQL over them) says which rows are one thing."""

    name: str
    source: str  # the canonical table (pipelines/schema.py) its rows come from
    columns: tuple[str, ...]
    key: tuple[str, ...]
    key_columns: tuple[str, ...]  # the columns `key` is computed from: what a tombstone keeps
    tombstones: bool = True  # a key missing from the extract gets a row saying so
    ordinal: bool = False  # rows are not unique by key in an extract: _n numbers the repeats

    @property
    def stored_columns(self) -> list[str]:
        return list(self.columns) + ([ORDINAL] if self.ordinal else [])

    @property
    def value_columns(self) -> list[str]:
        return [c for c in self.stored_columns if c not in self.key_columns]


def _history_key() -> tuple[str, ...]:
    """Stage history: the CRM's own row id when the export has one, else (deal, time, stage); then the repeat."""
    natural = ("opportunity_id", "changed_at", "stage")
    first = f"coalesce(history_id, {natural[0]})"
    return (first, *(f"case when history_id is null then {c} end" for c in natural[1:]), ORDINAL)


def _stored_tables() -> dict[str, StoredTable]:
    out: dict[str, StoredTable] = {}
    for name, table in TABLES.items():
        volatile = VOLATILE.get(name, ())
        columns = tuple(c for c in table.column_names if c not in volatile)
        if table.key:
            # An event (a forecast call) stays stored when a later extract no longer lists it: no tombstones.
            out[name] = StoredTable(name, name, columns, tuple(q(k) for k in table.key), table.key,
                                    tombstones=not table.events)
        elif name == "opportunity_history":
            out[name] = StoredTable(name, name, columns, _history_key(),
                                    ("history_id", "opportunity_id", "changed_at", "stage", ORDINAL), ordinal=True)
        else:  # no key (currency rates): a row is its own key, so a changed row is one removed and one added
            out[name] = StoredTable(name, name, columns, (*(q(c) for c in columns), ORDINAL), (*columns, ORDINAL),
                                    ordinal=True)
        if volatile:
            side = name + VOLATILE_SUFFIX
            out[side] = StoredTable(side, name, (*table.key, *volatile), tuple(q(k) for k in table.key), table.key,
                                    tombstones=False)
    return out


STORED: dict[str, StoredTable] = _stored_tables()


def stored_for(table: str) -> list[StoredTable]:
    """The stored tables a canonical table's rows go to (the deal versions and their volatile fields)."""
    return [s for s in STORED.values() if s.source == table]


def file_path(table: str, day: dt.date, generation: int) -> str:
    return f"{table}/{PARTITION}={day.isoformat()}/part-{generation}.parquet"


def parse_file(rel: str) -> tuple[str, dt.date, int] | None:
    m = _FILE.match(rel)
    return (m["table"], dt.date.fromisoformat(m["day"]), int(m["gen"])) if m else None


def parse_manifest(name: str) -> tuple[dt.date, int] | None:
    """(day, sequence) from a manifest's file name, e.g. 2026-11-18.1.json."""
    m = _MANIFEST.match(name)
    return (dt.date.fromisoformat(m["day"]), int(m["seq"] or 0)) if m else None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Manifest:
    """One load: the day it stored, which tables it loaded (and how), the files it wrote with their sha256."""

    day: dt.date
    seq: int
    tables: dict[str, dict]
    files: dict[str, dict]
    rebuild: bool = False

    @property
    def name(self) -> str:
        return f"{MANIFESTS}/{self.day.isoformat()}{'' if self.seq == 0 else f'.{self.seq}'}.json"

    def to_json(self) -> bytes:
        doc = {"format": FORMAT, "load_date": self.day.isoformat(), "sequence": self.seq, "rebuild": self.rebuild,
               "tables": self.tables, "files": self.files}
        return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


@dataclass
class FileEntry:
    rel: str
    table: str
    day: dt.date
    generation: int
    sha256: str
    bytes: int
    manifest: str


@dataclass
class Problem:
    """Something `history check` reports: a damaged or missing file, an unreadable manifest, a leftover."""

    rel: str
    what: str  # damaged | missing | unreadable manifest | not in any manifest | dropped
    detail: str = ""


@dataclass
class Store:
    """What the manifests of one warehouse say is live, read once per build."""

    root: Path
    manifests: list[Manifest] = field(default_factory=list)
    files: dict[str, FileEntry] = field(default_factory=dict)
    dropped: dict[str, dict] = field(default_factory=dict)  # rel -> the repair record that dropped it
    unreadable: list[Problem] = field(default_factory=list)

    @property
    def newest_day(self) -> dt.date | None:
        return max((m.day for m in self.manifests), default=None)

    def load_days(self, table: str) -> list[dt.date]:
        """Days on which a load stored (or found unchanged) this table, in order."""
        return sorted({m.day for m in self.manifests if table in m.tables})

    def entries(self, table: str, upto: dt.date | None = None) -> list[FileEntry]:
        """The table's files with versions starting on or before `upto` (all without), oldest first."""
        found = [f for f in self.files.values() if f.table == table and (upto is None or f.day <= upto)]
        return sorted(found, key=lambda f: (f.day, f.generation))

    @staticmethod
    def newest(entries: list[FileEntry]) -> list[FileEntry]:
        """Of each day's generations of one table, the newest: it holds all of that day's rows."""
        best: dict[dt.date, FileEntry] = {}
        for e in entries:
            if e.day not in best or e.generation > best[e.day].generation:
                best[e.day] = e
        return [best[d] for d in sorted(best)]

    def next_generation(self, table: str, day: dt.date) -> int:
        gens = [f.generation for f in self.files.values() if f.table == table and f.day == day]
        return max(gens, default=-1) + 1

    def next_seq(self, day: dt.date) -> int:
        return max((m.seq for m in self.manifests if m.day == day), default=-1) + 1

    def damage(self, entry: FileEntry) -> str | None:
        """None when the file is as its manifest recorded it, else what is wrong with it."""
        path = self.root / entry.rel
        try:
            if path.stat().st_size != entry.bytes:
                return f"damaged: {path.stat().st_size} bytes where {entry.manifest} recorded {entry.bytes}"
            if sha256(path) != entry.sha256:
                return f"damaged: its sha256 differs from the one {entry.manifest} recorded"
        except FileNotFoundError:
            return f"missing: {entry.manifest} lists it"
        except OSError as e:
            return f"cannot be read ({e.strerror})"
        return None

    def verified(self, entries: list[FileEntry]) -> list[FileEntry]:
        """The entries, each checked against its manifest; a damaged one raises, unless a repair dropped it."""
        good = []
        for entry in entries:
            wrong = self.damage(entry)
            if wrong is None:
                good.append(entry)
            elif entry.rel not in self.dropped:
                raise HistoryError(f"{wrong}; run `python -m pipelines history repair` (README: History)", entry.rel)
        return good


def _read_json(path: Path, rel: str) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise HistoryError(f"cannot be read ({type(e).__name__}); run `python -m pipelines history repair`", rel) from e
    if not isinstance(doc, dict):
        raise HistoryError("is not a manifest (not a JSON object)", rel)
    return doc


def _manifest(doc: dict, rel: str) -> Manifest:
    try:
        if doc.get("format") != FORMAT:
            raise HistoryError(f"has format {doc.get('format')!r}; this version reads format {FORMAT}", rel)
        return Manifest(dt.date.fromisoformat(doc["load_date"]), int(doc["sequence"]), dict(doc["tables"]),
                        dict(doc["files"]), bool(doc.get("rebuild", False)))
    except (KeyError, TypeError, ValueError) as e:
        raise HistoryError(f"is not a complete manifest ({type(e).__name__}: {e})", rel) from e


def open_store(root: Path, strict: bool = True) -> Store:
    """Read every manifest and repair record of `root`; `strict=False` collects unreadable ones instead of raising."""
    store = Store(root)
    _refuse_old_layout(root)
    for path in sorted((root / MANIFESTS).glob("*.json")):
        rel = f"{MANIFESTS}/{path.name}"
        if not _MANIFEST.match(path.name):
            continue
        try:
            store.manifests.append(_manifest(_read_json(path, rel), rel))
        except HistoryError as e:
            if strict:
                raise
            store.unreadable.append(Problem(rel, "unreadable manifest", e.message))
    store.manifests.sort(key=lambda m: (m.day, m.seq))
    for m in store.manifests:
        for rel, rec in sorted(m.files.items()):
            parsed = parse_file(rel)
            if parsed:
                store.files[rel] = FileEntry(rel, *parsed, rec["sha256"], int(rec["bytes"]), m.name)
    for path in sorted((root / REPAIRS).glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for rec in doc.get("dropped", []):
            store.dropped[rec["file"]] = dict(rec, record=f"{REPAIRS}/{path.name}")
    return store


def _refuse_old_layout(root: Path) -> None:
    """A warehouse of full daily copies (format 1) is migrated, never read as if it were versions.

    A folder named like an old snapshot in a warehouse that has manifests is a stray copy: it is
    no file of the store, so it is neither read nor removed.
    """
    if any((root / MANIFESTS).glob("*.json")):
        return
    for table in TABLES:
        if any((root / table).glob("snapshot_date=*")):
            raise HistoryError(
                "holds full daily snapshots (<table>/snapshot_date=...), the layout before versions; migrate it "
                f"with `python -m pipelines history migrate --from {root} --to NEW_FOLDER` (README: History)", root,
            )
