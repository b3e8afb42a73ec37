"""Finding and reading a source's files: the only part of the stage that touches bytes in Python.

A file is exposed to the rest of the stage as one temp view of VARCHAR columns (CSV) or of the
file's own types (Parquet, JSON), plus `__row__`, and a list of the rows it could not split.
Python reads only the header (to name encoding and delimiter problems instead of guessing, and
to rename duplicate or reserved column names); DuckDB reads the records, so a five-million-row
export costs seconds.

Row numbers are what a spreadsheet shows for the file: the header is row 1, the first record
row 2, a blank line is a row, and a quoted value that spans several lines is one row. JSON and
Parquet rows count from 1. DuckDB numbers neither way, so the rows it set aside and the blank
lines it skipped are counted back in here.
"""

from __future__ import annotations

import csv
import fnmatch
import glob
import gzip
import io
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.errors import ConfigError, DataError, UnusableFileError
from pipelines.extract import encoding
from pipelines.extract.parsers import CONTROL_BYTES
from pipelines.settings import Config, Source
from pipelines.sqltext import lit

DELIMITERS = (",", ";", "\t", "|")
# Internal column names in the raw tables; a file's own column of that name is renamed.
RESERVED = ("rowid", "__row__")


def _display(path: Path, cfg: Config) -> str:
    """The file as the user named it: relative to config.yml's folder when inside it."""
    try:
        return str(path.resolve().relative_to(cfg.base_dir.resolve()))
    except (ValueError, OSError):
        return str(path)


def _first_line(err: Exception) -> str:
    lines = [s for s in str(err).splitlines() if s.strip()]
    return lines[0] if lines else type(err).__name__


# --- finding the files ------------------------------------------------------------------------


def _files_for(cfg: Config, source: Source, key: str) -> list[Path]:
    pattern = cfg.resolve(source.path)
    files = sorted(Path(p) for p in glob.glob(str(pattern)) if Path(p).is_file())
    if not files and pattern.parent.is_dir() and not glob.has_magic(str(pattern.parent)):
        # Exports are often renamed by hand or by the CRM (opportunity.csv, OWNERS.CSV).
        files = sorted(p for p in pattern.parent.iterdir()
                       if p.is_file() and fnmatch.fnmatch(p.name.lower(), pattern.name.lower()))
    if not files and not source.optional:
        where = "" if pattern.parent.is_dir() else f"; the folder {pattern.parent} does not exist"
        raise ConfigError(f"`{key}.path`: no file matches '{source.path}' (looked for {pattern}{where})", cfg.config_file)
    return files


# --- reading one file -------------------------------------------------------------------------


def _sniff_format(path: Path, source: Source) -> str:
    if source.format != "auto":
        return source.format
    name = path.name.lower()
    for suffix in (".gz", ".zst"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    return "csv"


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")


def _head(path: Path, display: str, size: int = 1 << 20) -> bytes:
    try:
        with _open(path) as fh:
            return fh.read(size)
    except (OSError, EOFError) as e:
        raise DataError(f"cannot read the file: {e}", display) from e


def _header(path: Path, source: Source, display: str, key: str) -> tuple[list[str], str, list[str]]:
    """(column names, delimiter, notes) from the first record of a file that should be UTF-8 by now."""
    head = _head(path, display)
    _check_header_bytes(head, display, key)
    text = head.decode("utf-8-sig", errors="replace")
    first_text = text.split("\n", 1)[0]
    if source.delimiter:
        delim = source.delimiter
    else:
        counts = {d: first_text.count(d) for d in DELIMITERS}
        delim = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","
    try:
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"'), None)
    except csv.Error as e:
        raise DataError(f"cannot read the header row: {e}", display) from e
    if not row or not any(c.strip() for c in row):
        raise UnusableFileError("file has no header row (the first line is empty)", display)
    names, notes = _column_names(row, display)
    return names, delim, notes


def _check_header_bytes(head: bytes, display: str, key: str) -> None:
    """Raise a DataError naming the problem when the file is empty or its header is not UTF-8 text.

    Only a file forced to UTF-8 (`encoding: utf-8`) can get here in another encoding: detection
    has turned every other one into UTF-8 already.
    """
    if not head.strip():
        raise UnusableFileError("file is empty (no header row)", display)
    hint = f"re-export it as UTF-8 (in Excel: Save As > CSV UTF-8), or set `{key}.encoding` (or remove it to detect)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"file is UTF-16 encoded, not UTF-8; {hint}", display)
    first = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in first:
        raise DataError(f"file is not UTF-8 text (the header contains NUL bytes: UTF-16 or a binary file?); {hint}",
                        display)
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"file is not UTF-8 encoded (invalid byte 0x{first[e.start]:02x} in the header, row 1); {hint}",
                        display) from e


