"""What the pages show, fetched from the marts once and grouped by rep, team and org.

Pages read marts only, never intermediate models or the extract's own tables: a figure on a
page is a figure in a downloadable CSV, with a header that defines it and tests that check
it. Nothing here computes a metric; it picks rows and shapes them for the templates. Every
query orders by a unique key of its mart: rows that tie would come in a different order in
another build, and the same input must give the same site.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import groupby
from operator import itemgetter

import duckdb

from pipelines.sqltext import FLOAT_TYPES, lit, q, steady_float


# Per-rep marts: (mart, filter, order by). The first few are read across reps (the home, index, team-list and
# data-quality pages) and are fetched with the bundle; the rest only by a rep's own pages and their team's, so
# they are fetched a batch of teams at a time (`rep_batch`): the pages stage never holds them all at once.
REP_MARTS = {
    "scorecard": ("rep_scorecard", None, "rep_id, period_start"),
    "alerts": ("rep_alerts", None, "rep_id, alert_rank"),
    "hygiene": ("rep_hygiene", None, "rep_id"),
    "pipeline": ("rep_pipeline_by_stage", None, "rep_id, stage_order, stage"),
    "activity": ("rep_activity_weekly", None, "rep_id, week_start, activity_type"),
    "vs_plan": ("rep_activity_vs_plan", None, "rep_id, week_start"),
    "flow": ("rep_flow", None, "rep_id, window_start, period"),
    "stuck": ("rep_stuck_deals", None, "rep_id, days_in_stage desc, opportunity_id"),
    "hygiene_deals": ("rep_hygiene_deals", None, "rep_id, problems desc, amount desc nulls last, opportunity_id"),
    "grades": ("rep_balanced_scorecard", None, "rep_id, period"),
    "forecast": ("rep_forecast_accuracy", None, "rep_id, period"),
    "forecast_rollup": ("rep_forecast_rollup", None, "rep_id"),
    "forecast_movement": ("rep_forecast_movement", None, "rep_id, forecast_column"),
    "forecast_calls": ("rep_forecast_calls", None, "rep_id, submitted_at desc, call_period_start"),
    "velocity": ("rep_velocity", None, "rep_id"),
    "targets": ("rep_targets", None, "rep_id, metric"),
    "events": ("rep_deal_events", None, "rep_id, event_date desc, opportunity_id, event"),
    "ramp": ("rep_ramp", "is_complete", "rep_id, month_since_hire"),
    "quarantine": ("org_quarantine", "rep_id is not null", "table_name, file, row_number, column_name, reason"),
    "open_deals": ("rep_open_deals", None, "rep_id, close_date nulls last, amount desc nulls last, opportunity_id"),
    "changes": ("rep_recent_changes", None, "rep_id, deals desc, event"),
}
ACROSS_REPS = ("scorecard", "alerts", "hygiene")
BATCH_ONLY = tuple(name for name in REP_MARTS if name not in ACROSS_REPS)
TEAM_MARTS = {
    "scorecard": "select * from team_scorecard order by team, period_start",
    "flow": "select * from team_flow order by team, window_start, period",
    "alerts": "select * from team_alerts order by team, alert_rank",
    "grades": "select * from team_balanced_scorecard order by team, period",
    "selling": "select * from team_manager_selling order by team, period",
    "forecast": "select * from team_forecast_accuracy order by team, period",
    "forecast_rollup": "select * from team_forecast_rollup order by team",
    "forecast_movement": "select * from team_forecast_movement order by team, forecast_column",
    "forecast_trend": "select * from team_forecast_trend order by team, snapshot_day",
    "forecast_moves": "select * from rep_forecast_deal_moves "
                      "order by team, abs(change) desc, opportunity_id, forecast_column",
    "pareto": "select * from team_pareto order by team, period",
    "leaderboard": "select * from team_leaderboard order by team, contest_rank, name, rep_id",
    "monday": "select * from team_monday order by team",
    "data_quality": "select * from team_data_quality order by team, table_name, rows desc, reason, action",
    "hygiene": "select * from team_hygiene order by team",
}
ORG_MARTS = {
    "quarters": "select * from org_quarters order by period_start",
    "scorecard": "select * from org_scorecard order by period_start",
    "flow": "select * from org_flow order by window_start, period",
    "pareto": "select * from org_pareto order by period",
    "buckets": "select * from rep_attainment_distribution order by period, bucket_order, bucket",
    "ramp_curve": "select * from org_ramp_curve order by month_since_hire",
    "funnel": "select * from rep_stage_funnel where is_org order by period, stage_order, stage, team",
    "forecast_rollup": "select * from org_forecast_rollup",
    "forecast_movement": "select * from org_forecast_movement order by forecast_column",
    "forecast_trend": "select * from org_forecast_trend order by snapshot_day",
    "extracts": "select * from org_extracts order by table_name",
    "quarantine_counts": "select * from org_data_quality order by table_name, rows desc, reason, action",
    "quarantine_sample": "select * from org_quarantine order by table_name, file, row_number, column_name, reason limit 200",
    "rep_quality": "select * from rep_data_quality order by rows_with_problems desc, name, rep_id",
    "notes": "select * from org_extract_notes order by table_name, note",
    "coverage": "select * from org_data_coverage",
}
EVENT_LABELS = {
    "created": "created", "won": "won", "lost": "lost", "pushed_out": "slipped to a later quarter",
    "pulled_in": "pulled into an earlier quarter", "advanced": "moved forward a stage",
    "went_back": "moved back a stage", "amount_up": "amount raised", "amount_down": "amount cut",
}


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    """A query's rows as dicts, floats at 12 significant digits as in the downloads, so that the same input gives
    the same pages and chart data whatever order DuckDB's threads added the figures up in."""
    rel = con.sql(sql)  # bound, not run: its columns and their types
    cols, types = rel.columns, [str(t) for t in rel.types]
    if any(t in FLOAT_TYPES for t in types):
        # As SQL text, not rel.project(...): the same rows, and a third less time for a small org's fifty queries.
        items = ", ".join(steady_float(c) if t in FLOAT_TYPES else q(c) for c, t in zip(cols, types))
        sql = f"select {items} from ({sql})"
    return [dict(zip(cols, r)) for r in con.execute(sql).fetchall()]


