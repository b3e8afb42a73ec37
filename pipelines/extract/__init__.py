"""Stage 1: read the CRM extracts, map them onto the canonical tables, and quarantine bad rows.

Every input row ends in exactly one place: the typed `extract_<table>` table, or the
`quarantine` table with its file, row, column and reason. Parsing happens in DuckDB so a
five-million-row activity export costs seconds, not minutes; Python only reads the header.
Row numbers are what a spreadsheet shows for the file (see `files`).

This module holds the stage's one entry function, `extract`, and its result; the work is split
by job: `files` finds and reads a source's files, `parsers` is the SQL that types raw text,
`mapping` resolves column mappings into a typed select, and `quality` writes the quarantine
and holds the quality gate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.errors import ConfigError, DataError, UnusableFileError
from pipelines.forecast import check_categories
from pipelines.extract.files import _display, _files_for, _first_line, _read_file
from pipelines.extract.mapping import _Fallback, _fallback_note, _resolve_mapping, _typed_select, files_type
from pipelines.extract import resolve
from pipelines.extract.parsers import _money, _raw_value, decimal_comma_columns, define_macros
from pipelines.extract.quality import (
    _create_quarantine,
    _quarantine_malformed,
    _quarantine_rows,
    check_quality_gate,
    not_rejected,
    raw_read,
)
from pipelines.extract.stages import configured_stages, describe_from_deals, describe_from_history, describe_note
from pipelines.schema import DUCKDB_TYPES, TABLES, Table
from pipelines.settings import Config, Source, preset_standard_stages
from pipelines.sqltext import lit, q

# Imported from here by other modules and tests: `_money` and `define_macros` are tested directly.
__all__ = ["ExtractResult", "TableReport", "_money", "check_quality_gate", "define_macros", "extract"]

# A constant fallback waiting to become a note: (fallback, file as displayed, rows, config key).
_Pending = tuple[_Fallback, str, int, str]


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
    mappings: dict[str, dict[str, str | None]] = field(default_factory=dict)  # file -> canonical column -> SQL

    def source_column(self, file: str, column: str) -> str:
        """How a canonical column is read from one file, for error messages: the file's column name, else the SQL."""
        expr = self.mappings.get(file, {}).get(column) or column
        return expr[1:-1].replace('""', '"') if expr.startswith('"') and expr.endswith('"') else expr


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


def extract(
    cfg: Config, con: duckdb.DuckDBPyConnection, warehouse: Path | None = None, load_day: dt.date | None = None
) -> ExtractResult:
    """Read every configured extract into typed `extract_<table>` tables plus `quarantine` and `extract_notes`.

    `warehouse` and `load_day` let a closed deal without a close date be dated from the stored history
    (`resolve.date_closed_deals`); without them only the opportunity_history extract can date it.
    """
    _start(cfg, con)
    reports: dict[str, TableReport] = {}
    pending: dict[str, list[_Pending]] = {}
    n = 0  # source views are numbered across tables: src_1, src_2, ...
    for table in TABLES.values():  # reps first, so owner checks can use it
        report = reports[table.name] = TableReport(table.name)
        first_src = n + 1
        raw = raw_read(table, cfg, reports["reps"].present)  # (reps are read first)
        selects, pending[table.name], n = _read_table(cfg, con, table, report, n, raw)
        if not selects:
            _empty_table(con, table)
            continue
        report.present = True
        _type_and_quarantine(cfg, con, table, reports, selects, range(first_src, n + 1))
    resolve.date_closed_deals(con, warehouse, load_day)
    resolve.settle_currencies(con, cfg, reports)
    resolve.settle_managers(con)
    check_categories(cfg, con)
    _note_no_quota(cfg, con, reports["quotas"])
    for table in TABLES.values():
        _report_table(con, table, reports[table.name], pending[table.name])
    return ExtractResult(reports)


