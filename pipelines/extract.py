"""Stage 1: read the CRM extracts, map them onto the canonical tables, and quarantine bad rows.

Every input row ends in exactly one place: the typed `extract_<table>` table, or the
`quarantine` table with its file, row, column and reason. Parsing happens in DuckDB so a
five-million-row activity export costs seconds, not minutes.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.errors import ConfigError, DataError, QualityGateError
from pipelines.schema import DUCKDB_TYPES, TABLES, Column, Table
from pipelines.settings import Config, Source
from pipelines.sqltext import lit, q

# Tried in order; the first that parses wins. ISO forms go through a plain cast first.
DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d",
    "%d %b %Y",
    "%b %d, %Y",
]
TRUE_WORDS = ("true", "t", "yes", "y", "1")
FALSE_WORDS = ("false", "f", "no", "n", "0")

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


@dataclass
class ExtractResult:
    tables: dict[str, TableReport]

    @property
    def present(self) -> set[str]:
        return {t for t, r in self.tables.items() if r.present}


def _display(path: Path, cfg: Config) -> str:
    try:
        return str(path.relative_to(cfg.base_dir)) if not path.is_absolute() else str(path)
    except ValueError:
        return str(path)


# --- reading one file -------------------------------------------------------------------------


def _sniff_format(path: Path, source: Source) -> str:
    if source.format != "auto":
        return source.format
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "json"
    return "csv"


def _sniff_delimiter(path: Path) -> str:
    """Pick the delimiter that splits the header line into the most fields."""
    with open(path, "rb") as fh:
        head = fh.readline(65536)
    text = head.decode("utf-8-sig", errors="replace")
    counts = {d: text.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _check_encoding(path: Path) -> None:
    """UTF-8 (with or without BOM) only; anything else is named, never guessed."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError("file is UTF-16 encoded; export it as UTF-8 (CSV UTF-8 in Excel)", path)


def _read_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, name: str, cfg: Config) -> tuple[list[str], list[dict]]:
    """Load one file as all-VARCHAR into temp table `name` with `_row`; return (columns, malformed rows)."""
    fmt = _sniff_format(path, source)
    malformed: list[dict] = []
    p = lit(str(path))
    if fmt == "csv":
        _check_encoding(path)
        if path.stat().st_size == 0:
            raise DataError("file is empty (no header row)", _display(path, cfg))
        delim = source.delimiter or _sniff_delimiter(path)
        rej = f"{name}_rej"
        con.execute(f"drop table if exists {rej}; drop table if exists {rej}_scan")
        try:
            con.execute(
                f"""create or replace temp table {name}_in as
                select * from read_csv({p}, all_varchar = true, header = true, delim = {lit(delim)},
                    quote = '"', escape = '"', store_rejects = true, rejects_table = '{rej}',
                    rejects_scan = '{rej}_scan', strict_mode = true, null_padding = false,
                    auto_detect = true, sample_size = -1)"""
            )
        except duckdb.Error as e:
            msg = str(e).splitlines()[0]
            raise DataError(f"cannot read as CSV: {msg}", _display(path, cfg)) from e
        rejects = con.execute(
            f"select line, column_name, error_type, error_message, csv_line from {rej} order by line"
        ).fetchall()
        for line, column, etype, emsg, csv_line in rejects:
            if etype == "INVALID ENCODING":
                raise DataError(
                    f"file is not UTF-8 (first bad byte on line {line}); re-export it as UTF-8",
                    _display(path, cfg),
                )
            malformed.append(
                {
                    "file": _display(path, cfg),
                    "row": int(line),
                    "column": column,
                    "value": (csv_line or "").strip()[:200],
                    "reason": f"malformed CSV line: {etype.lower()} ({emsg})",
                }
            )
        # Record numbers: the header is row 1; rejected lines are skipped in rowid order.
        con.execute(f"create or replace temp table {name} as select *, rowid + 2 as _row from {name}_in")
        con.execute(f"drop table {name}_in")
        if rejects:
            # Shift row numbers past rejected records so loaded rows keep their true position.
            adj = sorted(int(r[0]) - i for i, r in enumerate(rejects))
            con.execute(f"create or replace temp table {name}_adj as select unnest(?::bigint[]) as adj", [adj])
            con.execute(
                f"""create or replace temp table {name} as
                select t.* exclude (_row), t._row + (select count(*) from {name}_adj a where a.adj <= t._row) as _row
                from {name} t"""
            )
    elif fmt == "parquet":
        try:
            con.execute(f"create or replace temp table {name} as select *, rowid + 1 as _row from read_parquet({p})")
        except duckdb.Error as e:
            raise DataError(f"cannot read as Parquet: {str(e).splitlines()[0]}", _display(path, cfg)) from e
    else:
        try:
            con.execute(f"create or replace temp table {name} as select *, rowid + 1 as _row from read_json_auto({p})")
        except duckdb.Error as e:
            raise DataError(f"cannot read as JSON: {str(e).splitlines()[0]}", _display(path, cfg)) from e
    cols = [r[0] for r in con.execute(f"describe {name}").fetchall() if r[0] != "_row"]
    return cols, malformed


