"""The SQL that types raw export text: dates, money, numbers, booleans, clean text.

CRM exports write one value many ways (02/23/26, 2026-02-23T09:00Z, 23.02.2026; $1,234.50,
1.234,50 €, (50.00)), and every row must either type or be quarantined with a reason. The
parsing is SQL so DuckDB does it over millions of rows at once; each helper returns an
expression over a trimmed VARCHAR that is NULL when the text cannot be read, which the
quality rules then report as unparseable.
"""

from __future__ import annotations

import duckdb

from pipelines.extract.currencies import currency_sql
from pipelines.schema import Column
from pipelines.settings import Source
from pipelines.sqltext import lit

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
    "%d.%m.%Y %H:%M:%S",
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
# The same characters as bytes: in UTF-8 each is one byte, which no other character's bytes contain.
CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


# An amount whose only mark is a dot before groups of three digits (45.000, 1.234.567): 45 with a decimal point, or
# 45 000 with a decimal comma. `decimal_comma_columns` decides per file; a lone value cannot.
AMBIGUOUS_AMOUNT = "[0-9]{1,3}([.][0-9]{3})+"
# Amounts written as a decimal-comma locale writes them (1.234,56, 980,00, 45.000, 500); a dot in any other shape, or
# a comma before groups of three digits (1,234, 12,500), is a decimal point's.
COMMA_AMOUNT = "([0-9]{1,3}([.][0-9]{3})+|[0-9]+)(,[0-9]+)?"
COMMA_GROUPS = "[0-9]{1,3}(,[0-9]{3})+"


def _unspaced(raw: str) -> str:
    """An amount without its spaces (thin, no-break) and apostrophes, which group digits in some locales."""
    return f"regexp_replace({raw}, '[\\s\\x{{00A0}}\\x{{202F}}'']', '', 'g')"


def _money_body(raw: str) -> str:
    """The digits and marks of an amount: spaces, signs, parentheses, currency symbols and codes removed."""
    return f"regexp_replace({_unspaced(raw)}, '[()+-]|[$€£¥₹]|^[A-Za-z]{{3}}|[A-Za-z]{{3}}$', '', 'g')"


def decimal_comma_columns(con: duckdb.DuckDBPyConnection, raw_by_column: dict[str, str], src: str,
                          source: Source) -> frozenset[str]:
    """The money columns of one file (column -> its trimmed text over `src`) to read with a decimal comma.

    `source.decimal` says so, or (auto) the file does: an amount such as 45.000 appears, and none uses a point as
    a decimal mark. A file is one export from one locale, so its other amounts settle what 45.000 means; a file
    of 1.234,56 amounts read 45.000 as 45.00 before. Only files with such an amount are scanned twice.
    """
    if source.decimal != "auto" or not raw_by_column:
        return frozenset(raw_by_column) if source.decimal == "," else frozenset()
    found, body = set(), _money_body("v")
    for column, raw in raw_by_column.items():
        ambiguous = con.execute(
            f"select count(*) from (select {raw} as v from {src}) where v like '%.___%' "
            f"and regexp_full_match({body}, {lit(AMBIGUOUS_AMOUNT)})").fetchone()[0]
        if not ambiguous:
            continue
        point = con.execute(
            f"select count(*) from (select {body} as b from (select {raw} as v from {src}) where v is not null) "
            f"where (contains(b, '.') and not regexp_full_match(b, {lit(COMMA_AMOUNT)})) "
            f"or regexp_full_match(b, {lit(COMMA_GROUPS)})").fetchone()[0]
        if not point:
            found.add(column)
    return frozenset(found)


def _money(raw: str, decimal_comma: bool = False) -> str:
    """Parse currency strings: $1,234.50, 1.234,50 €, 1234,50, USD 100, -$50, (50.00) for negatives.

    With `decimal_comma` (`decimal_comma_columns`), 45.000 and 1.234 are thousands, not decimals.
    """
    s = _unspaced(raw)
    neg = f"(regexp_matches({s}, '^\\(.*\\)$') or regexp_matches({s}, '-'))"
    body = _money_body(raw)
    us = f"regexp_matches({body}, '^([0-9]{{1,3}}(,[0-9]{{3}})+|[0-9]+)(\\.[0-9]+)?$')"
    eu = f"regexp_matches({body}, '^([0-9]{{1,3}}(\\.[0-9]{{3}})+|[0-9]+),[0-9]{{1,2}}$')"
    plain = f"regexp_matches({body}, '^[0-9]*\\.?[0-9]+$')"
    comma = f"regexp_full_match({body}, {lit(COMMA_AMOUNT)})"
    num = (
        (f"case when {comma} then replace(replace({body}, '.', ''), ',', '.') " if decimal_comma else "case ")
        + f"when {us} then replace({body}, ',', '') "
        f"when {eu} then replace(replace({body}, '.', ''), ',', '.') "
        f"when {plain} then {body} end"
    )
    # A sign may appear once, before or after the currency symbol or number; more is garbage.
    signs = f"length({s}) - length(replace(replace({s}, '-', ''), '(', ''))"
    slow = f"case when {signs} <= 1 then (case when {neg} then -1 else 1 end) * try_cast({num} as decimal(18, 2)) end"
    # Plain numbers skip the regular expressions (with a decimal comma, only those without a dot: 45.000 is 45 000).
    fast = f"case when not contains({raw}, '.') then try_cast({raw} as decimal(18, 2)) end" if decimal_comma else \
        f"try_cast({raw} as decimal(18, 2))"
    return f"coalesce({fast}, {slow})"


