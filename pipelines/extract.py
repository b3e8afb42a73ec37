"""Stage 1: read the CRM extracts, map them onto the canonical tables, and quarantine bad rows.

Every input row ends in exactly one place: the typed `extract_<table>` table, or the
`quarantine` table with its file, row, column and reason. Parsing happens in DuckDB so a
five-million-row activity export costs seconds, not minutes; Python only reads the header.

Row numbers are what a spreadsheet shows for the file: the header is row 1, the first record
row 2, a blank line is a row, and a quoted value that spans several lines is one row. JSON and
Parquet rows count from 1.
"""

from __future__ import annotations

import csv
import fnmatch
import glob
import gzip
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.errors import ConfigError, DataError, QualityGateError
from pipelines.schema import DUCKDB_TYPES, TABLES, Column, Table
from pipelines.settings import Config, Source
from pipelines.sqltext import lit, q

# Tried in order; the first that parses wins. ISO forms (with T, Z or an offset) go through a
# plain cast first. Two-digit years come before four-digit ones: %Y would read "02/23/26" as
# the year 26.
DATE_FORMATS = [
    "%m/%d/%y",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d %b %Y",
    "%b %d, %Y",
]
# Dates outside this range are typos or placeholders (0001-01-01, 9999-12-31) and are rejected
# as unparseable: a single one would stretch every chart over centuries.
DATE_RANGE = ("1900-01-01", "2200-01-01")
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")
# C0 control characters other than tab, newline and carriage return, and DEL: never meaningful in
# CRM text, and they break the HTML, JSON and CSV the site is made of. Removed from text columns.
CONTROL_CHARS = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]"
DELIMITERS = (",", ";", "\t", "|")
# Internal column names in the raw tables; a file's own column of that name is renamed.
RESERVED = ("rowid", "__row__")

QUARANTINE_COLUMNS = """
    "table" varchar, file varchar, "row" bigint, "column" varchar, value varchar,
    reason varchar, action varchar, owner_id varchar
"""


@dataclass
class TableReport:
    """What happened to one canonical table: rows read, loaded, rejected and flagged."""

    table: str
    files: list[str] = field(default_factory=list)
    present: bool = False
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    flagged: int = 0
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # rejected rows by reason, most common first
    mapped: set[str] = field(default_factory=set)  # canonical columns some file gives a value for


@dataclass
class ExtractResult:
    tables: dict[str, TableReport]

    @property
    def present(self) -> set[str]:
        return {t for t, r in self.tables.items() if r.present}

    @property
    def notes(self) -> list[str]:
        """Everything the build should say about how the extracts were read (fallbacks, renames)."""
        return [n for r in self.tables.values() for n in r.notes]


@dataclass
class _Fallback:
    """A canonical column filled from a constant because none of its candidate columns exists."""

    column: str
    tried: list[str]
    value: str | None


def _display(path: Path, cfg: Config) -> str:
    """The file as the user named it: relative to config.yml's folder when inside it."""
    try:
        return str(path.resolve().relative_to(cfg.base_dir.resolve()))
    except (ValueError, OSError):
        return str(path)


def _first_line(err: Exception) -> str:
    lines = [s for s in str(err).splitlines() if s.strip()]
    return lines[0] if lines else type(err).__name__


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


def _header(path: Path, source: Source, display: str) -> tuple[list[str], str, list[str]]:
    """(column names, delimiter, notes) from the first record; encoding problems are named, never guessed."""
    head = _head(path, display)
    if not head.strip():
        raise DataError("file is empty (no header row)", display)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("file is UTF-16 encoded; export it as UTF-8 (in Excel: Save As > CSV UTF-8)", display)
    first = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in first:
        raise DataError(
            "file is not UTF-8 text (the header contains NUL bytes: UTF-16 or a binary file?); "
            "export it as UTF-8 CSV", display
        )
    try:
        first.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(
            f"file is not UTF-8 encoded (invalid byte 0x{first[e.start]:02x} in the header, row 1); "
            "re-export it as UTF-8 (in Excel: Save As > CSV UTF-8)", display
        ) from e
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
        raise DataError("file has no header row (the first line is empty)", display)
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
    return names, delim, notes


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


def _read_csv(con, path: Path, source: Source, name: str, display: str) -> tuple[list[str], list[dict], list[str]]:
    cols, delim, notes = _header(path, source, display)
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
            "(in Excel: Save As > CSV UTF-8)", display
        )
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
                "reason": _malformed_reason(etype or "", emsg or "", csv_line or "", len(cols)),
            }
        )
    holes = [m["row"] for m in malformed]
    if _has_blank_lines(path):
        holes = sorted(set(holes) | set(_blank_rows(con, path, name)))
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
    return cols, malformed, notes


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


