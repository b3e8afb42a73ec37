"""What each kind of page shows: the rows of the bundle picked, ordered and shaped for one template.

Picking and ordering rows, and putting them in the shape a chart or a table wants, is layout; every
figure itself comes from a mart (pipelines.page_data fetched them). One function per kind of page.
"""

from __future__ import annotations

import functools
import json
import unicodedata

from markupsafe import Markup, escape
from pydantic import BaseModel

from pipelines import charts
from pipelines.catalog import Catalog
from pipelines.page_data import EVENT_LABELS, Bundle, Calendar, jsonable, period_row
from pipelines.schema import TABLES
from pipelines.settings import DIMENSIONS as DIMENSION_KEYS
from pipelines.settings import QUOTA_DIMENSION, Config, iter_settings

DIMENSIONS = [
    ("results", "Results", "attainment against the pace of a typical quarter (100% once closed)"),
    ("pipeline", "Pipeline", "coverage against the coverage target"),
    ("conversion", "Conversion", "win rate against the win-rate target"),
    ("cycle", "Cycle time", "target cycle days ÷ actual cycle days"),
    ("activity", "Activity", "activities a week against plan"),
    ("discipline", "CRM discipline", "share of clean open deals against target"),
    ("forecast", "Forecast", "forecast accuracy against target"),
]
# The question a manager asks in the 1:1 about each weak dimension.
QUESTIONS = {
    "results": "Which of these deals closes this quarter, and what would move the others?",
    "pipeline": "Where does the pipeline still needed come from: which accounts, by when?",
    "conversion": "What made the last deals go away, and what would you do differently on these?",
    "cycle": "What is holding these deals in their stage, and who can unblock them?",
    "activity": "What keeps the calls and meetings of your plan from happening?",
    "discipline": "When will these deals get a next step, an amount and a close date that holds?",
    "forecast": "Which of your Commit deals would you bet on, and why?",
}
CHART_CAP = 2.0  # attainment bars above 200% are drawn at 200% with their value as a label


def grades(row: dict | None, hide_quotas: bool = False) -> list[dict]:
    """A scorecard row's dimensions, each with its grade, ratio, note and money at risk. With `hide_quotas` (a rep's
    row, never a team's: team totals stay) the Results dimension is shown as hidden: its grade and ratio are
    attainment, and its money at risk is the quota's expected share less the won amount."""
    if not row:
        return []
    out = [
        {"key": k, "label": label, "how": how, "grade": row.get(f"{k}_grade"), "ratio": row.get(f"{k}_ratio"),
         "note": row.get(f"{k}_note"), "at_risk": row.get(f"{k}_at_risk"), "hidden": False}
        for k, label, how in DIMENSIONS
    ]
    if hide_quotas:
        out = [dict(g, grade=None, ratio=None, at_risk=None, hidden=True)
               if g["key"] == QUOTA_DIMENSION else g for g in out]
    return out


def shown_alerts(alerts: list[dict], hide_quotas: bool) -> list[dict]:
    """A rep's alerts worse than plan, without the attainment one when privacy.hide_quotas hides attainment."""
    return [a for a in alerts if a["is_worse"] and not (hide_quotas and a["dimension"] == QUOTA_DIMENSION)]


def weakest(graded: list[dict], n: int = 2) -> tuple[list[dict], str | None]:
    """The n dimensions whose gap puts the most money at risk (then the lowest grade); and, when the
    choice cut through a tie, the sentence that says so, so a manager sees it was not arbitrary."""
    ranked = sorted(graded, key=lambda g: (-(g["at_risk"] or 0), g["grade"], g["key"]))
    if len(ranked) <= n:
        return ranked, None
    last, nxt = ranked[n - 1], ranked[n]
    if (last["at_risk"] or 0, last["grade"]) != (nxt["at_risk"] or 0, nxt["grade"]):
        return ranked[:n], None
    tied = [g["label"] for g in ranked if (g["at_risk"] or 0, g["grade"]) == (last["at_risk"] or 0, last["grade"])]
    return ranked[:n], (f"{', '.join(tied[:-1])} and {tied[-1]} are tied on grade and money at risk; "
                        f"the first {n} in the scorecard's order are shown")


def attainment_values(rows: list[dict], cal: Calendar) -> list[dict]:
    """Attainment bars of the recent quarters: the in-progress one marked, outliers capped and labelled."""
    recent = set(cal.recent)
    out = []
    for r in rows:
        if r["period"] in recent and r["attainment"] is not None:
            a = float(r["attainment"])
            out.append({"period": r["period"], "attainment": a, "shown": min(a, CHART_CAP),
                        "status": "in progress" if r["is_current"] else "closed",
                        "label": f"{a:.0%}" if a > CHART_CAP else ""})
    return out