def _column_names(row: list[str], display: str) -> tuple[list[str], list[str]]:
    """(names, notes): blank names become columnN; duplicate and reserved names get a numbered suffix."""
    names: list[str] = []
    notes: list[str] = []
    seen = set(RESERVED)
    for i, raw in enumerate(row):
        name = raw.strip() or f"column{i + 1}"
        base, k = name, 1
        while name.lower() in seen:
            k += 1
            name = f"{base} ({k})"
        if name != base:
            why = "is a reserved name" if base.lower() in RESERVED else "appears twice in the header"
            notes.append(f"{display}: column {i + 1} '{base}' {why}; it is read as '{name}'")
        seen.add(name.lower())
        names.append(name)
    return names, notes


def _stray_cr_line(path: Path) -> int | None:
    """Line number of the first carriage return that does not end a CRLF file's line, if any."""
    with _open(path) as fh:
        data = fh.read(256 << 20)
    first_nl = data.find(b"\n")
    crlf = first_nl > 0 and data[first_nl - 1 : first_nl] == b"\r"
    if crlf:
        m = re.search(rb"\r(?!\n)|(?<!\r)\n", data)
    else:
        m = re.search(rb"\r", data)
    return data.count(b"\n", 0, m.start()) + 1 if m else None


@dataclass(frozen=True)
class Text:
    """What a file's values may hold that each value has to be checked for (`parsers._raw_value`).

    A pass over the bytes settles both for the usual export, and checking 6 million activities value by value
    costs seconds; a file not scanned (Parquet, JSON) may hold either.
    """

    control: bool = True  # a control character somewhere
    padded: bool = True  # a value that starts or ends with a space `trim` removes