def _read_file(con, path: Path, source: Source, name: str, display: str) -> tuple[list[str], list[dict], list[str]]:
    """Expose one file as view `name` (all source columns plus `__row__`); return (columns, malformed rows, notes)."""
    fmt = _sniff_format(path, source)
    if fmt == "csv":
        return _read_csv(con, path, source, name, display)
    return _read_other(con, path, fmt, name, display), [], []


# --- mapping and typing -----------------------------------------------------------------------


def _try_expr(con, expr: str, src: str) -> str | None:
    """None when `expr` evaluates over the source's columns, else DuckDB's one-line reason."""
    try:
        con.execute(f"select {expr} from {src} limit 0").fetchall()
        return None
    except duckdb.Error as e:
        return _first_line(e)


def _constant(con, expr: str) -> tuple[bool, str | None]:
    """(True, value) when `expr` names no column at all: a literal fallback."""
    try:
        rows = con.execute(f"select cast({expr} as varchar)").fetchall()
    except duckdb.Error:
        return False, None
    return True, rows[0][0]


def _resolve_mapping(
    con: duckdb.DuckDBPyConnection, table: Table, source: Source, src: str, cols: list[str], file: str, key: str
) -> tuple[dict[str, str | None], list[_Fallback]]:
    """Canonical column -> SQL expression over the raw file (or None when absent), and the fallbacks used.

    A mapping is a column name, a list of candidates (the first that works wins), or a DuckDB
    expression. In a list, an entry that is not a column is tried as an expression and skipped
    when it cannot be evaluated (it names a column this file does not have).
    """
    unknown = sorted(set(source.columns) - set(table.column_names))
    if unknown:
        raise ConfigError(
            f"`{key}.columns`: {', '.join(unknown)} is not a column of table {table.name}; "
            f"its columns are {', '.join(table.column_names)}",
            file,
        )
    by_lower = {c.lower(): c for c in cols}
    mapping: dict[str, str | None] = {}
    fallbacks: list[_Fallback] = []
    tried_for: dict[str, list[str]] = {}
    for col in table.columns:
        spec = source.columns.get(col.name)
        candidates = spec if isinstance(spec, list) else [spec] if spec else [col.name]
        tried_for[col.name] = candidates
        expr = None
        for i, cand in enumerate(candidates):
            if cand in cols:
                expr = q(cand)
            elif cand.lower() in by_lower:
                expr = q(by_lower[cand.lower()])
            elif spec is None:
                break  # the default is a column of the canonical name, never an expression
            else:
                why = _try_expr(con, f"({cand})", src)
                if why is None:
                    expr = f"({cand})"
                    is_const, value = _constant(con, expr)
                    if is_const and i > 0:
                        fallbacks.append(_Fallback(col.name, candidates[:i], value))
                elif not isinstance(spec, list):
                    raise ConfigError(
                        f"`{key}.columns.{col.name}`: '{cand}' is neither a column of this file nor a valid "
                        f"expression ({why}); columns present: {', '.join(cols)}",
                        file,
                    )
            if expr:
                break
        mapping[col.name] = expr
    missing = [c.name for c in table.columns if c.required and mapping[c.name] is None]
    if missing:
        looked = "; ".join(f"{m} (looked for {', '.join(tried_for[m])})" for m in missing)
        raise DataError(
            f"table {table.name} needs column(s) that this file does not have: {looked}; "
            f"columns present: {', '.join(cols)}. Map them under `{key}.columns`",
            file,
        )
    return mapping, fallbacks


def _money(raw: str) -> str:
    """Parse currency strings: $1,234.50, 1.234,50 €, 1234,50, USD 100, -$50, (50.00) for negatives."""
    s = f"regexp_replace({raw}, '[\\s\\x{{00A0}}\\x{{202F}}'']', '', 'g')"
    neg = f"(regexp_matches({s}, '^\\(.*\\)$') or regexp_matches({s}, '-'))"
    body = f"regexp_replace({s}, '[()+-]|[$€£¥₹]|^[A-Za-z]{{3}}|[A-Za-z]{{3}}$', '', 'g')"
    us = f"regexp_matches({body}, '^([0-9]{{1,3}}(,[0-9]{{3}})+|[0-9]+)(\\.[0-9]+)?$')"
    eu = f"regexp_matches({body}, '^([0-9]{{1,3}}(\\.[0-9]{{3}})+|[0-9]+),[0-9]{{1,2}}$')"
    plain = f"regexp_matches({body}, '^[0-9]*\\.?[0-9]+$')"
    num = (
        f"case when {us} then replace({body}, ',', '') "
        f"when {eu} then replace(replace({body}, '.', ''), ',', '.') "
        f"when {plain} then {body} end"
    )
    # A sign may appear once, before or after the currency symbol or number; more is garbage.
    signs = f"length({s}) - length(replace(replace({s}, '-', ''), '(', ''))"
    slow = f"case when {signs} <= 1 then (case when {neg} then -1 else 1 end) * try_cast({num} as decimal(18, 2)) end"
    return f"coalesce(try_cast({raw} as decimal(18, 2)), {slow})"  # plain numbers skip the regular expressions