def _note_no_quota(cfg: Config, con: duckdb.DuckDBPyConnection, report: TableReport) -> None:
    """Say why every grade reads "not graded" when nothing gives anyone a quota (HubSpot keeps goals elsewhere).

    Grading people without a plan would grade the calendar; the page notes say "not graded" per person, and
    this note says once, on the data-quality page and in the build log, what to add.
    """
    if cfg.targets.quota is not None or not cfg.grades.require_quota:
        return
    if con.execute("select count(*) from extract_quotas where amount > 0").fetchone()[0] == 0:
        report.notes.append("no quota for anyone (no quotas extract with a quota above 0, no targets.quota), so "
                            "nobody is graded or ranked and attainment shows no data: add sources.quotas or "
                            "targets.quota, or set grades.require_quota: false to grade the other dimensions")


def _start(cfg: Config, con: duckdb.DuckDBPyConnection) -> None:
    """Create the stage's output tables and macros, and refuse a config with no deals or no stages."""
    con.execute("set TimeZone = 'UTC'")
    define_macros(con)
    _create_quarantine(con)
    con.execute('create or replace table extract_notes ("table" varchar, note varchar)')
    configured_stages(con, cfg)
    if not cfg.source_list("opportunities"):
        raise ConfigError("`sources.opportunities` is required (the deals extract)", cfg.config_file)


def _read_table(
    cfg: Config, con: duckdb.DuckDBPyConnection, table: Table, report: TableReport, n: int, raw: frozenset[str]
) -> tuple[list[str], list[_Pending], int]:
    """Read every file of the table's sources as views src_<n+1>...; (typed selects, fallbacks, last n).

    `raw`: the columns whose raw text the quality rules read (`quality.raw_read`).
    """
    selects: list[str] = []
    pending: list[_Pending] = []
    seen: set[Path] = set()
    for i, source in enumerate(cfg.source_list(table.name)):
        key = f"sources.{table.name}" + (f"[{i}]" if isinstance(cfg.sources[table.name], list) else "")
        for path in _files_for(cfg, source, key):
            display = _display(path, cfg)
            if path.resolve() in seen:
                report.notes.append(f"{display}: matched twice for {table.name}; read once")
                continue
            seen.add(path.resolve())
            n += 1
            try:
                select, fallbacks = _read_one_file(con, table, source, path, f"src_{n}", display, key, report, raw)
            except UnusableFileError as e:
                if not source.optional:
                    raise
                _drop_source(con, n)
                report.notes.append(f"{display}: skipped ({table.name} is optional, so what depends on it shows "
                                    f"no data): {e.message}")
                continue
            if select is None:
                _drop_source(con, n)
                report.notes.append(f"{display}: skipped ({table.name} is optional, so what depends on it shows "
                                    "no data): it has a header and no rows")
                continue
            selects.append(select)
            pending += fallbacks
    return selects, pending, n


def _drop_source(con: duckdb.DuckDBPyConnection, k: int) -> None:
    """Drop the scratch views and tables of source view src_<k>."""
    con.execute(f"drop view if exists src_{k}")
    for suffix in ("_in", "_adj", "_holes"):
        con.execute(f"drop table if exists src_{k}{suffix}")


def _read_one_file(
    con: duckdb.DuckDBPyConnection, table: Table, source: Source, path: Path, src: str, display: str, key: str,
    report: TableReport, raw: frozenset[str] | None = None,
) -> tuple[str | None, list[_Pending]]:
    """Read one file as view `src` and count it in the report; (its typed select, its constant fallbacks).

    The select is None for an optional source's file that holds no record at all (a bare header).
    """
    try:
        cols, malformed, notes, text = _read_file(con, path, source, src, display, key)
        mapping, fallbacks = _resolve_mapping(con, table, source, src, cols, display, key)
        rows = con.execute(f"select count(*) from {src}_in").fetchall()[0][0]
        plain = frozenset(q(c) for c in cols)  # the file's columns, as a mapping names them
        unpadded = frozenset() if text.padded else plain
        money = {c.name: _raw_value(c, mapping[c.name], unpadded=unpadded) for c in table.columns
                 if c.type == "money" and mapping.get(c.name)}
        comma = decimal_comma_columns(con, money, src, source)
    except duckdb.Error as e:
        raise DataError(f"cannot read the file: {_first_line(e)}", display) from e
    if source.optional and rows == 0 and not malformed:
        return None, []
    owner_fb = any(fb.column == table.owner_column for fb in fallbacks)
    if comma and source.decimal == "auto":
        report.notes.append(f"{display}: {', '.join(sorted(comma))} read with a decimal comma (45.000 is 45 000, as "
                            f"1.234,56 is 1 234.56): no amount is written with a decimal point. Set "
                            f"`{key}.decimal: \".\"` if 45.000 means 45")
    select = _typed_select(table, mapping, src, display, source, owner_fb,
                           clean=frozenset() if text.control else plain, unpadded=unpadded,
                           raw=raw, decimal_comma=comma)
    fallback_cols = {fb.column for fb in fallbacks}
    report.mapped |= {c for c, expr in mapping.items() if expr is not None and c not in fallback_cols}
    report.mappings[display] = mapping
    report.files.append(display)
    report.notes.extend(notes)
    report.read += rows + len(malformed)
    _quarantine_malformed(con, table, malformed)
    return select, [(fb, display, rows, key) for fb in fallbacks]


