"""The demo org's forecast calls: people forecast the way people do, so the forecast grade has something to tell.

Opt-in (`demo-data --forecast-calls`, or `demo.forecast_calls: true` for the embedded demo): without it the
demo writes exactly the files it always did. The calls are derived from the demo's own extracts after they
are written (what each rep went on to win, their quota), so the deal simulation is untouched and the calls
need no hidden state from it.

Each person gets a forecasting habit, drawn from a stream seeded by the org's seed and their rep_id:
accurate, a sandbagger (calls low), an optimist (calls high), erratic, or silent (never calls, so the CRM's
own forecast is scored instead). Reps call their own quarter a few times, each call closer to the truth than
the one before, two of them before the checkpoint day (28) and one after it; managers call their team's
quarter. One team calls by month, as some forecasting tools do, so the monthly calls sum into their quarter.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HEADER = "rep_id,period_start,submitted_at,amount,category,submitted_by,scope"
# habit -> (share of people, bias range, noise of the first call)
HABITS = {
    "accurate": (0.35, (-0.05, 0.05), 0.10),
    "sandbagger": (0.22, (-0.45, -0.25), 0.10),
    "optimist": (0.22, (0.30, 0.70), 0.15),
    "erratic": (0.11, (-0.10, 0.10), 0.60),
    "silent": (0.10, (0.0, 0.0), 0.0),
}
# days of the quarter (day 1 is its first) each call is submitted on, and how much of the habit's bias and noise
# is left by then: later calls know more
CALL_DAYS = (((2, 8), 1.0), ((18, 27), 0.8), ((40, 60), 0.4))


@dataclass(frozen=True)
class Habit:
    name: str
    bias: float
    noise: float


@dataclass(frozen=True)
class _Quarter:
    start: date
    end: date


def _habit(rng: random.Random) -> Habit:
    pick, acc = rng.random(), 0.0
    for name, (share, (lo, hi), noise) in HABITS.items():
        acc += share
        if pick < acc:
            return Habit(name, rng.uniform(lo, hi), noise)
    return Habit("accurate", 0.0, HABITS["accurate"][2])


def _read(out_dir: Path, name: str) -> list[dict]:
    with open(out_dir / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _truths(out_dir: Path) -> tuple[dict, dict, dict]:
    """(quota per (rep, quarter start), won per (rep, quarter start), the quarters by start) from the extracts."""
    quotas, quarters = {}, {}
    for q in _read(out_dir, "quotas"):
        start, end = date.fromisoformat(q["period_start"]), date.fromisoformat(q["period_end"])
        quarters[start] = _Quarter(start, end)
        quotas[(q["rep_id"], start)] = float(q["amount"])
    starts = sorted(quarters)
    won: dict = defaultdict(float)
    for o in _read(out_dir, "opportunities"):
        if o["stage"] == "Closed Won" and o["amount"]:
            closed = date.fromisoformat(o["close_date"])
            start = next((s for s in reversed(starts) if s <= closed), None)
            if start is not None and closed <= quarters[start].end:
                won[(o["owner_id"], start)] += float(o["amount"])
    return quotas, won, quarters


def _truth(won: float, quota: float, quarter: _Quarter, as_of: date) -> float:
    """What a person is trying to call: the quarter's result, or for the current one a fair guess at it."""
    if quarter.end < as_of:
        return won
    elapsed = (as_of - quarter.start).days + 1
    return won + quota * max(0.0, 1 - elapsed / ((quarter.end - quarter.start).days + 1)) * 0.8


def _calls(rng: random.Random, habit: Habit, truth: float, quota: float, quarter: _Quarter, as_of: date) -> list:
    """(submitted day, amount) of one person's calls for one quarter, none after as_of."""
    out = []
    for (lo, hi), left in CALL_DAYS:
        day = quarter.start + timedelta(days=rng.randint(lo, hi) - 1)
        if day > as_of or day > quarter.end:
            break
        # someone who will win nothing still calls: the optimist what a quarter usually brings, others less
        base = truth if truth > 0 else quota * (0.5 if habit.bias > 0.2 else 0.1)
        amount = base * (1 + habit.bias * left + rng.gauss(0, habit.noise * left))
        out.append((day, max(0, round(amount / 1000) * 1000)))
    return out


def _people(out_dir: Path) -> tuple[list[dict], dict[str, list[str]]]:
    reps = _read(out_dir, "reps")
    reports: dict[str, list[str]] = defaultdict(list)
    for r in reps:
        if r["manager_id"]:
            reports[r["manager_id"]].append(r["rep_id"])
    return reps, reports


def _rows(rep_id: str, scope: str, calls: list, quarter: _Quarter, monthly: bool, rng: random.Random) -> list[str]:
    """CSV lines for one person's calls of one quarter, split into the quarter's three months when `monthly`."""
    lines = []
    for day, amount in calls:
        stamp = f"{day.isoformat()} {rng.randint(8, 18):02d}:{rng.choice((0, 15, 30, 45)):02d}"
        if not monthly:
            lines.append(f"{rep_id},{quarter.start.isoformat()},{stamp},{amount:.2f},Commit,,{scope}\n")
            continue
        months = [quarter.start, _month_after(quarter.start), _month_after(_month_after(quarter.start))]
        for month, share in zip(months, (0.3, 0.3, 0.4)):
            lines.append(f"{rep_id},{month.isoformat()},{stamp},{round(amount * share, -2):.2f},Commit,,{scope}\n")
    return lines


def _month_after(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def write_forecast_calls(out_dir: Path, seed: int, as_of: date) -> Path:
    """Write forecast_calls.csv beside the demo's other extracts; return its path."""
    out_dir = Path(out_dir)
    quotas, won, quarters = _truths(out_dir)
    reps, reports = _people(out_dir)
    managers = {m for m, rs in reports.items() if not any(r in reports for r in rs)}  # not the VP
    monthly_team = max(managers) if managers else None
    lines: list[str] = []
    for person in sorted(reps, key=lambda r: r["rep_id"]):
        rid = person["rep_id"]
        rng = random.Random(f"forecast-calls-{seed}-{rid}")
        habit = _habit(rng)
        if habit.name == "silent":
            continue
        is_manager = rid in managers
        team = [rid, *reports.get(rid, [])] if is_manager else [rid]
        monthly = rid == monthly_team or person["manager_id"] == monthly_team
        for start in sorted(quarters):
            quota = sum(quotas.get((m, start), 0.0) for m in team)
            if quota <= 0 or start > as_of:
                continue
            truth = sum(_truth(won.get((m, start), 0.0), quotas.get((m, start), 0.0), quarters[start], as_of)
                        for m in team)
            hired = date.fromisoformat(person["hire_date"])
            calls = [c for c in _calls(rng, habit, truth, quota, quarters[start], as_of) if c[0] >= hired]
            lines += _rows(rid, "team" if is_manager else "self", calls, quarters[start], monthly, rng)
    path = out_dir / "forecast_calls.csv"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER + "\n")
        f.writelines(lines)
    return path