# Besides the ASCII space, `trim` removes the other Unicode space separators (Zs): U+00A0, U+1680, U+2000-U+200A,
# U+202F, U+205F and U+3000, here as UTF-8.
UNICODE_SPACES = re.compile(rb"\xc2\xa0|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
CHUNK = 16 << 20


def _scan_text(path: Path, delim: str) -> tuple[int, Text]:
    """(lines, what its values may hold), read in one pass.

    When the lines are as many as the rows, no line is blank (nor a value spread over lines): counting
    line breaks costs half of looking for blank lines, and it settles the usual export. One translation
    of each chunk marks both what a value may hold (`_marks`).
    """
    marks = _marks(delim.encode("utf-8"))
    if marks is None:
        return _count_lines(path), Text()
    lines, control, padded = 0, False, False
    last, last_marked = b"\n", b"\n"  # the file starts as a line does
    with _open(path) as fh:
        while chunk := fh.read(CHUNK):
            lines += chunk.count(b"\n")
            marked = chunk.translate(marks)
            control = control or b"\x00" in marked
            padded = padded or _padded(chunk, marked) or _padded(last + chunk[:2], last_marked + marked[:2])
            last, last_marked = chunk[-2:], marked[-2:]  # an edge, or a Unicode space, may span two chunks
    return lines + (last[-1:] != b"\n"), Text(control, padded or last[-1:] == b" ")


def _marks(delim: bytes) -> bytes | None:
    """A translation of a file's bytes: each control character becomes NUL, each byte a value starts or ends
    beside (delimiter, line break, quote) a line break, and any other byte stays; None for a delimiter that
    holds a control character (both are then assumed)."""
    if any(b in CONTROL_BYTES for b in delim):
        return None
    table = bytearray(range(256))
    for b in CONTROL_BYTES:
        table[b] = 0
    for b in delim + b'\n\r"':
        table[b] = ord("\n")
    return bytes(table)


def _padded(data: bytes, marked: bytes) -> bool:
    """Whether a value in `data` (`marked` by `_marks`) may start or end with a space `trim` removes: a space
    beside a delimiter, line break or quote, or a Unicode space anywhere. Exports rarely pad a value, and many
    have no space at all (a fast scan)."""
    if not data.isascii() and UNICODE_SPACES.search(data):
        return True
    return b" " in data and (b"\n " in marked or b" \n" in marked)


def _count_lines(path: Path) -> int:
    lines, last = 0, b"\n"
    with _open(path) as fh:
        while chunk := fh.read(CHUNK):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines + (last != b"\n")


def _has_blank_lines(path: Path) -> bool:
    """True when a blank line is followed by more data (trailing blank lines change no row number)."""
    pending, tail = False, b""
    with _open(path) as fh:
        while chunk := fh.read(16 << 20):
            if pending and chunk.strip():
                return True
            data = tail + chunk
            for pat in (b"\n\n", b"\n\r\n"):
                pos = data.find(pat)
                if pos >= 0:
                    if data[pos + len(pat):].strip():
                        return True
                    pending = True
            tail = data[-2:]
    return False


def _blank_rows(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> list[int]:
    """Row numbers (as a spreadsheet counts them) of blank lines outside quoted values.

    DuckDB skips blank lines but counts them in its line numbers; loaded rows must be
    numbered the same way. A line starts a row when the quotes before it are balanced.
    """
    p = lit(str(path))
    lines = f"{name}_lines"
    try:
        con.execute(
            f"""create or replace temp table {lines} as
            select l from read_csv({p}, columns = {{'l': 'VARCHAR'}}, header = false, auto_detect = false,
                delim = '\x1f\x1e\x1d\x1c', quote = '', escape = '', strict_mode = false,
                max_line_size = 1073741824)"""
        )
        found = con.execute(
            f"""with counted as (
                select rowid as i, l, coalesce(length(l) - length(replace(l, '"', '')), 0) as nq from {lines}
            ), parity as (
                select i, l, coalesce(sum(nq) over (order by i rows between unbounded preceding and 1 preceding), 0) % 2
                    as open_before
                from counted
            ), numbered as (
                select l, open_before, count(*) filter (where open_before = 0) over (order by i) as line
                from parity
            )
            select line from numbered where open_before = 0 and (l is null or trim(l, chr(13)) = '') order by line"""
        ).fetchall()
    except duckdb.Error:
        return []  # numbering after a blank line is then approximate; nothing is lost
    finally:
        con.execute(f"drop table if exists {lines}")
    return [int(r[0]) for r in found]


def _malformed_reason(etype: str, emsg: str, csv_line: str, ncols: int) -> str:
    m = re.search(r"Found:\s*(\d+)", emsg or "")
    if etype in ("MISSING COLUMNS", "TOO MANY COLUMNS") and m:
        reason = f"malformed CSV row: {m.group(1)} fields where the header has {ncols}"
    elif etype == "UNQUOTED VALUE":
        reason = "malformed CSV row: unbalanced quotes (a quoted value is not closed where it should be)"
    elif etype == "LINE SIZE OVER MAXIMUM":
        reason = "malformed CSV row: longer than the maximum line size"
    else:
        reason = f"malformed CSV row: {etype.lower()} ({emsg})"
    spans = (csv_line or "").strip("\r\n").count("\n") + 1
    if spans > 1:
        reason += f"; it runs over {spans} lines of the file"
    return reason


def _read_csv(
    con, path: Path, source: Source, name: str, display: str, key: str
) -> tuple[list[str], list[dict], list[str], Text]:
    """Read a CSV in whatever encoding it is in: UTF-8 directly, anything else through a UTF-8 scratch copy."""
    choice = encoding.choose(lambda: _open(path), source.encoding, display, key)
    if not choice.needs_copy:
        return _read_utf8_csv(con, path, source, name, display, key)
    with tempfile.TemporaryDirectory(prefix=".scorecards-transcode-") as scratch:
        copy = Path(scratch) / "utf8.csv"
        encoding.transcode(lambda: _open(path), choice, copy, display, key)
        cols, malformed, notes, text = _read_utf8_csv(con, copy, source, name, display, key)
    return cols, malformed, [choice.note] + notes, text


def _read_utf8_csv(
    con, path: Path, source: Source, name: str, display: str, key: str
) -> tuple[list[str], list[dict], list[str], Text]:
    cols, delim, notes = _header(path, source, display, key)
    # The pass over the bytes is Python, and DuckDB lets go of the GIL while it reads: they run side by side.
    with ThreadPoolExecutor(1) as beside:
        scanned = beside.submit(_scan_text, path, delim)
        _scan_csv(con, path, name, cols, delim, display, key)
        malformed = _csv_rejects(con, name, display, len(cols))
        rows = 1 + con.execute(f"select count(*) from {name}_in").fetchone()[0] + len(malformed)  # the header too
        lines, text = scanned.result()
    holes = [m["row"] for m in malformed]
    if lines != rows and _has_blank_lines(path):
        holes = sorted(set(holes) | set(_blank_rows(con, path, name)))
    _number_rows(con, name, holes)
    return cols, malformed, notes, text


def _scan_csv(con, path: Path, name: str, cols: list[str], delim: str, display: str, key: str) -> None:
    """Read the records into `<name>_in` as VARCHAR, setting rows it cannot split aside in `<name>_rej`."""
    p = lit(str(path))
    rej = f"{name}_rej"
    con.execute(f"drop table if exists {rej}; drop table if exists {rej}_scan")
    colspec = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in cols) + "}"
    try:
        con.execute(
            f"""create or replace temp table {name}_in as
            select * from read_csv({p}, columns = {colspec}, header = true, auto_detect = false,
                delim = {lit(delim)}, quote = '"', escape = '"', strict_mode = true, null_padding = false,
                store_rejects = true, rejects_table = '{rej}', rejects_scan = '{rej}_scan')"""
        )
    except duckdb.Error as e:
        msg = _first_line(e)
        if "state machine" in msg:
            line = _stray_cr_line(path)
            where = f" (first at line {line})" if line else ""
            raise DataError(
                f"cannot split the file into rows: it mixes line endings or has a stray carriage return{where}; "
                "re-export it, or save it with one kind of line ending", display
            ) from e
        raise DataError(f"cannot read as CSV: {msg}", display) from e
    bad_encoding = con.execute(f"select min(line) from {rej} where error_type = 'INVALID ENCODING'").fetchall()[0][0]
    if bad_encoding is not None:
        raise DataError(
            f"file is not UTF-8 encoded (first invalid byte on row {bad_encoding}); re-export it as UTF-8 "
            f"(in Excel: Save As > CSV UTF-8), or set `{key}.encoding` (or remove it to detect)", display
        )


def _csv_rejects(con, name: str, display: str, ncols: int) -> list[dict]:
    """The rows DuckDB set aside, one per line, as quarantine entries; drops the rejects tables."""
    rej = f"{name}_rej"
    rejects = con.execute(
        f"""select line, first(error_type order by column_idx, error_type),
                   first(error_message order by column_idx, error_type), first(csv_line order by column_idx, error_type)
            from {rej} group by line order by line"""
    ).fetchall()
    con.execute(f"drop table if exists {rej}; drop table if exists {rej}_scan")
    malformed: list[dict] = []
    for line, etype, emsg, csv_line in rejects:
        malformed.append(
            {
                "file": display,
                "row": int(line),
                "column": "",
                "value": (csv_line or "").strip()[:200],
                "reason": _malformed_reason(etype or "", emsg or "", csv_line or "", ncols),
            }
        )
    return malformed


def _number_rows(con, name: str, holes: list[int]) -> None:
    """Expose `<name>_in` as view `name` with `__row__`, the row number a spreadsheet shows."""
    # Loaded records are numbered in file order, skipping the rows DuckDB set aside or skipped.
    if holes:
        con.execute(f"create or replace temp table {name}_holes as select unnest(?::bigint[]) as h", [holes])
        con.execute(
            f"""create or replace temp table {name}_adj as
            select adj, max(k) as k from (
                select h - (row_number() over (order by h) - 1) as adj, row_number() over (order by h) as k
                from {name}_holes)
            group by adj"""
        )
        con.execute(
            f"""create or replace temp view {name} as
            select t.* exclude (__b__), t.__b__ + coalesce(a.k, 0) as __row__
            from (select *, rowid + 2 as __b__ from {name}_in) t
            asof left join {name}_adj a on t.__b__ >= a.adj"""
        )
    else:
        con.execute(f"create or replace temp view {name} as select *, rowid + 2 as __row__ from {name}_in")


def _read_other(con, path: Path, fmt: str, name: str, display: str) -> list[str]:
    p = lit(str(path))
    reader = f"read_parquet({p})" if fmt == "parquet" else f"read_json_auto({p})"
    try:
        con.execute(f"create or replace temp table {name}_in as select * from {reader}")
    except duckdb.Error as e:
        raise DataError(f"cannot read as {'Parquet' if fmt == 'parquet' else 'JSON'}: {_first_line(e)}", display) from e
    cols = [r[0] for r in con.execute(f"describe {name}_in").fetchall()]
    clash = [c for c in cols if c.lower() in RESERVED]
    if clash:
        raise DataError(f"column name(s) {', '.join(clash)} are reserved; rename them in the export", display)
    con.execute(f"create or replace temp view {name} as select *, rowid + 1 as __row__ from {name}_in")
    return cols


def _read_file(
    con, path: Path, source: Source, name: str, display: str, key: str
) -> tuple[list[str], list[dict], list[str], Text]:
    """Expose one file as view `name` (all source columns plus `__row__`).

    Returns (columns, malformed rows, notes, what its values may hold).
    """
    fmt = _sniff_format(path, source)
    if fmt == "csv":
        return _read_csv(con, path, source, name, display, key)
    return _read_other(con, path, fmt, name, display), [], [], Text()