def group_by(items: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        out[it[key]].append(it)
    return out


def jsonable(rows: list[dict], keys: list[str]) -> list[dict]:
    """Chart rows: only the keys the chart uses, dates as ISO text."""
    return [{k: (r.get(k).isoformat() if isinstance(r.get(k), (dt.date, dt.datetime)) else r.get(k)) for k in keys}
            for r in rows]


@dataclass
class Bundle:
    """Every mart the pages need, fetched once and grouped by rep or team (no per-page queries)."""

    directory: list[dict]
    people: dict[str, dict]
    by_rep: dict[str, dict[str, list[dict]]]
    by_team: dict[str, dict[str, list[dict]]]
    org: dict[str, list[dict]]
    recent_quarters: int  # a rep's scorecard holds this many recent quarters only (load_bundle)

    @cached_property
    def managed_by(self) -> dict[str, list[str]]:
        """manager rep_id -> the teams whose selling rows name them as manager, sorted: looked up once per rep
        page, so it is indexed once rather than scanned per page (a scan per page grew with reps × teams)."""
        out: dict[str, set[str]] = defaultdict(set)
        for team, d in self.by_team.items():
            for r in d["selling"]:
                out[r["manager_id"]].add(team)
        return {m: sorted(ts) for m, ts in out.items()}


def _rep_sql(name: str, batch: str | None = None, periods: list[str] | None = None) -> str:
    mart, where, order = REP_MARTS[name]
    conditions = [c for c in (where, batch and f"rep_id in (select rep_id from {batch})") if c]
    if periods is not None:
        conditions.append(f"period in ({', '.join(map(lit, periods))})" if periods else "false")
    return f"select * from {mart}" + (f" where {' and '.join(conditions)}" if conditions else "") + f" order by {order}"


def _grouped(con, marts: dict[str, str], key: str) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for name, sql in marts.items():
        for row in fetch(con, sql):
            out[row[key]][name].append(row)
    return out


def _by_rep(con, rep_ids: list[str], recent: list[str]) -> dict[str, dict[str, list[dict]]]:
    """rep_id -> {mart: rows} of the ACROSS_REPS marts, a plain dict: every key is there, none is made up on read.

    A rep's scorecard rows are those of the `recent` quarters only: no page shows a rep's older quarters, and
    they were a third of the largest mart read across reps (0.15 s and 25 MB at 5,000 reps).
    """
    out: dict[str, dict[str, list[dict]]] = {rid: {name: [] for name in ACROSS_REPS} for rid in rep_ids}
    for name in ACROSS_REPS:
        for row in fetch(con, _rep_sql(name, periods=recent if name == "scorecard" else None)):
            out.setdefault(row["rep_id"], {n: [] for n in ACROSS_REPS})[name].append(row)
    return out


def load_bundle(con: duckdb.DuckDBPyConnection, recent_quarters: int) -> Bundle:
    """The directory, the team and org marts, and the per-rep marts read across reps (ACROSS_REPS), with a rep's
    scorecard in the quarters pages show (`Calendar.recent` of `recent_quarters`, the site's setting)."""
    directory = fetch(con, "select * from rep_directory order by team, name, rep_id")
    org = {name: fetch(con, sql) for name, sql in ORG_MARTS.items()}
    return Bundle(
        directory,
        {p["rep_id"]: p for p in directory},
        _by_rep(con, [p["rep_id"] for p in directory], Calendar(org["quarters"], recent_quarters).recent),
        _grouped(con, TEAM_MARTS, "team"),
        org,
        recent_quarters,
    )


def across_reps_only(b: Bundle) -> Bundle:
    """The bundle as outside any batch (`rep_batch`): a rep's ACROSS_REPS marts only, so a page rendered from it
    that read a batch-only mart fails instead of seeing one batch's reps."""
    return replace(b, by_rep={rid: {k: v for k, v in d.items() if k in ACROSS_REPS} for rid, d in b.by_rep.items()})


def rep_rows(con: duckdb.DuckDBPyConnection, rep_ids: list[str]) -> dict[str, dict[str, list[dict]]]:
    """rep_id -> {mart: rows} of the per-rep marts the bundle leaves out (BATCH_ONLY), for `rep_ids`.

    Every rep gets every mart, an empty list when it has no rows, so a page never mistakes
    "not fetched" for "none".
    """
    out: dict[str, dict[str, list[dict]]] = {rid: {name: [] for name in BATCH_ONLY} for rid in rep_ids}
    # One statement for the whole batch (an insert per rep cost as much as the queries that read it).
    con.execute("create or replace temp table page_batch as select unnest($ids::varchar[]) as rep_id",
                {"ids": list(rep_ids)})
    try:
        for name in BATCH_ONLY:
            # Rows come ordered by rep_id (all but the quarantine): each run of one rep's rows is added at once.
            for rid, run in groupby(fetch(con, _rep_sql(name, "page_batch")), key=itemgetter("rep_id")):
                out[rid][name].extend(run)
    finally:
        con.execute("drop table if exists page_batch")
    return out


@contextmanager
def rep_batch(b: Bundle, rows: dict[str, dict[str, list[dict]]]):
    """`rows` (from `rep_rows`) put into `b.by_rep` for the `with` block, and taken out after.

    Outside a batch those marts are absent: a page that read one would fail (KeyError), not show nothing.
    """
    try:
        for rid, marts in rows.items():
            b.by_rep[rid].update(marts)  # every rep of the directory has its entry (load_bundle)
        yield
    finally:
        for rid in rows.keys() & b.by_rep.keys():
            for name in BATCH_ONLY:
                b.by_rep[rid].pop(name, None)


@dataclass
class Calendar:
    """The quarters a page talks about: the current one, the last closed one, the recent ones."""

    quarters: list[dict]
    recent_count: int

    @property
    def current(self) -> str | None:
        return next((q["period"] for q in self.quarters if q["is_current"]), None)

    @property
    def previous(self) -> str | None:
        closed = [q["period"] for q in self.quarters if q["is_closed"]]
        return closed[-1] if closed else None

    @property
    def recent(self) -> list[str]:
        return [q["period"] for q in self.quarters if not q["is_future"]][-self.recent_count:]


def period_row(rows: list[dict], period: str | None) -> dict | None:
    return next((r for r in rows if r.get("period") == period), None)