def _timestamp(raw: str, date_format: str | None) -> str:
    fmts = [date_format] if date_format else DATE_FORMATS
    fmt_list = "[" + ", ".join(lit(f) for f in fmts) + "]"
    # DuckDB's cast also reads "02/03/24" (as the year 2!): only ISO-looking text goes through it.
    iso = (
        f"case when substr({raw}, 5, 1) = '-' then "
        f"coalesce(try_cast({raw} as timestamp), try_cast(try_cast({raw} as timestamptz) as timestamp)) end"
        if not date_format
        else "null"
    )
    ts = f"coalesce({iso}, try_strptime({raw}, {fmt_list}))"
    lo, hi = DATE_RANGE
    return f"(case when {ts} >= timestamp {lit(lo)} and {ts} < timestamp {lit(hi)} then {ts} end)"


def _typed(col: Column, raw: str, source: Source) -> str:
    """SQL that turns the trimmed VARCHAR `raw` into the column's type (NULL when it cannot)."""
    if col.type in ("id", "text"):
        return raw
    if col.type in ("date", "timestamp"):
        ts = _timestamp(raw, source.date_format)
        return f"cast({ts} as date)" if col.type == "date" else ts
    if col.type == "money":
        return _money(raw)
    if col.type == "number":
        return (
            f"coalesce(try_cast({raw} as double), try_cast(replace({raw}, '%', '') as double) / 100, "
            f"try_cast(replace({raw}, ',', '.') as double))"
        )
    if col.type == "bool":
        t = ", ".join(lit(w) for w in TRUE_WORDS)
        f = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"case when lower({raw}) in ({t}) then true when lower({raw}) in ({f}) then false end"
    raise AssertionError(col.type)


def _raw_value(col: Column, expr: str | None) -> str:
    if not expr:
        return "null::varchar"
    text = f"trim(cast({expr} as varchar))"
    if col.type == "text":
        ctrl = lit(CONTROL_CHARS)
        text = f"(case when regexp_matches({text}, {ctrl}) then regexp_replace({text}, {ctrl}, '', 'g') else {text} end)"
    return f"nullif({text}, '')"


def _typed_select(table: Table, mapping: dict[str, str | None], src: str, file: str, source: Source,
                  owner_fallback: bool) -> str:
    parts = [f"{lit(file)} as _file", "__row__ as _row", f"{str(owner_fallback).lower()} as _owner_fallback"]
    for col in table.columns:
        parts.append(f"{_raw_value(col, mapping[col.name])} as {q(col.name + '__raw')}")
    inner = f"select {', '.join(parts)} from {src}"
    typed = ["_file", "_row", "_owner_fallback"]
    for col in table.columns:
        raw = q(col.name + "__raw")
        typed.append(f"cast({_typed(col, raw, source)} as {DUCKDB_TYPES[col.type]}) as {q(col.name)}")
        typed.append(raw)
    return f"select {', '.join(typed)} from ({inner})"


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """`parse_date(x)`: any recognised date form -> DATE, for expressions in column mappings."""
    ts = _timestamp("cast(x as varchar)", None)
    con.execute(f"create or replace temp macro parse_date(x) as cast({ts} as date)")


# --- quality rules ----------------------------------------------------------------------------