# --- mapping and typing -----------------------------------------------------------------------


def _resolve_mapping(
    con: duckdb.DuckDBPyConnection, table: Table, source: Source, src: str, cols: list[str], file: str, key: str
) -> dict[str, str | None]:
    """Canonical column -> SQL expression over the raw file (or None when absent)."""
    by_lower = {c.lower(): c for c in cols}
    mapping: dict[str, str | None] = {}
    for col in table.columns:
        spec = source.columns.get(col.name)
        candidates = spec if isinstance(spec, list) else [spec] if spec else [col.name]
        expr = None
        for cand in candidates:
            if cand in cols:
                expr = q(cand)
            elif cand.lower() in by_lower:
                expr = q(by_lower[cand.lower()])
            elif spec is not None and not isinstance(spec, list):
                expr = f"({cand})"  # a SQL expression over the source columns
                try:
                    con.execute(f"select {expr} from {src} limit 0")
                except duckdb.Error as e:
                    raise ConfigError(
                        f"`{key}.columns.{col.name}`: '{cand}' is neither a column of {file} nor a valid "
                        f"expression ({str(e).splitlines()[0]}); columns present: {', '.join(cols)}",
                        file,
                    ) from e
            if expr:
                break
        mapping[col.name] = expr
    missing = [c.name for c in table.columns if c.required and mapping[c.name] is None]
    if missing:
        raise DataError(
            f"missing required column(s) {', '.join(missing)} for table {table.name} "
            f"(map them under `{key}.columns`); columns present: {', '.join(cols)}",
            file,
        )
    return mapping


def _money(raw: str) -> str:
    """Parse currency strings: $1,234.50, 1.234,50 €, USD 100, (50.00) for negatives."""
    stripped = (
        f"regexp_replace({raw}, '^\\s*(?:[A-Za-z]{{3}}|[$€£¥₹])\\s*|\\s*(?:[A-Za-z]{{3}}|[$€£¥₹])\\s*$', '', 'g')"
    )
    s = f"replace(replace({stripped}, ' ', ''), chr(160), '')"
    neg = f"regexp_matches({s}, '^\\(.*\\)$')"
    body = f"regexp_replace({s}, '^\\((.*)\\)$', '\\1')"
    us = f"regexp_matches({body}, '^-?[0-9]{{1,3}}(,[0-9]{{3}})+(\\.[0-9]+)?$')"
    eu = f"regexp_matches({body}, '^-?[0-9]{{1,3}}(\\.[0-9]{{3}})*,[0-9]{{1,2}}$')"
    num = f"case when {us} then replace({body}, ',', '') when {eu} then replace(replace({body}, '.', ''), ',', '.') else {body} end"
    return f"(case when {neg} then -1 else 1 end) * try_cast({num} as decimal(18, 2))"


def _typed(col: Column, raw: str, source: Source) -> str:
    """SQL that turns the trimmed VARCHAR `raw` into the column's type (NULL when it cannot)."""
    if col.type in ("id", "text"):
        return raw
    if col.type in ("date", "timestamp"):
        fmts = [source.date_format] if source.date_format else DATE_FORMATS
        fmt_list = "[" + ", ".join(lit(f) for f in fmts) + "]"
        iso = (
            f"coalesce(try_cast({raw} as timestamp), try_cast(try_cast({raw} as timestamptz) as timestamp))"
            if not source.date_format
            else "null"
        )
        ts = f"coalesce({iso}, try_strptime({raw}, {fmt_list}))"
        return f"cast({ts} as date)" if col.type == "date" else ts
    if col.type == "money":
        return _money(raw)
    if col.type == "number":
        return f"coalesce(try_cast({raw} as double), try_cast(replace({raw}, '%', '') as double) / 100)"
    if col.type == "bool":
        t = ", ".join(lit(w) for w in TRUE_WORDS)
        f = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"case when lower({raw}) in ({t}) then true when lower({raw}) in ({f}) then false end"
    raise AssertionError(col.type)


def _typed_select(table: Table, mapping: dict[str, str | None], src: str, file: str, source: Source) -> str:
    parts = [f"{lit(file)} as _file", "_row"]
    for col in table.columns:
        expr = mapping[col.name]
        raw = f"nullif(trim(cast({expr} as varchar)), '')" if expr else "null::varchar"
        parts.append(f"{raw} as {q(col.name + '__raw')}")
    inner = f"select {', '.join(parts)} from {src}"
    typed = ["_file", "_row"]
    for col in table.columns:
        raw = q(col.name + "__raw")
        typed.append(f"cast({_typed(col, raw, source)} as {DUCKDB_TYPES[col.type]}) as {q(col.name)}")
        typed.append(raw)
    return f"select {', '.join(typed)} from ({inner})"


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
            (owner, f"{owner} is not null and {owner} not in (select rep_id from extract_reps)", f"'{owner} not in reps'",
             cfg.quality.owner_not_in_reps)
        )
    return rules