def ramp_values(ramp: list[dict], curve: list[dict]) -> list[dict]:
    """This rep's monthly attainment since hire beside the org's median over the same months."""
    mine = [{"series": "This rep", "month": r["month_since_hire"], "attainment": r["attainment"]}
            for r in ramp if r["attainment"] is not None]
    last = max((r["month_since_hire"] for r in ramp), default=0)
    org = [{"series": "Org median", "month": c["month_since_hire"], "attainment": c["median_attainment"]}
           for c in curve if c["month_since_hire"] <= last]
    return mine + org


# The roll-up's columns in the order a forecast call reads them (the marts also carry omitted and uncategorized).
FORECAST_COLUMNS = [("commit", "Commit"), ("best_case", "Best Case"), ("pipeline", "Pipeline"), ("closed", "Closed")]


def forecast_view(rollup: list[dict], movement: list[dict], trend: list[dict] | None = None,
                  with_charts: bool = True) -> dict:
    """The forecast section of a rep, team or org page: the roll-up row, each column's week (with its waterfall's
    bars, unless the page draws no waterfall: a rep page's week is a table only) and the trend line's points.
    The marts computed every figure; this only orders and shapes them."""
    by_column = {m["forecast_column"]: m for m in movement}
    weeks = []
    for key, label in FORECAST_COLUMNS:
        if key in by_column:
            week = dict(by_column[key], label=label)
            if with_charts and not week.get("unseen_deals"):  # no data that week: no bars (nulls would draw 0)
                week["bars"] = charts.forecast_waterfall_values(by_column[key])
            weeks.append(week)
    unknown = [r for r in trend or [] if r.get("unseen_deals")]  # days whose sums would leave deals out: no data
    return {"rollup": rollup[0] if rollup else None, "weeks": weeks,
            "trend_values": charts.forecast_trend_values(trend or []),
            "trend_unknown_days": len(unknown), "trend_unseen_deals": max((r["unseen_deals"] for r in unknown),
                                                                        default=0)}


@functools.lru_cache(maxsize=1024)
def _week_label(d) -> str:
    """A week as the activity charts label it, "6 Dec": cached, as every rep's charts show the same few weeks."""
    return f"{d.day} {d:%b}"


def _rep_charts(d: dict, history: list[dict], cal: Calendar) -> dict:
    flow = period_row(d["flow"], cal.current)
    return dict(
        attainment_values=attainment_values(history, cal),
        pipeline_values=jsonable(d["pipeline"], ["stage", "stage_order", "open_amount", "open_deals"]),
        activity_values=[{"week": _week_label(r["week_start"]), "week_start": r["week_start"].isoformat(),
                          "activity_type": r["activity_type"], "activities": r["activities"]}
                         for r in d["activity"]],
        # a chart of nothing but the plan line says why instead
        vs_plan_values=[
            {"week": _week_label(r["week_start"]), "week_start": r["week_start"].isoformat(), "series": s,
             "value": r[k]}
            for r in d["vs_plan"] for s, k in (("Activities", "activities"), ("Plan", "target_per_week"))
            if r[k] is not None
        ] if any(r["activities"] for r in d["vs_plan"]) else [],
        flow_values=charts.flow_chart_values(flow),
    )