def _problems(table: Table, cfg: Config, reps_loaded: bool) -> list[tuple[str, str, str, str]]:
    """(column, condition over x, reason SQL, action) for every rule that applies to the table."""
    rules: list[tuple[str, str, str, str]] = []
    for col in table.columns:
        raw, val = q(col.name + "__raw"), q(col.name)
        if col.not_null:
            rules.append((col.name, f"{raw} is null", lit(f"missing {col.name}"), "rejected"))
        if col.type not in ("id", "text"):
            rules.append(
                (col.name, f"{raw} is not null and {val} is null", lit(f"unparseable {col.type} in {col.name}"), "rejected")
            )
        if col.type == "money":
            rules.append((col.name, f"{val} < 0", lit(f"negative {col.name}"), "rejected"))
    if "stage" in table.column_names and cfg.stages:
        names = ", ".join(lit(s.name) for s in cfg.stages)
        rules.append(
            ("stage", f"stage is not null and stage not in ({names})", "'unknown stage (add it to config stages)'", "rejected")
        )
    if table.name == "opportunities":
        rules.append(
            (
                "close_date",
                "close_date < created_date",
                "'close date before created date (cycle time ignores this deal)'",
                cfg.quality.close_before_created,
            )
        )
    if table.name == "quotas":
        rules.append(("period_end", "period_end < period_start", "'period_end before period_start'", "rejected"))
    owner = table.owner_column
    if reps_loaded and owner and table.name != "reps":
        rules.append(
            (owner, f"{q(owner)} is not null and not _owner_fallback and {q(owner)} not in (select rep_id from extract_reps)",
             f"'{owner} not in reps'", cfg.quality.owner_not_in_reps)
        )
    return rules


def _rejected(table: Table) -> str:
    return f"""(select file, "row" from quarantine where "table" = {lit(table.name)} and action = 'rejected')"""


def _quarantine_rows(con, table: Table, x: str, cfg: Config, reps_loaded: bool) -> None:
    owner = table.owner_column
    owner_sql = f"{q(owner + '__raw')}" if owner else "null"
    selects = []
    for column, cond, reason, action in _problems(table, cfg, reps_loaded):
        selects.append(
            f"select {lit(table.name)}, _file, _row, {lit(column)}, {q(column + '__raw')}, {reason}, "
            f"{lit(action)}, {owner_sql} from {x} where {cond}"
        )
    if selects:
        con.execute(f"insert into quarantine {' union all '.join(selects)}")
    if table.key:
        # Among rows that are otherwise fine, the first (by file and row) of each key is kept.
        key = ", ".join(q(k) for k in table.key)
        key_raw = " || ' / ' || ".join(f"coalesce({q(k + '__raw')}, '')" for k in table.key)
        con.execute(
            f"""insert into quarantine
            select {lit(table.name)}, _file, _row, {lit(table.key[0])}, {key_raw},
                'duplicate ' || {lit('/'.join(table.key))} || ' (first at ' || first_file || ' row ' || first_row || ')',
                'rejected', {owner_sql}
            from (select *, first_value(_file) over w as first_file, first_value(_row) over w as first_row,
                         row_number() over w as n
                  from {x} anti join {_rejected(table)} r on {x}._file = r.file and {x}._row = r."row"
                  where {' and '.join(q(k) + ' is not null' for k in table.key)}
                  window w as (partition by {key} order by _file, _row))
            where n > 1"""
        )


# --- entry point ------------------------------------------------------------------------------


def _empty_table(con, table: Table) -> None:
    cols = ", ".join(f"{q(c.name)} {DUCKDB_TYPES[c.type]}" for c in table.columns)
    con.execute(f"create or replace table extract_{table.name} ({cols}, _file varchar, _row bigint)")


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


def _fallback_note(table: Table, fb: _Fallback, display: str, rows: int, key: str) -> str:
    noun = "deals" if table.name == "opportunities" else "rows"
    what = "assigned to" if fb.column == table.owner_column else f"given {fb.column} ="
    return (
        f"{display}: no {fb.column} column found (looked for {', '.join(fb.tried)}); all {rows} {noun} were "
        f"{what} '{fb.value}'. Map `{key}.columns.{fb.column}` to a column of the file to use real values."
    )


