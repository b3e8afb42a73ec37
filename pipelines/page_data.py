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
from dataclasses import dataclass

import duckdb

from pipelines import charts

REP_MARTS = {
    "scorecard": "select * from rep_scorecard order by rep_id, period_start",
    "pipeline": "select * from rep_pipeline_by_stage order by rep_id, stage_order, stage",
    "activity": "select * from rep_activity_weekly order by rep_id, week_start, activity_type",
    "vs_plan": "select * from rep_activity_vs_plan order by rep_id, week_start",
    "flow": "select * from rep_flow order by rep_id, window_start, period",
    "stuck": "select * from rep_stuck_deals order by rep_id, days_in_stage desc, opportunity_id",
    "hygiene": "select * from rep_hygiene order by rep_id",
    "hygiene_deals": "select * from rep_hygiene_deals order by rep_id, problems desc, amount desc nulls last, opportunity_id",
    "alerts": "select * from rep_alerts order by rep_id, is_worse desc, deviation, metric",
    "grades": "select * from rep_balanced_scorecard order by rep_id, period",
    "forecast": "select * from rep_forecast_accuracy order by rep_id, period",
    "velocity": "select * from rep_velocity order by rep_id",
    "targets": "select * from rep_targets order by rep_id, metric",
    "events": "select * from rep_deal_events order by rep_id, event_date desc, opportunity_id, event",
    "ramp": "select * from rep_ramp where is_complete order by rep_id, month_since_hire",
    "quarantine": "select * from org_quarantine where rep_id is not null order by table_name, file, row_number, column_name, reason",
}
TEAM_MARTS = {
    "scorecard": "select * from team_scorecard order by team, period_start",
    "flow": "select * from team_flow order by team, window_start, period",
    "alerts": "select * from team_alerts order by team, is_worse desc, deviation, metric",
    "selling": "select * from team_manager_selling order by team, period",
    "forecast": "select * from team_forecast_accuracy order by team, period",
    "pareto": "select * from team_pareto order by team, period",
    "leaderboard": "select * from team_leaderboard order by team, contest_rank, name, rep_id",
}
ORG_MARTS = {
    "quarters": "select * from org_quarters order by period_start",
    "scorecard": "select * from org_scorecard order by period_start",
    "flow": "select * from org_flow order by window_start, period",
    "pareto": "select * from org_pareto order by period",
    "buckets": "select * from rep_attainment_distribution order by period, bucket_order, bucket",
    "ramp_curve": "select * from org_ramp_curve order by month_since_hire",
    "funnel": "select * from rep_stage_funnel where is_org order by period, stage_order, stage, team",
    "extracts": "select * from org_extracts order by table_name",
    "quarantine_counts": "select * from org_data_quality order by table_name, rows desc, reason, action",
    "quarantine_sample": "select * from org_quarantine order by table_name, file, row_number, column_name, reason limit 200",
    "rep_quality": "select * from rep_data_quality order by rows_with_problems desc, name, rep_id",
    "notes": "select * from org_extract_notes order by table_name, note",
}
EVENT_LABELS = {
    "created": "created", "won": "won", "lost": "lost", "pushed_out": "slipped to a later quarter",
    "pulled_in": "pulled into an earlier quarter", "advanced": "moved forward a stage",
    "went_back": "moved back a stage", "amount_up": "amount raised", "amount_down": "amount cut",
}
DIMENSIONS = [
    ("results", "Results", "attainment (projected this quarter) against 100%"),
    ("pipeline", "Pipeline", "coverage against the coverage target"),
    ("conversion", "Conversion", "win rate against the win-rate target"),
    ("cycle", "Cycle time", "target cycle days ÷ actual cycle days"),
    ("activity", "Activity", "activities a week against plan"),
    ("discipline", "CRM discipline", "share of clean open deals against target"),
    ("forecast", "Forecast", "forecast accuracy against target"),
]


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    rel = con.sql(sql)
    cols = rel.columns
    return [dict(zip(cols, r)) for r in rel.fetchall()]


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


def _grouped(con, marts: dict[str, str], key: str) -> dict[str, dict[str, list[dict]]]:
    out: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for name, sql in marts.items():
        for row in fetch(con, sql):
            out[row[key]][name].append(row)
    return out


def load_bundle(con: duckdb.DuckDBPyConnection) -> Bundle:
    directory = fetch(con, "select * from rep_directory order by team, name, rep_id")
    return Bundle(
        directory,
        {p["rep_id"]: p for p in directory},
        _grouped(con, REP_MARTS, "rep_id"),
        _grouped(con, TEAM_MARTS, "team"),
        {name: fetch(con, sql) for name, sql in ORG_MARTS.items()},
    )


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


