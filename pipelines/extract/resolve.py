"""Fixes that need more than one table: run once every extract has been read and checked.

A single file cannot always say what a row means. A closed deal without a close date closed on
the day of its last stage change, which only the deal history (or the stored history) knows.
Each fix here is recorded like any other quality rule: the row is flagged with what was done, or
rejected with why nothing could be.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb

from pipelines.errors import ConfigError, DataError
from pipelines.extract.currencies import currency_sql
from pipelines.extract.stages import kind_of
from pipelines.settings import Config
from pipelines.sqltext import lit

_CLOSED = kind_of("o.stage", "'won', 'lost'")


def date_closed_deals(con: duckdb.DuckDBPyConnection, warehouse: Path | None, load_day: dt.date | None) -> None:
    """Give a closed deal without a close date the day of its last stage change; reject it when nothing says.

    The history's last change counts when it is the change into the deal's stage today (its first row is the
    deal's creation, so a deal created closed counts too). A stored version counts only when an earlier one
    shows the deal in another stage: the first stored version of a deal says nothing about when it got there.
    """
    undated = f"select o.opportunity_id, o.stage from extract_opportunities as o where o.close_date is null and {_CLOSED}"
    if not con.execute(f"select count(*) from ({undated})").fetchone()[0]:
        return
    con.execute(f"create or replace temp table undated_closed as {undated}")
    con.execute(
        f"""create or replace temp table closed_on as
        select u.opportunity_id, coalesce(h.changed_on, s.changed_on) as changed_on,
            case when h.changed_on is not null then 'history' else 'stored history' end as source
        from undated_closed as u
        left join ({_history_changes()}) as h on u.opportunity_id = h.opportunity_id and u.stage = h.last_stage
        left join ({_stored_changes(con, warehouse, load_day)}) as s
            on u.opportunity_id = s.opportunity_id and u.stage = s.last_stage"""
    )
    con.execute(
        """insert into quarantine
        select 'opportunities', o._file, o._row, 'close_date', null,
            case when c.changed_on is null
                then 'closed deal without a close date, and no history says when it closed'
                else 'closed deal without a close date: dated ' || c.changed_on || ', its last stage change ('
                    || c.source || ')'
            end,
            case when c.changed_on is null then 'rejected' else 'flagged' end, o.owner_id
        from extract_opportunities as o inner join closed_on as c on o.opportunity_id = c.opportunity_id"""
    )
    con.execute(
        """update extract_opportunities as o set close_date = c.changed_on from closed_on as c
        where o.opportunity_id = c.opportunity_id and c.changed_on is not null"""
    )
    con.execute(
        """delete from extract_opportunities where opportunity_id in
        (select c.opportunity_id from closed_on as c where c.changed_on is null)"""
    )
    con.execute("drop table undated_closed; drop table closed_on")


def _history_changes() -> str:
    """Per deal in undated_closed: its last recorded stage and the day it changed to it (opportunity_history)."""
    return """select opportunity_id, arg_max(stage, changed_at) as last_stage,
            cast(max(changed_at) filter (where previous is distinct from stage) as date) as changed_on
        from (select h.opportunity_id, h.changed_at, h.stage,
                     lag(h.stage) over (partition by h.opportunity_id order by h.changed_at) as previous
              from extract_opportunity_history as h
              where h.opportunity_id in (select u.opportunity_id from undated_closed as u))
        group by opportunity_id"""


def _stored_changes(con: duckdb.DuckDBPyConnection, warehouse: Path | None, load_day: dt.date | None) -> str:
    """The same from the deal versions in the history store (days before the load day), today's extract as the load
    day's state."""
    from pipelines.history.layout import DELETED, MANIFESTS, STORED, open_store
    from pipelines.history.plan import files_select

    empty = "select null::varchar as opportunity_id, null::varchar as last_stage, null::date as changed_on where false"
    if warehouse is None or load_day is None or not (warehouse / MANIFESTS).is_dir():
        return empty
    store = open_store(warehouse)
    entries = store.newest(store.verified(store.entries("opportunities", load_day - dt.timedelta(days=1))))
    if not entries:
        return empty
    versions = files_select(con, store, STORED["opportunities"], entries)
    stored = f"select opportunity_id, stage, valid_from as seen_on from ({versions}) where not {DELETED}"
    day = f"date {lit(load_day.isoformat())}"
    return f"""select opportunity_id, arg_max(stage, seen_on) as last_stage,
            max(seen_on) filter (where previous is not null and previous is distinct from stage) as changed_on
        from (select opportunity_id, seen_on, stage, lag(stage) over (partition by opportunity_id order by seen_on) as previous
              from ({stored} union all select u.opportunity_id, u.stage, {day} from undated_closed as u)
              where opportunity_id in (select u.opportunity_id from undated_closed as u))
        group by opportunity_id"""


def settle_currencies(con: duckdb.DuckDBPyConnection, cfg: Config, reports: dict) -> None:
    """Make `extract_currency_rates` hold a rate for every currency a deal or quota is in, the corporate one at 1.

    Config `currency.rates` are added to the extract's rates. The corporate currency is config `currency.code`,
    else the one the rates mark as corporate, else the only currency the deals are in. A currency without a
    rate cannot be converted, and summing it as if it were the corporate one would invent money: that is one
    error naming the first row that has it.
    """
    config_file = cfg.config_file.name
    if cfg.currency.rates:
        # An extract's `_file` is an enum of its own files (`extract.files_enum`), and config is none of them: the
        # rates, a few rows, keep their files as text.
        con.execute("alter table extract_currency_rates alter column _file set data type varchar")
        con.executemany(
            "insert into extract_currency_rates (currency, rate, is_corporate, _file) values (?, ?, false, ?)",
            [[_as_code(con, code), rate, config_file] for code, rate in cfg.currency.rates.items()],
        )
    corporate = _as_code(con, cfg.currency.code) or _marked_corporate(con, reports)
    used = _currencies_used(con)
    if corporate is None:
        codes = sorted({code for code, *_ in used})
        if len(codes) > 1:
            raise ConfigError(
                f"the deals are in several currencies ({', '.join(codes)}) and no corporate currency is known; set "
                "`currency.code` (the currency to report in) and `currency.rates` in config.yml, or give a "
                "currency_rates extract", cfg.config_file,
            )
        corporate = codes[0] if codes else None
    if corporate is None:
        return
    con.execute("update extract_currency_rates set is_corporate = (currency = ?)", [corporate])
    if not con.execute("select count(*) from extract_currency_rates where currency = ?", [corporate]).fetchone()[0]:
        con.execute("insert into extract_currency_rates (currency, rate, is_corporate) values (?, 1, true)", [corporate])
    known = {r[0] for r in con.execute("select distinct currency from extract_currency_rates").fetchall()}
    for code, table, file, row in used:
        if code not in known:
            column = reports[table].source_column(file, "currency")
            if re.fullmatch(r"[A-Z]{3}", code):
                where = f"set `currency.rates.{code}` in config.yml (units of {code} per one {corporate})"
            else:  # not a code, nor a name pipelines.extract.currencies knows: a dotted path would not be YAML
                where = (f"map the column to an expression that gives ISO codes, or set `currency: {{rates: "
                         f"{{{json.dumps(code)}: <units per one {corporate}>}}}}` in config.yml")
            raise DataError(
                f"row {row}, column {column}: no conversion rate for currency '{code}' (the corporate currency is "
                f"{corporate}); add it to the currency rates extract, or {where}", file,
            )


def _as_code(con: duckdb.DuckDBPyConnection, written: str | None) -> str | None:
    """A currency as config.yml writes it, read as the extracts' are (`currencies.currency_sql`): a config that
    keys its rates by the names its export uses ('US Dollar') must meet the deals, now read as USD."""
    if written is None:
        return None
    return con.execute(f"select {currency_sql('v')} from (select trim(?) as v)", [written]).fetchone()[0]


def _marked_corporate(con: duckdb.DuckDBPyConnection, reports: dict) -> str | None:
    """The currency the rates extract marks as corporate; two different ones are an error."""
    marked = [r[0] for r in con.execute(
        "select distinct currency from extract_currency_rates where is_corporate order by 1").fetchall()]
    if len(marked) > 1:
        raise DataError(f"{len(marked)} currencies are marked corporate ({', '.join(marked)}); set `currency.code` "
                        "in config.yml to the one to report in", ", ".join(reports["currency_rates"].files))
    return marked[0] if marked else None


def _currencies_used(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """(currency, table, file, first row) for every currency a deal or a quota is in."""
    return con.execute(
        """select currency, t, _file, _row from (
            select *, row_number() over (partition by currency order by t, _file, _row) as n
            from (select currency, 'opportunities' as t, _file, _row from extract_opportunities
                  union all select currency, 'quotas', _file, _row from extract_quotas)
            where currency is not null)
        where n = 1 order by currency"""
    ).fetchall()


def settle_managers(con: duckdb.DuckDBPyConnection) -> None:
    """Fill empty teams and managers from the role hierarchy (`roles`), and flag those it cannot name.

    Team: the person's role name where the extract gives none. Manager, where manager_id is empty: the parent
    role's forecast manager, else the one active person holding the parent role. A person whose role has a
    parent but neither names one manager is flagged: the org chart is incomplete. The top of the hierarchy
    has no manager, and that is not a problem.
    """
    if not con.execute("select count(*) from extract_roles").fetchone()[0]:
        return
    con.execute(
        """create or replace temp table role_managers as
        select r.rep_id, r._file, r._row, parent.name as parent_name,
            coalesce(nullif(parent.forecast_user_id, r.rep_id), case when holders.n = 1 then holders.rep_id end)
                as manager_id,
            coalesce(holders.n, 0) as holders
        from extract_reps as r
        inner join extract_roles as own on r.role_id = own.role_id
        inner join extract_roles as parent on own.parent_role_id = parent.role_id
        left join (select role_id, count(*) as n, any_value(rep_id) as rep_id from extract_reps
                   where coalesce(active, true) group by role_id) as holders on parent.role_id = holders.role_id
        where r.manager_id is null"""
    )
    con.execute(
        """update extract_reps as r set team = own.name from extract_roles as own
        where r.team is null and r.role_id = own.role_id"""
    )
    con.execute(
        """update extract_reps as r set manager_id = m.manager_id from role_managers as m
        where r.rep_id = m.rep_id and m.manager_id is not null"""
    )
    con.execute(
        """insert into quarantine
        select 'reps', _file, _row, 'manager_id', null,
            'no manager: manager_id is empty, and the parent role ' || coalesce('''' || parent_name || '''', '') ||
            ' has no forecast manager and ' || holders || ' active people in it (fill in the manager in the CRM)',
            'flagged', rep_id
        from role_managers where manager_id is null"""
    )
    con.execute("drop table role_managers")