def _type_and_quarantine(
    cfg: Config, con: duckdb.DuckDBPyConnection, table: Table, reports: dict[str, TableReport], selects: list[str],
    sources: range,
) -> None:
    """Type the table's files together, quarantine what breaks a rule, keep the rest as `extract_<table>`."""
    x = f"x_{table.name}"
    cols = ", ".join(q(c.name) for c in table.columns)
    report = reports[table.name]
    try:
        files_enum(con, table, report.files)
        typed = f"create or replace table {x} as {' union all by name '.join(selects)}"
        in_order = _in_file_order(con, report, typed)
        con.execute(typed)
        for k in sources:  # the raw text is in x now; freeing it early keeps the stage within its memory
            _drop_source(con, k)
        if not cfg.stages and table.name == "opportunities":
            _settle_stages(cfg, con, x, report)
        elif not cfg.stages and table.name == "opportunity_history" and _described(reports):
            _describe_history_stages(con, x, report)
        if cfg.stages and "stage" in table.column_names:
            _stages_by_spelling(con, x, report)
        if reports["reps"].present and table.owner_column and table.name != "reps":
            _owners_by_name(con, x, table, report, reports["reps"])
        if table.name == "reps":
            _managers_by_name(con, x, report)
        _quarantine_rows(con, table, x, cfg, reports["reps"].present)
        _keep_loaded(con, table, x, cols, in_order)
    except duckdb.Error as e:
        raise DataError(f"cannot map the {table.name} extract: {_first_line(e)}", ", ".join(report.files)) from e
    finally:
        con.execute(f"drop table if exists {x}")
        for k in sources:
            _drop_source(con, k)


def files_enum(con: duckdb.DuckDBPyConnection, table: Table, files: list[str]) -> None:
    """The enum type `extract_<table>._file` is made of: the table's files, in the order their names sort in.

    Sorted so that ordering by `_file` is ordering by name, as it was when `_file` was text. A table made
    with an earlier version of the type keeps that version (DuckDB copies an enum's values into each column).
    """
    values = ", ".join(lit(f) for f in dict.fromkeys(sorted(files)))
    con.execute(f"create or replace type {files_type(table)} as enum ({values})")


def _in_file_order(con: duckdb.DuckDBPyConnection, report: TableReport, create: str) -> bool:
    """Whether the statement `create` makes x in file and row order, so that it needs no sort.

    Each source view numbers its rows in the raw table's order, and DuckDB keeps the order of what it
    inserts when it can insert in batches, which its plan says. A join (rows renumbered around blank or
    malformed lines, an IN list in a mapping) makes it insert in parallel, in no particular order; and
    files read in another order than their names sort in would need the sort too.
    """
    plan = " ".join(str(v) for row in con.execute(f"explain {create}").fetchall() for v in row)
    return report.files == sorted(report.files) and "batch create table as" in plan.lower().replace("_", " ")


