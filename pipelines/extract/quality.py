"""The quality rules: which typed rows are rejected or flagged, and the gate on the rejected share.

Nothing is dropped silently. A row that cannot be split, lacks a required value, does not parse,
repeats a key, or breaks a rule (close before created, an owner missing from reps) becomes a
`quarantine` row with its file, row, column, value and reason, and whether it was rejected (kept
out of `extract_<table>`) or flagged (loaded, and counted on the data-quality page). The rules
are SQL conditions over the typed rows, so DuckDB checks the whole extract at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import forecast
from pipelines.catalog import parse_tree
from pipelines.errors import QualityGateError
from pipelines.extract.stages import kind_of
from pipelines.schema import Table
from pipelines.settings import Config
from pipelines.sqltext import lit, q

if TYPE_CHECKING:
    from pipelines.extract import ExtractResult

QUARANTINE_COLUMNS = """
    "table" varchar, file varchar, "row" bigint, "column" varchar, value varchar,
    reason varchar, action varchar, owner_id varchar
"""


def _create_quarantine(con) -> None:
    con.execute(f"create or replace table quarantine ({QUARANTINE_COLUMNS})")


def _quarantine_malformed(con, table: Table, malformed: list[dict]) -> None:
    """Reject the rows a file could not be split into; they never reach the typed rows."""
    for m in malformed:
        con.execute(
            "insert into quarantine values (?, ?, ?, ?, ?, ?, 'rejected', null)",
            [table.name, m["file"], m["row"], m["column"], m["value"], m["reason"]],
        )


def _problems(table: Table, cfg: Config, reps_loaded: bool) -> list[tuple[str, str, str, str]]:
    """(column, condition over x, reason SQL, action) for every rule that applies to the table."""
    rules: list[tuple[str, str, str, str]] = []
    for col in table.columns:
        raw, val = q(col.name + "__raw"), q(col.name)
        if col.not_null:
            # an id that is a placeholder for "none" is as missing as an empty one
            rules.append((col.name, f"{val if col.type == 'id' else raw} is null", lit(f"missing {col.name}"), "rejected"))
        if col.type not in ("id", "text", "currency"):
            rules.append(
                (col.name, f"{raw} is not null and {val} is null", lit(f"unparseable {col.type} in {col.name}"), "rejected")
            )
        if col.type == "money":
            rules.append((col.name, f"{val} < 0", lit(f"negative {col.name}"), "rejected"))
    if "stage" in table.column_names:
        rules.append(
            ("stage", "stage is not null and stage not in (select s.stage from extract_stages as s)",
             "'unknown stage (add it to config stages)'", "rejected")
        )
    if table.name == "opportunities":
        rules += _deal_rules(cfg)
    if table.name == "quotas":
        rules.append(("period_end", "period_end < period_start", "'period_end before period_start'", "rejected"))
    if table.name == "forecast_calls":
        rules += forecast.call_rules(cfg, f"x_{table.name}")
    if table.name == "currency_rates":
        rules.append(("rate", "rate <= 0", "'conversion rate must be above 0'", "rejected"))
    if table.name == "reps":
        # A manager nobody in the extract is: kept (their reports still form a team), but said, as for an owner.
        rules.append(
            ("manager_id", "manager_id is not null and manager_id not in "
             "(select r.rep_id from x_reps as r where r.rep_id is not null)",
             "'manager_id not in reps (shown as a person known only as a manager)'", "flagged")
        )
    owner = table.owner_column
    if reps_loaded and owner and table.name != "reps":
        rules.append(
            (owner, f"{q(owner)} is not null and not _owner_fallback and {q(owner)} not in (select rep_id from extract_reps)",
             f"'{owner} not in reps'", cfg.quality.owner_not_in_reps)
        )
    return rules


def raw_read(table: Table, cfg: Config, reps_loaded: bool) -> frozenset[str]:
    """The columns whose raw text a rule reads or quotes, and the key's (a duplicate quotes it).

    Only these keep their raw text beside the typed value: the others' is never read, and copying it
    (an activity's type and deal, a deal's account and name: millions of values) costs more than typing.
    Which <column>__raw a rule names is read from DuckDB's parse tree of it.
    """
    rules = _problems(table, cfg, reps_loaded)
    named = {column for column, *_ in rules} | set(table.key)
    for _, cond, reason, _ in rules:
        named.update(_raw_columns(parse_tree(f"select {cond}, {reason}")))
    return frozenset(named)


def _raw_columns(node) -> set[str]:
    """The <column> of every <column>__raw a parse tree refers to."""
    if isinstance(node, list):
        return set().union(*map(_raw_columns, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set().union(*map(_raw_columns, node.values())) if node else set()
    if node.get("class") == "COLUMN_REF" and node["column_names"][-1].endswith("__raw"):
        found.add(node["column_names"][-1].removesuffix("__raw"))
    return found


def _deal_rules(cfg: Config) -> list[tuple[str, str, str, str]]:
    """The rules that need to know what a deal's stage means; missing dates and amounts are flagged, not rejected.

    A closed deal without a close date is neither: `resolve.date_closed_deals` dates it from the history
    once that is read, and rejects it only when nothing says when it closed.
    """
    is_open, is_won = kind_of("stage", "'open'"), kind_of("stage", "'won'")
    return [
        ("close_date", "close_date < created_date", "'close date before created date (cycle time ignores this deal)'",
         cfg.quality.close_before_created),
        ("close_date", f"close_date__raw is null and {is_open}",
         "'no close date (shown as undated pipeline, outside every quarter)'", "flagged"),
        ("created_date", "created_date__raw is null",
         "'no created date (cycle time and age of the deal are unknown)'", "flagged"),
        ("amount", f"amount__raw is null and {is_won}",
         "'won deal without an amount (counted beside the won amount, not in it or in the average deal size)'",
         "flagged"),
    ]


def _rejected(table: Table) -> str:
    return f"""(select file, "row" from quarantine where "table" = {lit(table.name)} and action = 'rejected')"""


def _quarantine_rows(con, table: Table, x: str, cfg: Config, reps_loaded: bool) -> None:
    owner = table.owner_column
    # whose row it is: the typed owner (a placeholder id is no one; a name matched to a rep is that rep)
    owner_sql = q(owner) if owner else "null"
    selects = []
    for column, cond, reason, action in _problems(table, cfg, reps_loaded):
        selects.append(
            f"select {lit(table.name)}, _file, _row, {lit(column)}, {q(column + '__raw')}, {reason}, "
            f"{lit(action)}, {owner_sql} from {x} where {cond}"
        )
    if selects:
        con.execute(f"insert into quarantine {' union all '.join(selects)}")
    # The rules have read the raw text; only the key's is quoted again (by a duplicate). Dropping the rest
    # now frees most of x before the duplicate check's hash table is built (an ALTER copies no row).
    for col in table.columns:
        if col.name not in table.key:  # (x has only the raw text some rule reads: `raw_read`)
            con.execute(f"alter table {x} drop column if exists {q(col.name + '__raw')}")
    if table.key:
        _quarantine_duplicates(con, table, x, owner_sql)


def not_rejected(con, table: Table, x: str) -> str:
    """SQL for the rows of x not rejected so far: x itself when none is (the usual case), so no join is needed."""
    if not con.execute(f"select count(*) from {_rejected(table)}").fetchone()[0]:
        return x
    return f'{x} anti join {_rejected(table)} r on {x}._file = r.file and {x}._row = r."row"'


def _quarantine_duplicates(con, table: Table, x: str, owner_sql: str) -> None:
    """Among rows that are otherwise fine, the first (by file and row) of each key is kept; the rest are rejected.

    Ordering every row by key to find the first of each is the slow part, and keys rarely repeat: when
    the keys' hashes are all distinct, no key repeats (equal keys hash alike), and nothing is ordered.
    """
    key = ", ".join(q(k) for k in table.key)
    fine = not_rejected(con, table, x)
    present = " and ".join(q(k) + " is not null" for k in table.key)
    if _increasing(con, key if len(table.key) == 1 else None, fine, present):
        return
    rows, hashes = con.execute(f"select count(*), count(distinct hash({key})) from {fine} where {present}").fetchone()
    if hashes == rows:
        return
    key_raw = " || ' / ' || ".join(f"coalesce({q(k + '__raw')}, '')" for k in table.key)
    con.execute(
        f"""insert into quarantine
        select {lit(table.name)}, _file, _row, {lit(table.key[0])}, {key_raw},
            'duplicate ' || {lit('/'.join(table.key))} || ' (first at ' || first_file || ' row ' || first_row || ')',
            'rejected', {owner_sql}
        from (select *, first_value(_file) over w as first_file, first_value(_row) over w as first_row,
                     row_number() over w as n
              from {fine}
              where {present}
              window w as (partition by {key} order by _file, _row))
        where n > 1"""
    )


def _increasing(con, key: str | None, rows: str, present: str) -> bool:
    """Whether each key is greater than the one before it, in the order the rows are read: then no key repeats.

    Exports usually list records by id, and this is one streaming pass where counting distinct keys builds a
    hash table of millions; in any one order of all the rows, values that each exceed the last are all
    different. Only for a one-column key (None: False).
    """
    if key is None:
        return False
    return not con.execute(
        f"select count(*) from (select {key} as k, lag({key}) over () as before from {rows} where {present}) "
        "where before >= k"
    ).fetchone()[0]


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
