"""Fixes that need more than one table: run once every extract has been read and checked.

A single file cannot always say what a row means. A closed deal without a close date closed on
the day of its last stage change, which only the deal history (or the stored snapshots) knows.
Each fix here is recorded like any other quality rule: the row is flagged with what was done, or
rejected with why nothing could be.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from pipelines.extract.stages import kind_of
from pipelines.sqltext import lit

_CLOSED = kind_of("o.stage", "'won', 'lost'")


def date_closed_deals(con: duckdb.DuckDBPyConnection, warehouse: Path | None, load_day: dt.date | None) -> None:
    """Give a closed deal without a close date the day of its last stage change; reject it when nothing says.

    The history's last change counts when it is the change into the deal's stage today (its first row is the
    deal's creation, so a deal created closed counts too). A stored snapshot counts only when an earlier one
    shows the deal in another stage: the first snapshot of a deal says nothing about when it got there.
    """
    undated = f"select o.opportunity_id, o.stage from extract_opportunities as o where o.close_date is null and {_CLOSED}"
    if not con.execute(f"select count(*) from ({undated})").fetchone()[0]:
        return
    con.execute(f"create or replace temp table undated_closed as {undated}")
    con.execute(
        f"""create or replace temp table closed_on as
        select u.opportunity_id, coalesce(h.changed_on, s.changed_on) as changed_on,
            case when h.changed_on is not null then 'history' else 'stored snapshots' end as source
        from undated_closed as u
        left join ({_history_changes()}) as h on u.opportunity_id = h.opportunity_id and u.stage = h.last_stage
        left join ({_snapshot_changes(warehouse, load_day)}) as s
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


def _snapshot_changes(warehouse: Path | None, load_day: dt.date | None) -> str:
    """The same from the stored daily snapshots, today's extract as the load day's state."""
    empty = "select null::varchar as opportunity_id, null::varchar as last_stage, null::date as changed_on where false"
    files = warehouse / "opportunities" if warehouse else None
    if files is None or load_day is None or not any(files.glob("snapshot_date=*/*.parquet")):
        return empty
    day = f"date {lit(load_day.isoformat())}"
    stored = (
        f"select opportunity_id, stage, cast(snapshot_date as date) as seen_on from read_parquet("
        f"{lit(str(files / 'snapshot_date=*' / '*.parquet'))}, hive_partitioning = true, union_by_name = true) "
        f"where cast(snapshot_date as date) < {day}"
    )
    return f"""select opportunity_id, arg_max(stage, seen_on) as last_stage,
            max(seen_on) filter (where previous is not null and previous is distinct from stage) as changed_on
        from (select opportunity_id, seen_on, stage, lag(stage) over (partition by opportunity_id order by seen_on) as previous
              from ({stored} union all select u.opportunity_id, u.stage, {day} from undated_closed as u)
              where opportunity_id in (select u.opportunity_id from undated_closed as u))
        group by opportunity_id"""