def _quarantine_rows(con, table: Table, x: str, cfg: Config, reps_loaded: bool) -> None:
    owner = table.owner_column
    owner_sql = f"{q(owner + '__raw')}" if owner else "null"
    selects = []
    for column, cond, reason, action in _problems(table, cfg, reps_loaded):
        selects.append(
            f"select {lit(table.name)}, _file, _row, {lit(column)}, {q(column + '__raw')}, {reason}, "
            f"{lit(action)}, {owner_sql} from {x} where {cond}"
        )
    if table.key:
        key = ", ".join(q(k) for k in table.key)
        key_raw = " || ' / ' || ".join(f"coalesce({q(k + '__raw')}, '')" for k in table.key)
        selects.append(
            f"""select {lit(table.name)}, _file, _row, {lit(table.key[0])}, {key_raw},
                'duplicate ' || {lit('/'.join(table.key))} || ' (first at ' || first_file || ' row ' || first_row || ')',
                'rejected', {owner_sql}
            from (select *, first_value(_file) over w as first_file, first_value(_row) over w as first_row,
                         row_number() over w as n
                  from {x} where {' and '.join(q(k) + ' is not null' for k in table.key)}
                  window w as (partition by {key} order by _file, _row))
            where n > 1"""
        )
    if selects:
        con.execute(f"insert into quarantine {' union all '.join(selects)}")


# --- entry point ------------------------------------------------------------------------------


def _empty_table(con, table: Table) -> None:
    cols = ", ".join(f"{q(c.name)} {DUCKDB_TYPES[c.type]}" for c in table.columns)
    con.execute(f"create or replace table extract_{table.name} ({cols}, _file varchar, _row bigint)")


def _files_for(cfg: Config, source: Source, key: str) -> list[Path]:
    pattern = cfg.resolve(source.path)
    files = sorted(Path(p) for p in glob.glob(str(pattern)))
    if not files and not source.optional:
        raise ConfigError(f"`{key}.path`: no file matches '{source.path}' (looked for {pattern})", cfg.base_dir / "config.yml")
    return files


def extract(cfg: Config, con: duckdb.DuckDBPyConnection) -> ExtractResult:
    """Read every configured extract into typed `extract_<table>` tables plus `quarantine`."""
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create or replace table quarantine ({QUARANTINE_COLUMNS})")
    reports: dict[str, TableReport] = {}
    if not cfg.source_list("opportunities"):
        raise ConfigError("`sources.opportunities` is required (the deals extract)", cfg.base_dir / "config.yml")
    n = 0
    for table in TABLES.values():  # reps first, so owner checks can use it
        report = reports[table.name] = TableReport(table.name)
        selects = []
        for i, source in enumerate(cfg.source_list(table.name)):
            key = f"sources.{table.name}" + (f"[{i}]" if isinstance(cfg.sources[table.name], list) else "")
            for path in _files_for(cfg, source, key):
                n += 1
                src = f"src_{n}"
                display = _display(path, cfg)
                cols, malformed = _read_file(con, path, source, src, cfg)
                mapping = _resolve_mapping(con, table, source, src, cols, display, key)
                selects.append(_typed_select(table, mapping, src, display, source))
                report.files.append(display)
                report.read += con.execute(f"select count(*) from {src}").fetchone()[0] + len(malformed)
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
        con.execute(f"create or replace temp table {x} as {' union all by name '.join(selects)}")
        _quarantine_rows(con, table, x, cfg, reports["reps"].present)
        cols = ", ".join(q(c.name) for c in table.columns)
        con.execute(
            f"""create or replace table extract_{table.name} as
            select {cols}, _file, _row from {x}
            where (_file, _row) not in (
                select (file, "row") from quarantine where "table" = {lit(table.name)} and action = 'rejected')
            order by _file, _row"""
        )
        for k in range(n - len(selects) + 1, n + 1):
            con.execute(f"drop table if exists src_{k}")
        con.execute(f"drop table {x}")
        report.loaded = con.execute(f"select count(*) from extract_{table.name}").fetchone()[0]
        report.rejected = report.read - report.loaded
        report.flagged = con.execute(
            "select count(distinct (file, \"row\")) from quarantine where \"table\" = ? and action = 'flagged'",
            [table.name],
        ).fetchone()[0]
    return ExtractResult(reports)


def check_quality_gate(result: ExtractResult, cfg: Config, report_path: Path | None = None) -> None:
    """Fail when any extract rejects more than `thresholds.max_rejected_share` of its rows."""
    limit = cfg.thresholds.max_rejected_share
    for r in result.tables.values():
        if r.read and r.rejected / r.read > limit:
            where = f"; see {report_path}" if report_path else ""
            raise QualityGateError(
                f"{r.rejected} of {r.read} rows ({r.rejected / r.read:.1%}) of {r.table} were rejected, "
                f"above thresholds.max_rejected_share = {limit:.0%}{where}",
                ", ".join(r.files),
            )