def extract(cfg: Config, con: duckdb.DuckDBPyConnection) -> ExtractResult:
    """Read every configured extract into typed `extract_<table>` tables plus `quarantine` and `extract_notes`."""
    con.execute("set TimeZone = 'UTC'")
    define_macros(con)
    con.execute(f"create or replace table quarantine ({QUARANTINE_COLUMNS})")
    con.execute('create or replace table extract_notes ("table" varchar, note varchar)')
    reports: dict[str, TableReport] = {}
    if not cfg.source_list("opportunities"):
        raise ConfigError("`sources.opportunities` is required (the deals extract)", cfg.config_file)
    if not cfg.stages:
        raise ConfigError(
            "`stages` is empty: list your CRM's stages in order, each with kind open, won or lost "
            "(or use `preset: salesforce` / `preset: hubspot`)",
            cfg.config_file,
        )
    n = 0
    for table in TABLES.values():  # reps first, so owner checks can use it
        report = reports[table.name] = TableReport(table.name)
        selects: list[str] = []
        pending: list[tuple[_Fallback, str, int, str]] = []
        seen: set[Path] = set()
        first_src = n + 1
        for i, source in enumerate(cfg.source_list(table.name)):
            key = f"sources.{table.name}" + (f"[{i}]" if isinstance(cfg.sources[table.name], list) else "")
            for path in _files_for(cfg, source, key):
                display = _display(path, cfg)
                if path.resolve() in seen:
                    report.notes.append(f"{display}: matched twice for {table.name}; read once")
                    continue
                seen.add(path.resolve())
                n += 1
                src = f"src_{n}"
                try:
                    cols, malformed, notes = _read_file(con, path, source, src, display)
                    mapping, fallbacks = _resolve_mapping(con, table, source, src, cols, display, key)
                    rows = con.execute(f"select count(*) from {src}_in").fetchall()[0][0]
                except duckdb.Error as e:
                    raise DataError(f"cannot read the file: {_first_line(e)}", display) from e
                owner_fb = any(fb.column == table.owner_column for fb in fallbacks)
                selects.append(_typed_select(table, mapping, src, display, source, owner_fb))
                fallback_cols = {fb.column for fb in fallbacks}
                report.mapped |= {c for c, expr in mapping.items() if expr is not None and c not in fallback_cols}
                report.files.append(display)
                report.notes.extend(notes)
                report.read += rows + len(malformed)
                pending += [(fb, display, rows, key) for fb in fallbacks]
                for m in malformed:
                    con.execute(
                        "insert into quarantine values (?, ?, ?, ?, ?, ?, 'rejected', null)",
                        [table.name, m["file"], m["row"], m["column"], m["value"], m["reason"]],
                    )
        if not selects:
            _empty_table(con, table)
            continue
        report.present = True
        x = f"x_{table.name}"
        cols = ", ".join(q(c.name) for c in table.columns)
        try:
            con.execute(f"create or replace temp table {x} as {' union all by name '.join(selects)}")
            _quarantine_rows(con, table, x, cfg, reports["reps"].present)
            con.execute(
                f"""create or replace table extract_{table.name} as
                select {cols}, {x}._file, {x}._row from {x}
                anti join {_rejected(table)} r on {x}._file = r.file and {x}._row = r."row"
                order by {x}._file, {x}._row"""
            )
        except duckdb.Error as e:
            raise DataError(f"cannot map the {table.name} extract: {_first_line(e)}", ", ".join(report.files)) from e
        finally:
            con.execute(f"drop table if exists {x}")
            for k in range(first_src, n + 1):
                con.execute(f"drop view if exists src_{k}")
                for suffix in ("_in", "_adj", "_holes"):
                    con.execute(f"drop table if exists src_{k}{suffix}")
        report.loaded = con.execute(f"select count(*) from extract_{table.name}").fetchall()[0][0]
        report.rejected = report.read - report.loaded
        report.flagged = con.execute(
            "select count(distinct (file, \"row\")) from quarantine where \"table\" = ? and action = 'flagged'",
            [table.name],
        ).fetchall()[0][0]
        report.reasons = dict(
            con.execute(
                """select reason, count(distinct (file, "row")) as n from quarantine
                where "table" = ? and action = 'rejected' group by reason order by n desc, reason limit 5""",
                [table.name],
            ).fetchall()
        )
        for fb, display, rows, key in pending:
            report.notes.append(_fallback_note(table, fb, display, rows, key))
        for note in report.notes:
            con.execute("insert into extract_notes values (?, ?)", [table.name, note])
    return ExtractResult(reports)


def check_quality_gate(result: ExtractResult, cfg: Config, report_path: Path | None = None) -> None:
    """Fail when any extract rejects more than `thresholds.max_rejected_share` of its rows."""
    limit = cfg.thresholds.max_rejected_share
    for r in result.tables.values():
        if r.read and r.rejected / r.read > limit:
            where = f"; see {report_path}" if report_path else ""
            top = "; ".join(f"{reason}: {count}" for reason, count in list(r.reasons.items())[:3])
            common = f" (most common: {top})" if top else ""
            raise QualityGateError(
                f"{r.rejected} of {r.read} rows ({r.rejected / r.read:.1%}) of {r.table} were rejected, "
                f"above thresholds.max_rejected_share = {limit:.0%}{common}{where}",
                ", ".join(r.files),
            )