def _timestamp(raw: str, date_format: str | None) -> str:
    return _in_range(_parse_timestamp(raw, date_format))


def with_times(date_format: str) -> list[str]:
    """A configured date format, and the same followed by a time of day when it has none (a CRM writes a created
    timestamp, 04.11.2025 10:22, beside a close date, 31.12.2026, in the same locale)."""
    if any(d in date_format for d in ("%H", "%I", "%M", "%S", "%p", "%T", "%X", "%c")):
        return [date_format]
    return [date_format, *(f"{date_format} {t}" for t in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p"))]


def _parse_timestamp(raw: str, date_format: str | None) -> str:
    """SQL for the text `raw` as a timestamp in any form it may take, before the range check (`_in_range`)."""
    fmts = with_times(date_format) if date_format else DATE_FORMATS
    fmt_list = "[" + ", ".join(lit(f) for f in fmts) + "]"
    # DuckDB's cast also reads "02/03/24" (as the year 2!): only ISO-looking text goes through it.
    iso = (
        f"case when substr({raw}, 5, 1) = '-' then "
        f"coalesce(try_cast({raw} as timestamp), try_cast(try_cast({raw} as timestamptz) as timestamp)) end"
    )
    # A configured format wins; ISO text (2026-12-06, 2026-12-06 10:22:01) still reads in a file whose other date
    # columns are day-first, as CRMs export a created timestamp beside a close date in the user's locale.
    strp = f"try_strptime({raw}, {fmt_list})"
    return f"coalesce({strp}, {iso})" if date_format else f"coalesce({iso}, {strp})"


def _in_range(ts: str) -> str:
    lo, hi = DATE_RANGE
    return f"(case when {ts} >= timestamp {lit(lo)} and {ts} < timestamp {lit(hi)} then {ts} end)"


def _parsed(col: Column, raw: str, source: Source) -> str | None:
    """SQL for a date or timestamp column's parsed text before its range check (None for other columns).

    A select of its own names it, and the range check reads the name: repeated three times in the check, the
    parsing made DuckDB plan a deals select with three date columns in about 45 ms instead of 10, in every build.
    """
    return _parse_timestamp(raw, source.date_format) if col.type in ("date", "timestamp") else None


def _typed(col: Column, raw: str, source: Source, parsed: str | None = None, decimal_comma: bool = False) -> str:
    """SQL that turns the trimmed VARCHAR `raw` into the column's type (NULL when it cannot).

    `parsed`: a date or timestamp column's parsed text as a select named it (`_parsed`).
    """
    if col.type == "id":
        # Salesforce exports a lookup that points nowhere as 000000000000000AAA; other CRMs write 0. Both are
        # "none" (the raw value keeps the text, for the quarantine report). Only a value ending in 0 is trimmed.
        return f"(case when {raw} = '000000000000000AAA' or (ends_with({raw}, '0') and ltrim({raw}, '0') = '') " \
               f"then null else {raw} end)"
    if col.type == "text":
        return raw
    if col.type == "currency":
        return currency_sql(raw)
    if col.type in ("date", "timestamp"):
        ts = _in_range(parsed) if parsed else _timestamp(raw, source.date_format)
        return f"cast({ts} as date)" if col.type == "date" else ts
    if col.type == "money":
        return _money(raw, decimal_comma)
    if col.type == "number":
        return (
            f"coalesce(try_cast({raw} as double), try_cast(replace({raw}, '%', '') as double) / 100, "
            f"try_cast(replace({raw}, ',', '.') as double))"
        )
    if col.type == "bool":
        # list_contains, not IN: DuckDB plans an IN list of five words as a join, and a join in the typed
        # select makes it insert in parallel, out of the file's order (extract._in_file_order).
        t = ", ".join(lit(w) for w in TRUE_WORDS)
        f = ", ".join(lit(w) for w in FALSE_WORDS)
        return f"case when list_contains([{t}], lower({raw})) then true when list_contains([{f}], lower({raw})) then false end"
    raise AssertionError(col.type)


def _raw_value(col: Column, expr: str | None, clean: frozenset[str] = frozenset(),
               unpadded: frozenset[str] = frozenset()) -> str:
    """The trimmed text of a value, NULL when empty.

    `clean` and `unpadded`: column references known to hold no control character, and no value that `trim` would
    change (trimming 6 million values of each column costs more than typing them).
    """
    if not expr:
        return "null::varchar"
    text = f"cast({expr} as varchar)" if expr in unpadded else f"trim(cast({expr} as varchar))"
    if col.type == "text" and expr not in clean:
        ctrl = lit(CONTROL_CHARS)
        text = f"(case when regexp_matches({text}, {ctrl}) then regexp_replace({text}, {ctrl}, '', 'g') else {text} end)"
    return f"nullif({text}, '')"


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """`parse_date(x)`: any recognised date form -> DATE, for expressions in column mappings.

    In the database, like the models' macros, not a temporary one: a temporary macro lives on one
    connection, and the models may run on cursors of their own (`pipelines.models.run_models`)."""
    ts = _timestamp("cast(x as varchar)", None)
    con.execute(f"create or replace macro parse_date(x) as cast({ts} as date)")