def grades(row: dict | None) -> list[dict]:
    if not row:
        return []
    return [
        {"key": k, "label": label, "how": how, "grade": row.get(f"{k}_grade"), "ratio": row.get(f"{k}_ratio")}
        for k, label, how in DIMENSIONS
    ]


def ramp_values(ramp: list[dict], curve: list[dict]) -> list[dict]:
    """This rep's monthly attainment since hire beside the org's median over the same months."""
    mine = [{"series": "This rep", "month": r["month_since_hire"], "attainment": r["attainment"]}
            for r in ramp if r["attainment"] is not None]
    last = max((r["month_since_hire"] for r in ramp), default=0)
    org = [{"series": "Org median", "month": c["month_since_hire"], "attainment": c["median_attainment"]}
           for c in curve if c["month_since_hire"] <= last]
    return mine + org


def _rep_charts(d: dict, history: list[dict], cur: str | None) -> dict:
    return dict(
        attainment_values=jsonable([r for r in history if r["attainment"] is not None], ["period", "attainment"]),
        pipeline_values=jsonable(d.get("pipeline", []), ["stage", "stage_order", "open_amount", "open_deals"]),
        activity_values=jsonable(d.get("activity", []), ["week_start", "activity_type", "activities"]),
        vs_plan_values=[
            {"week_start": r["week_start"].isoformat(), "series": s, "value": r[k]}
            for r in d.get("vs_plan", [])
            for s, k in (("Activities", "activities"), ("Plan", "target_per_week"))
        ],
        flow_values=charts.waterfall_values(period_row(d.get("flow", []), cur) or {}),
    )


def rep_context(b: Bundle, rid: str, cal: Calendar) -> dict:
    """Everything the rep page and the coaching page show for one rep."""
    d = b.by_rep.get(rid, {})
    person = b.people[rid]
    cur, recent = cal.current, set(cal.recent)
    history = [r for r in d.get("scorecard", []) if r["period"] in recent]
    grades_now = grades(period_row(d.get("grades", []), cur))
    graded = [g for g in grades_now if g["grade"] is not None]
    return dict(
        person=person,
        manager=b.people.get(person["manager_id"]) if person["manager_id"] else None,
        now=period_row(d.get("scorecard", []), cur),
        history=history,
        bsc=period_row(d.get("grades", []), cur),
        grades=grades_now,
        grades_prev={g["key"]: g["grade"] for g in grades(period_row(d.get("grades", []), cal.previous))},
        weakest=sorted(graded, key=lambda g: (g["grade"], g["ratio"] or 0, g["key"]))[:2],
        strengths=[g for g in sorted(graded, key=lambda g: (-g["grade"], g["key"])) if g["grade"] >= 4][:3],
        targets={t["metric"]: t for t in d.get("targets", [])},
        velocity=(d.get("velocity") or [None])[0],
        hygiene=(d.get("hygiene") or [None])[0],
        hygiene_deals=d.get("hygiene_deals", []),
        stuck=d.get("stuck", []),
        alerts=[a for a in d.get("alerts", []) if a["is_worse"]],
        flow=period_row(d.get("flow", []), cur),
        forecast=[f for f in d.get("forecast", []) if f["period"] in recent],
        events=d.get("events", []),
        slipped=[e for e in d.get("events", []) if e["event"] == "pushed_out" and e["days_ago"] <= 30],
        event_labels=EVENT_LABELS,
        pipeline=d.get("pipeline", []),
        vs_plan=d.get("vs_plan", []),
        quarantine=d.get("quarantine", [])[:50],
        quarantine_total=len(d.get("quarantine", [])),
        ramp_values=ramp_values(d.get("ramp", []), b.org["ramp_curve"]),
        **_rep_charts(d, history, cur),
    )


def team_list(b: Bundle, cal: Calendar) -> list[dict]:
    """One entry per team with its current-quarter rows, for the home, teams and team pages."""
    members = group_by(b.directory, "team")
    out = []
    for team, d in sorted(b.by_team.items()):
        people = members.get(team, [])
        out.append({
            "team": team, "now": period_row(d["scorecard"], cal.current), "members": people,
            "alerts": [a for a in d["alerts"] if a["is_worse"]],
            "rep_alerts": [a for p in people for a in b.by_rep[p["rep_id"]]["alerts"] if a["is_worse"]],
            "selling": period_row(d["selling"], cal.current),
            "pareto": period_row(d["pareto"], cal.current),
        })
    return out
