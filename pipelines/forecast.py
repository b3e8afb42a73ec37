"""Forecast categories and calls: how CRM spellings become the five categories, and which calls are bad input.

Every CRM spells its forecast categories its own way (Salesforce's API writes `Forecast` and
`BestCase`, HubSpot `BEST_CASE`, a translated org `Prévision`), and the roll-up is only right if
each value lands in exactly one category. So values are compared without case, spaces or
punctuation against the five standard names and `forecast.categories`; a value that matches
none stops the build with one line naming it, its file and row, and the config that maps it,
because guessing would move money between Commit and Best Case silently.

The calls extract (`forecast_calls`) gets the rules a generic table cannot know: a call for
someone the extracts never mention, or for a period the data does not cover, is quarantined
like any other bad row.
"""

from __future__ import annotations

import re

import duckdb

from pipelines.errors import DataError
from pipelines.settings import FORECAST_CATEGORIES, Config
from pipelines.sqltext import lit, q

# (table, column) whose values are forecast categories.
CATEGORY_COLUMNS = (
    ("opportunities", "forecast_category"),
    ("opportunity_history", "forecast_category"),
    ("forecast_calls", "category"),
)


def normal(value: str) -> str:
    """A category value without case, spaces or punctuation, as `normal_sql` compares it in SQL."""
    return re.sub(r"[\W_]", "", value.lower())


def normal_sql(expr: str) -> str:
    """SQL for `normal`: lower case, letters and digits only."""
    return f"lower(regexp_replace({expr}, '[^\\p{{L}}\\p{{N}}]', '', 'g'))"


# Other CRMs' own names for the five, where they mean one thing only: Dynamics 365 ships Committed, Won and Lost,
# HubSpot NOT_FORECASTED and OMIT. ("Upside" or "Most likely" sit in different places in different orgs: those
# stay errors that ask for a mapping.)
CATEGORY_ALIASES = {
    "Committed": "Commit", "Won": "Closed", "Closed Won": "Closed", "Lost": "Omitted", "Closed Lost": "Omitted",
    "Not Forecasted": "Omitted", "Omit": "Omitted",
}


def category_map(cfg: Config) -> dict[str, str]:
    """Normalised CRM value -> canonical category: the five names and their aliases, then forecast.categories
    (which win)."""
    out = {normal(c): c for c in FORECAST_CATEGORIES}
    out.update({normal(k): v for k, v in CATEGORY_ALIASES.items()})
    out.update({normal(k): v for k, v in cfg.forecast.categories.items()})
    return out


def category_map_sql(cfg: Config) -> str:
    """The category map as a DuckDB map literal (the `forecast_categories` variable the macro reads)."""
    entries = ", ".join(f"{lit(k)}: {lit(v)}" for k, v in sorted(category_map(cfg).items()))
    return f"map {{{entries}}}::map(varchar, varchar)"


def check_categories(cfg: Config, con: duckdb.DuckDBPyConnection) -> None:
    """Stop on the first forecast category value that maps to none of the five, naming how to map it."""
    mapped = category_map_sql(cfg)
    for table, column in CATEGORY_COLUMNS:
        # A category column holds a handful of values among millions of rows: each is mapped once, and the
        # rows are searched only when one maps to nothing. (A WHERE here would be pushed below the DISTINCT.)
        unmapped = con.execute(
            f"""select count(*) filter (where ({mapped})[{normal_sql('v')}] is null)
                from (select distinct {q(column)} as v from extract_{table} where {q(column)} is not null)"""
        ).fetchone()[0]
        if not unmapped:
            continue
        file, row, value, n, values = con.execute(
            f"""select _file, _row, {q(column)},
                    count(distinct {q(column)}) over () as n, list(distinct {q(column)}) over () as values_
                from extract_{table}
                where {q(column)} is not null and ({mapped})[{normal_sql(q(column))}] is null
                order by _file, _row limit 1"""
        ).fetchone()  # a value maps to nothing (above), so a row holds it
        raise DataError(_unmapped_message(table, column, row, value, n, sorted(values)), file)


