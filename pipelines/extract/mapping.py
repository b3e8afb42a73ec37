"""Resolving a source's column mapping and building the typed select over one file.

Exports name their columns as the CRM or the person who exported them liked (Owner, owner_id,
"Opportunity Owner"), so `sources.<table>.columns` maps each canonical column to a name, a list
of candidates, or a DuckDB expression, with constants as a last resort. Resolution fails early
with the file, the key to edit and the columns present; a constant that stands in for a missing
column is never silent: it becomes a note on the build.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.errors import ConfigError, UnusableFileError
from pipelines.extract.files import _first_line
from pipelines.extract.parsers import _parsed, _raw_value, _typed
from pipelines.schema import DUCKDB_TYPES, Table
from pipelines.settings import Source
from pipelines.sqlguard import check_mapping, syntax_error, wrapped
from pipelines.sqltext import lit, q


@dataclass
class _Fallback:
    """A canonical column filled from a constant because none of its candidate columns exists."""

    column: str
    tried: list[str]
    value: str | None


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
        mapping[col.name], fallback = _resolve_column(con, col.name, spec, candidates, cols, by_lower, src, file, key)
        if fallback:
            fallbacks.append(fallback)
    missing = [c.name for c in table.columns if c.required and mapping[c.name] is None]
    if missing:
        looked = "; ".join(f"{m} (looked for {', '.join(tried_for[m])})" for m in missing)
        raise UnusableFileError(
            f"table {table.name} needs column(s) that this file does not have: {looked}; "
            f"columns present: {', '.join(cols)}. Map them under `{key}.columns`",
            file,
        )
    return mapping, fallbacks


def _resolve_column(
    con: duckdb.DuckDBPyConnection, column: str, spec: str | list[str] | None, candidates: list[str],
    cols: list[str], by_lower: dict[str, str], src: str, file: str, key: str,
) -> tuple[str | None, _Fallback | None]:
    """(SQL expression or None, the constant fallback it is, if one) for one canonical column."""
    expr = None
    fallback = None
    for i, cand in enumerate(candidates):
        if cand in cols:
            expr = q(cand)
        elif cand.lower() in by_lower:
            expr = q(by_lower[cand.lower()])
        elif spec is None:
            break  # the default is a column of the canonical name, never an expression
        else:
            check_mapping(con, cand, f"{key}.columns.{column}", file)  # one scalar expression, nothing else
            # Text that does not parse alone is never run: SQL after it could complete it into statements.
            why = syntax_error(con, cand) or _try_expr(con, wrapped(cand), src)
            if why is None:
                expr = wrapped(cand)
                is_const, value = _constant(con, expr)
                if is_const and i > 0:
                    fallback = _Fallback(column, candidates[:i], value)
            elif not isinstance(spec, list):
                raise ConfigError(
                    f"`{key}.columns.{column}`: '{cand}' is neither a column of this file nor a valid "
                    f"expression ({why}); columns present: {', '.join(cols)}",
                    file,
                )
        if expr:
            break
    return expr, fallback


def _fallback_note(table: Table, fb: _Fallback, display: str, rows: int, key: str) -> str:
    noun = "deals" if table.name == "opportunities" else "rows"
    what = "assigned to" if fb.column == table.owner_column else f"given {fb.column} ="
    return (
        f"{display}: no {fb.column} column found (looked for {', '.join(fb.tried)}); all {rows} {noun} were "
        f"{what} '{fb.value}'. Map `{key}.columns.{fb.column}` to a column of the file to use real values."
    )


def files_type(table: Table) -> str:
    """The enum type of `extract_<table>._file`, whose values are the table's files (`extract.files_enum`).

    A table with no file keeps `_file` as text (`extract._empty_table`), and so do the currency rates once config's
    are added (`resolve.settle_currencies`: config.yml is none of the extract's files)."""
    return f"extract_files_{table.name}"


def _typed_select(table: Table, mapping: dict[str, str | None], src: str, file: str, source: Source,
                  owner_fallback: bool, clean: frozenset[str] = frozenset(), unpadded: frozenset[str] = frozenset(),
                  raw: frozenset[str] | None = None, decimal_comma: frozenset[str] = frozenset()) -> str:
    """The typed rows of one file, with the raw text of the columns in `raw` (None: all) as <column>__raw.

    `decimal_comma`: its money columns to read with a decimal comma (`parsers.decimal_comma_columns`).

    `clean` and `unpadded`: its columns (quoted) known to hold no control character, and no value that starts
    or ends with a space (`parsers._raw_value`).
    """
    # The file as a value of its table's enum type (`files_type`), not as text: a path on each of millions of
    # rows held 435 MB of DuckDB's memory at 5,000 reps (an enum value is a byte, two past 255 files), and spilled.
    parts = [f"cast({lit(file)} as {files_type(table)}) as _file", "__row__ as _row",
             f"{str(owner_fallback).lower()} as _owner_fallback"]
    for col in table.columns:
        parts.append(f"{_raw_value(col, mapping[col.name], clean, unpadded)} as {q(col.name + '__raw')}")
    inner = f"select {', '.join(parts)} from {src}"
    # Dates are parsed in a select of their own, so the typed select names each parse instead of repeating it.
    parsed = {c.name: sql for c in table.columns if (sql := _parsed(c, q(c.name + "__raw"), source))}
    if parsed:
        named = [f"{sql} as {q(name + '__parsed')}" for name, sql in parsed.items()]
        inner = f"select *, {', '.join(named)} from ({inner})"
    typed = []
    for col in table.columns:
        text = q(col.name + "__raw")
        parse = q(col.name + "__parsed") if col.name in parsed else None
        sql = _typed(col, text, source, parse, col.name in decimal_comma)
        typed.append(f"cast({sql} as {DUCKDB_TYPES[col.type]}) as {q(col.name)}")
        if raw is None or col.name in raw:
            typed.append(text)
    # The typed columns first and _file, _row next: dropping the rest leaves extract_<table>'s layout.
    return f"select {', '.join(typed)}, _file, _row, _owner_fallback from ({inner})"