def search_alias(name: str) -> str:
    """The name without accents, so a search for "Pena" finds "Peña" (the search index has both)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return folded if folded != name else ""


def _to_discuss(d: dict, cur: str | None) -> dict[str, list[dict]]:
    """For each dimension, the few deals a 1:1 about it should go through."""
    open_deals = d["open_deals"]
    this_quarter = [o for o in open_deals if o.get("days_to_close") is not None and o["days_to_close"] >= 0]
    by_amount = sorted(this_quarter, key=lambda o: (-(o["amount"] or 0), o["opportunity_id"]))
    stuck = d["stuck"]
    untouched = sorted(open_deals, key=lambda o: (-(o["days_since_activity"] or 0), o["opportunity_id"]))
    return {
        "results": by_amount[:3], "pipeline": [], "conversion": stuck[:3], "cycle": stuck[:3],
        "activity": untouched[:3], "discipline": d["hygiene_deals"][:3],
        "forecast": [o for o in by_amount if o.get("forecast_category") == "Commit"][:3],
    }


def rep_context(b: Bundle, rid: str, cal: Calendar, hide_quotas: bool = False) -> dict:
    """Everything the rep page and the coaching page show for one rep (`hide_quotas`: the audience's privacy)."""
    d = b.by_rep[rid]  # a batch-only mart read outside its batch is a KeyError, never an empty table
    person = b.people[rid]
    cur, recent = cal.current, set(cal.recent)
    history = [r for r in d["scorecard"] if r["period"] in recent]
    grades_now = grades(period_row(d["grades"], cur), hide_quotas)
    to_discuss, tie = weakest([g for g in grades_now if g["grade"] is not None and g["grade"] < 4])
    month = [e for e in d["events"] if e["days_ago"] <= 30]
    return dict(
        person=person, search_alias=search_alias(person["name"]),
        manager=b.people.get(person["manager_id"]) if person["manager_id"] else None,
        now=period_row(d["scorecard"], cur), history=history,
        bsc=period_row(d["grades"], cur), grades=grades_now,
        grades_prev={g["key"]: g["grade"] for g in grades(period_row(d["grades"], cal.previous), hide_quotas)},
        weakest=to_discuss, weakest_tie=tie, questions=QUESTIONS, discuss=_to_discuss(d, cur),
        strengths=[g for g in sorted(grades_now, key=lambda g: (-(g["grade"] or 0), g["key"]))
                   if (g["grade"] or 0) >= 4][:3],
        managed_teams=[{"team": t, "grades": grades(period_row(b.by_team[t]["grades"], cur)),
                        "bsc": period_row(b.by_team[t]["grades"], cur)} for t in b.managed_by.get(rid, [])],
        targets={t["metric"]: t for t in d["targets"]},
        velocity=(d["velocity"] or [None])[0], hygiene=(d["hygiene"] or [None])[0],
        hygiene_deals=d["hygiene_deals"], stuck=d["stuck"], open_deals=d["open_deals"],
        alerts=sorted(shown_alerts(d["alerts"], hide_quotas), key=lambda a: a["alert_rank"]),
        flow=period_row(d["flow"], cur),
        forecast=[f for f in d["forecast"] if f["period"] in recent],
        forecast_now=forecast_view(d["forecast_rollup"], d["forecast_movement"], with_charts=False),
        forecast_calls=[c for c in d["forecast_calls"] if c["period"] in recent][:12],
        changes=d["changes"], won_last_30_days=[e for e in month if e["event"] == "won" and e["is_standing"]],
        largest_changes=sorted([e for e in month if e["amount"]], key=lambda e: (-e["amount"], e["opportunity_id"]))[:5],
        history_known=bool(b.org["coverage"] and b.org["coverage"][0]["history_starts_on"]),
        event_labels=EVENT_LABELS, pipeline=d["pipeline"], vs_plan=d["vs_plan"],
        quarantine=d["quarantine"][:50], quarantine_total=len(d["quarantine"]),
        ramp_values=ramp_values(d["ramp"], b.org["ramp_curve"]),
        **_rep_charts(d, history, cal),
    )


def top_alerts(team_alerts: list[dict], people: list[dict], b: Bundle, n: int = 5,
               hide_quotas: bool = False) -> list[dict]:
    """The team's n alerts with the most money at risk, its own and its reps' (worse than plan only; a rep's
    attainment alert not with `hide_quotas`, the team's own stays: team totals stay)."""
    found = [dict(a, rep_id=None) for a in team_alerts if a["is_worse"]]
    found += [a for p in people for a in shown_alerts(b.by_rep[p["rep_id"]]["alerts"], hide_quotas)]
    return sorted(found, key=lambda a: (-(a["money_at_risk"] or 0), a["metric"], a["rep_id"] or ""))[:n]


def team_list(b: Bundle, cal: Calendar, hide_quotas: bool = False) -> list[dict]:
    """One entry per team with its current-quarter rows, for the home, teams and team pages (`hide_quotas`: the
    audience's privacy, for the reps' alerts among the team's top ones)."""
    members: dict[str, list[dict]] = {}
    for p in b.directory:
        members.setdefault(p["team"], []).append(p)
    out = []
    for team, d in sorted(b.by_team.items()):
        people = members.get(team, [])
        bsc = period_row(d["grades"], cal.current)
        out.append({
            "team": team, "now": period_row(d["scorecard"], cal.current), "members": people,
            "alerts": [a for a in d["alerts"] if a["is_worse"]],
            "selling": period_row(d["selling"], cal.current),
            "pareto": period_row(d["pareto"], cal.current),
            "bsc": bsc,
            "top_alerts": top_alerts(d["alerts"], people, b, hide_quotas=hide_quotas),
            # Reps with an alert the audience sees: without the attainment alert where quotas are hidden, so that
            # the count does not tell who has one.
            "people_with_alerts": (bsc or {}).get("people_with_alerts_outside_results" if hide_quotas
                                                  else "people_with_alerts"),
        })
    return out


def _merged(person: dict, row: dict | None) -> dict:
    """A person's current-quarter scorecard row with their directory fields (which win on a clash)."""
    return {**(row or {}), **person}


def reps_index(b: Bundle, cal: Calendar) -> list[dict]:
    return [_merged(p, period_row(b.by_rep[p["rep_id"]]["scorecard"], cal.current)) for p in b.directory]


def _stuck_by_owner(b: Bundle, people: list[dict]) -> list[dict]:
    rows = []
    for p in people:
        stuck = b.by_rep[p["rep_id"]]["stuck"]
        if stuck:
            top = max(stuck, key=lambda s: (s["amount"] or 0, s["opportunity_id"]))
            rows.append({"rep_id": p["rep_id"], "name": p["name"], "deals": len(stuck),
                         "amount": sum(s["amount"] or 0 for s in stuck), "largest": top["opportunity_name"]})
    return sorted(rows, key=lambda r: (-r["amount"], r["rep_id"]))


def team_context(b: Bundle, t: dict, cal: Calendar) -> dict:
    """The team page and its Monday pack."""
    d = b.by_team[t["team"]]
    reps = {p["rep_id"]: b.by_rep[p["rep_id"]] for p in t["members"]}
    members = [_merged(p, period_row(reps[p["rep_id"]]["scorecard"], cal.current)) for p in t["members"]]
    rep_forecasts = [_merged(p, (reps[p["rep_id"]]["forecast_rollup"] or [None])[0]) for p in t["members"]]
    week = [e for r in reps.values() for e in r["events"] if e["days_ago"] < 7]
    selling = t["selling"] or {}
    flow = period_row(d["flow"], cal.current)
    closing = [o for r in reps.values() for o in r["open_deals"] if o["is_closing_soon"]]
    return dict(
        team=t, manager=b.people.get(selling.get("manager_id")), team_grades=grades(t["bsc"]),
        team_grades_prev={g["key"]: g["grade"] for g in grades(period_row(d["grades"], cal.previous))},
        history=[r for r in d["scorecard"] if r["period"] in set(cal.recent)], members=members,
        bar=[{"name": m["name"], "attainment": m["attainment"]} for m in members if m.get("attainment") is not None],
        leaderboard=d["leaderboard"], flow=flow,
        flow_values=charts.flow_chart_values(flow),
        forecast=[f for f in d["forecast"] if f["period"] in set(cal.recent)],
        team_forecast=forecast_view(d["forecast_rollup"], d["forecast_movement"], d["forecast_trend"]),
        forecast_moves=d["forecast_moves"][:10], rep_forecasts=rep_forecasts,
        monday=(d["monday"] or [{}])[0],
        wins=sorted([e for e in week if e["event"] == "won" and e["is_standing"]], key=lambda e: (-(e["amount"] or 0), e["opportunity_id"])),
        slips=sorted([e for e in week if e["event"] == "pushed_out"], key=lambda e: (-(e["amount"] or 0), e["opportunity_id"])),
        closing=sorted(closing, key=lambda o: (-(o["amount"] or 0), o["opportunity_id"])),
        stuck_by_owner=_stuck_by_owner(b, t["members"]),
        plan_rows=[dict(reps[p["rep_id"]]["vs_plan"][-1], name=p["name"])
                   for p in t["members"] if reps[p["rep_id"]]["vs_plan"]],
    )


def glossary(catalog: Catalog, cfg: Config) -> dict:
    def code(text: str) -> Markup:
        return Markup(f"<code>{escape(text)}</code>")

    return dict(
        metrics=catalog.metrics(), marts=catalog.marts,
        macros=[{"signature": code(m.signature), "help": m.help} for m in catalog.macros],
        mart_columns={m.name: [{"name": code(c), "text": t} for c, t in m.columns.items()] for m in catalog.marts},
        grade_scales=[dict(zip(("dimension", "c2", "c3", "c4", "c5"), [dim, *cfg.grades.cutoffs_for(dim)]))
                      for dim in DIMENSION_KEYS],
    )


def _in_force(cfg: Config, key: str):
    value = cfg
    for part in key.split("."):
        value = getattr(value, part, None)
    return value


def _shown(value) -> str:
    """A setting as text: never a Python repr on a page."""
    if isinstance(value, BaseModel):
        return ""  # a section: its keys have rows of their own
    if value is None:
        return ""
    if isinstance(value, dict):
        value = {k: v.model_dump(mode="json", exclude_defaults=True) if isinstance(v, BaseModel) else v
                 for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        value = [v.model_dump(mode="json", exclude_defaults=True) if isinstance(v, BaseModel) else v for v in value]
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value).lower() if isinstance(value, bool) else str(value)


def reference(cfg: Config) -> dict:
    settings = [{"key": Markup(f"<code>{escape(k)}</code>"), "value": _shown(_in_force(cfg, k)),
                 "default": _shown(default), "help": help_text}
                for k, default, help_text in iter_settings()]
    tables = [{"name": t.name, "required": t.required, "help": t.help,
               "columns": [{"name": Markup(f"<code>{escape(c.name)}</code>"), "type": c.type, "required": c.required,
                            "help": c.help} for c in t.columns]} for t in TABLES.values()]
    return dict(settings=settings, tables=tables)