def _keep_loaded(con: duckdb.DuckDBPyConnection, table: Table, x: str, cols: str, in_order: bool) -> None:
    """`extract_<table>`: the rows of x that were not rejected, in file and row order.

    Usually no row is rejected and x is in file order already (`_in_file_order`): then x becomes the
    table by dropping its last raw and scratch columns, which DuckDB does without copying a row (a sorted
    copy of 6 million activities held both tables in memory at once, beyond the memory cap). Otherwise
    the rows are joined against the quarantine and sorted.
    """
    rows = not_rejected(con, table, x)
    con.execute(f"drop table if exists extract_{table.name}")
    if in_order and rows == x:
        for col in [k + "__raw" for k in table.key] + ["_owner_fallback"]:  # the quality rules dropped the others
            con.execute(f"alter table {x} drop column {q(col)}")
        con.execute(f"alter table {x} rename to extract_{table.name}")
        return
    con.execute(f"create table extract_{table.name} as select {cols}, {x}._file, {x}._row from {rows} "
                f"order by {x}._file, {x}._row")


def _stages_by_spelling(con: duckdb.DuckDBPyConnection, x: str, report: TableReport) -> None:
    """A stage written with other case or spacing than config's (`closed won`, `Closed  Won `) is config's stage.

    Exports differ from the list a person typed into config.yml in exactly this way, and rejecting every such
    deal as an unknown stage would stop the build; anything else is still an unknown stage.
    """
    key = "lower(regexp_replace(trim({}), '\\s+', ' ', 'g'))"
    # Each unknown spelling is compared once, not once per row: millions of history rows hold a few stages.
    matched = con.execute(
        f"""update {x} set stage = m.stage from (
            select u.stage as spelled, s.stage from (
                select distinct stage from {x} where stage not in (select t.stage from extract_stages as t)) as u
            join extract_stages as s on {key.format('u.stage')} = {key.format('s.stage')}) as m
        where {x}.stage = m.spelled"""
    ).fetchone()[0]
    if matched:
        report.notes.append(f"{', '.join(report.files)}: {matched} row(s) write a stage with other case or spacing than "
                            "config `stages`; read as the configured stage")


def _people_by_name(reps: str) -> str:
    """SQL for (key, rep_id): each lower-cased name or email in `reps` that belongs to exactly one person."""
    return f"""select key, any_value(rep_id) as rep_id from (
            select lower(trim(name)) as key, rep_id from {reps} where name is not null and rep_id is not null
            union select lower(trim(email)), rep_id from {reps} where email is not null and rep_id is not null)
        group by key having count(distinct rep_id) = 1"""


def _owners_by_name(con: duckdb.DuckDBPyConnection, x: str, table: Table, report: TableReport,
                    reps: TableReport) -> None:
    """Owners given by display name or email (HubSpot's UI export names the deal owner) become their rep_id.

    Only a value that is no rep_id and matches one person's name or email, without case, is replaced;
    the file's own text stays in the quarantine report's raw values.
    """
    owner = q(table.owner_column)
    con.execute(f"create or replace temp table rep_names as {_people_by_name('extract_reps')}")
    # Each owner that is no rep_id is looked up once, not once per row (6 million activities, 5,000 owners).
    matched = con.execute(
        f"""update {x} set {owner} = m.rep_id from (
            select u.owner, n.rep_id from (
                select distinct {owner} as owner from {x}
                where {owner} not in (select r.rep_id from extract_reps as r)) as u
            join rep_names as n on lower(u.owner) = n.key) as m
        where {x}.{owner} = m.owner"""
    ).fetchone()[0]
    con.execute("drop table rep_names")
    if matched:
        report.notes.append(
            f"{', '.join(report.files)}: {matched} row(s) name their {table.owner_column} by display name or email; "
            f"matched to {', '.join(reps.files)} by name"
        )