def _unmapped_message(table: str, column: str, row: int, value: str, n: int, values: list[str]) -> str:
    listed = ", ".join(repr(v) for v in values[:5]) + (", ..." if n > 5 else "")
    others = f" ({n} unmapped values: {listed})" if n > 1 else ""
    return (
        f"row {row}, column {column} ({table}): forecast category {value!r} is not one of "
        f"{', '.join(FORECAST_CATEGORIES)}{others}; map it in config.yml, e.g. "
        f"forecast: {{categories: {{{value!r}: {_likely_category(value)}}}}}"
    )


def _likely_category(value: str) -> str:
    """The category a value's words point to, for the example in the error only: the build never guesses."""
    word = normal(value)
    if word.startswith(("not", "un", "non")) or "wont" in word:  # "Not committed", "Uncommitted", "Won't close"
        return "Pipeline"
    # lost before won and closed ("Closed Lost"); Salesforce's API writes Commit as "Forecast"
    for hints, category in ((("lost", "omit", "exclude", "dead"), "Omitted"), (("commit", "forecast"), "Commit"),
                            (("best", "upside", "likely"), "Best Case"), (("won", "close"), "Closed")):
        if any(h in word for h in hints):
            return category
    return "Pipeline"


# --- the rules for the forecast_calls extract --------------------------------------------------


def _known_people() -> str:
    """Everyone the other extracts mention: a call by anyone else cannot be shown anywhere."""
    return """(select rep_id from extract_reps
        union select manager_id from extract_reps where manager_id is not null
        union select owner_id from extract_opportunities
        union select owner_id from extract_activities
        union select rep_id from extract_quotas)"""


def _quarter_start_sql(day: str, start_month: int) -> str:
    shift = f"to_months({start_month - 1})"
    return f"cast(date_trunc('quarter', {day} - {shift}) + {shift} as date)"


def _data_bounds(cfg: Config) -> tuple[str, str]:
    """SQL for the first quarter's start and the day after the last quarter the models will have.

    The models' quarters run from the first deal date to the quarter after as_of (int_fiscal_quarters);
    as_of defaults to the latest deal date, as it will in the models when config sets none.
    """
    first = "(select min(least(created_date, close_date)) from extract_opportunities)"
    last = (f"date {lit(cfg.as_of.isoformat())}" if cfg.as_of else
            "(select greatest(max(created_date), max(close_date) filter (where close_date <= current_date)) "
            "from extract_opportunities)")
    m = cfg.fiscal_year_start_month
    return _quarter_start_sql(first, m), f"({_quarter_start_sql(last, m)} + interval 6 month)"


def call_rules(cfg: Config, x: str) -> list[tuple[str, str, str, str]]:
    """Quarantine rules for forecast_calls rows in the typed table `x`: (column, condition, reason SQL, action)."""
    lo, hi = _data_bounds(cfg)
    earlier = f"""exists (select 1 from {x} as y where y.rep_id = {x}.rep_id and y.period_start = {x}.period_start
        and y.submitted_at__raw is null and (y._file, y._row) < ({x}._file, {x}._row))"""
    return [
        ("rep_id", f"rep_id is not null and rep_id not in {_known_people()}",
         "'rep_id is not a known rep (in no reps, deals, activities or quotas extract)'", "rejected"),
        ("period_start", "day(period_start) <> 1",
         "'period_start is not the first day of a fiscal quarter or of a month'", "rejected"),
        ("period_start", f"period_start < {lo} or period_start >= {hi}",
         f"'period_start is outside the data (fiscal quarters from ' || {lo} || ' to ' || "
         f"cast({hi} - interval 1 day as date) || ')'", "rejected"),
        ("scope", "scope is not null and lower(trim(scope)) not in ('self', 'team')",
         "'scope is not self or team'", "rejected"),
        ("submitted_at", f"submitted_at__raw is null and {earlier}",
         "'another call of this rep for this period has no submitted_at either (which is the load day): "
         "give submitted_at'", "rejected"),
    ]