def _managers_by_name(con: duckdb.DuckDBPyConnection, x: str, report: TableReport) -> None:
    """Managers given by display name or email (Pipedrive's and Dynamics' user lists name them) become their rep_id.

    The same rule as for owners (`_owners_by_name`), within the reps extract itself: only a value that is no
    rep_id and matches one person's name or email, without case, is replaced. Otherwise the manager would be a
    second, made-up person named like the real one, heading a team of their own.
    """
    matched = con.execute(
        f"""update {x} set manager_id = m.rep_id from (
            select u.manager, n.rep_id from (
                select distinct manager_id as manager from {x}
                where manager_id not in (select r.rep_id from {x} as r where r.rep_id is not null)) as u
            join ({_people_by_name(x)}) as n on lower(trim(u.manager)) = n.key) as m
        where {x}.manager_id = m.manager"""
    ).fetchone()[0]
    if matched:
        report.notes.append(f"{', '.join(report.files)}: {matched} row(s) name their manager_id by display name or "
                            "email; matched to the person of that name")


def _described(reports: dict[str, TableReport]) -> bool:
    """Whether the deals extract says what each stage is (so config need not list the stages)."""
    return {"is_closed", "is_won"} <= reports["opportunities"].mapped


def _settle_stages(cfg: Config, con: duckdb.DuckDBPyConnection, x: str, report: TableReport) -> None:
    """Config lists no stages: read them from the deals (IsClosed, IsWon, ...), else take the preset's standard ones.

    A deal whose stage no row describes cannot be checked or counted, so it stops the build with one line.
    """
    files = ", ".join(report.files)
    standard = preset_standard_stages(cfg)
    if {"is_closed", "is_won"} <= report.mapped and describe_from_deals(con, x, [s.name for s in standard]):
        row = con.execute(
            f"select _file, _row, stage from {x} where stage is not null "
            "and stage not in (select s.stage from extract_stages as s) order by _file, _row limit 1"
        ).fetchone()
        if row:
            closed, won = (report.source_column(row[0], c) for c in ("is_closed", "is_won"))
            raise DataError(
                f"row {row[1]}, column {report.source_column(row[0], 'stage')}: stage '{row[2]}' is neither listed in "
                f"config `stages` nor described by the export ({closed} and {won} are empty on every deal in it); list "
                "your stages in order under `stages:` in config.yml, each with kind open, won or lost", row[0],
            )
        report.notes.append(describe_note(con, files))
        return
    if not standard:
        raise ConfigError(
            "`stages` is empty: list your CRM's stages in order, each with kind open, won or lost (or map "
            "is_closed and is_won, or use `preset: salesforce` / `preset: hubspot`)",
            cfg.config_file,
        )
    con.executemany("insert into extract_stages values (?, ?, ?, ?)",
                    [[s.name, s.kind, s.probability, i + 1] for i, s in enumerate(standard)])
    report.notes.append(f"{files}: config lists no `stages` and the export does not say what each stage is (no "
                        f"is_closed and is_won columns), so the preset's standard stages are used")


def _describe_history_stages(con: duckdb.DuckDBPyConnection, x: str, report: TableReport) -> None:
    """The stages only the history names, described from its probability, with a note naming them."""
    added = describe_from_history(con, x)
    if added:
        kinds = dict(con.execute("select stage, kind from extract_stages").fetchall())
        listed = ", ".join(f"{s} ({kinds[s]})" for s in added)
        report.notes.append(
            f"{', '.join(report.files)}: stage(s) that no deal is in today, read from their probability in the "
            f"history (100%: won, 0%: lost, else open): {listed}. List your stages under `stages:` to say otherwise."
        )


def _report_table(con: duckdb.DuckDBPyConnection, table: Table, report: TableReport, pending: list[_Pending]) -> None:
    """Count what was loaded, rejected and flagged, and record the table's notes in `extract_notes`."""
    for note in report.notes:
        con.execute("insert into extract_notes values (?, ?)", [table.name, note])
    if not report.present:
        return
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
        report.notes.append(note := _fallback_note(table, fb, display, rows, key))
        con.execute("insert into extract_notes values (?, ?)", [table.name, note])


def _empty_table(con, table: Table) -> None:
    """An empty `extract_<table>` for a table no file was read for, so later stages can still select from it."""
    cols = ", ".join(f"{q(c.name)} {DUCKDB_TYPES[c.type]}" for c in table.columns)
    con.execute(f"create or replace table extract_{table.name} ({cols}, _file varchar, _row bigint)")
