"""Embedded demo org: deterministic, realistic CRM extracts for docs, tests and benchmarks.

The generator writes the same five CSV extracts a real CRM export would give us
(reps, opportunities, opportunity_history, activities, quotas) plus a config.yml,
so the whole pipeline can be exercised without customer data. It is stdlib-only
and seeded, so the same (reps, seed, as_of) always gives byte-identical files.
`pipelines.demo_flavors` writes the same simulated org the way Salesforce and HubSpot
export it, for their presets.

Every person gets their own ``random.Random`` seeded from the master stream, so a
rep's data does not depend on how many draws other reps made; that keeps the
output stable when one part of the model is tuned.
"""

from __future__ import annotations

import math
import pathlib
import random
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = [
    "DEMO_AS_OF",
    "DEMO_FISCAL_YEAR_START_MONTH",
    "DEMO_ORG_NAME",
    "DEMO_STAGES",
    "FORECAST_CATEGORIES",
    "fiscal_quarter_start",
    "fiscal_quarters",
    "generate_demo",
]

DEMO_ORG_NAME = "Demo Org"
DEMO_AS_OF = date(2026, 11, 18)
DEMO_FISCAL_YEAR_START_MONTH = 2
DEMO_STAGES: list[dict] = [
    {"name": "Prospecting", "kind": "open", "probability": 0.1},
    {"name": "Qualification", "kind": "open", "probability": 0.2},
    {"name": "Proposal", "kind": "open", "probability": 0.5},
    {"name": "Negotiation", "kind": "open", "probability": 0.8},
    {"name": "Closed Won", "kind": "won", "probability": 1.0},
    {"name": "Closed Lost", "kind": "lost", "probability": 0.0},
]
FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")

# Stage indexes into DEMO_STAGES; the four open stages come first, in order.
_STAGE_NAMES = [s["name"] for s in DEMO_STAGES]
_N_OPEN = 4
_WON, _LOST = 4, 5
# Forecast rank per open stage on the Pipeline < Best Case < Commit ladder.
_FC_LADDER = ("Pipeline", "Best Case", "Commit")
_FC_RANK = (0, 0, 1, 2)
_STAGE_WEIGHTS = (1.0, 1.2, 1.6, 1.2)
_LOSS_WEIGHTS = (0.35, 0.30, 0.22, 0.13)

WINDOW_DAYS = 730
# Model knobs, calibrated so the org lands near 100% of quota with the median rep around 70%.
_BASE_DEAL_RATE = 0.15  # new deals per calendar day for an average AE
_CYCLE_MEDIAN_DAYS = 55.0
_AMOUNT_MEDIAN = 20000.0
_AMOUNT_MIN, _AMOUNT_MAX = 5000.0, 250000.0
_BASE_QUOTA = 160000  # per fiscal quarter, fully ramped AE: org attainment lands near 100%
_ZOMBIE_RATE = 0.02
_MISSING_AMOUNT_RATE = 0.1  # reps often skip the amount until Qualification
_PULL_IN_RATE = 0.04
_QUOTA_RAMP = (0.25, 0.5, 0.75, 1.0)

FIRST_NAMES = tuple("""
Aisha Ben Carmen Dev Elena Felix Grace Hiro Ines Jamal Kara Liam
Maya Noah Olga Priya Quinn Rafael Sofia Tariq Uma Victor Wen Ximena
Yusuf Zoë Amara Bruno Chloe Diego Emma Farah Gabriel Hannah Ivan Julia
Kenji Lena Marco Nadia Omar Paula Ravi Sara Tom Vera Will José
""".split())
LAST_NAMES = tuple("""
Adams Baker Chen Diaz Evans Fischer Garcia Hughes Ito Jensen Khan Lopez
Murphy Nguyen Okafor Patel Quinn Rossi Schmidt Tanaka Underwood Vargas Walsh Xu
Young Zimmer Alvarez Brooks Costa Dubois Ellis Fernandes Gupta Hall Ivanova Kim
Larsen Moreau Novak Owens Park Reyes Silva Torres Meyer Wright Müller Peña
""".split())
TEAM_NAMES = (
    "Northeast", "Mid-Atlantic", "Southeast", "Great Lakes", "Midwest", "Central",
    "Southwest", "Mountain", "Pacific Northwest", "NorCal", "SoCal", "Texas",
    "New England", "Gulf Coast", "Plains", "Carolinas",
)
LEADERSHIP_TEAM = "Leadership"
_ACCOUNT_PREFIXES = (
    "Acme", "Blue Ridge", "Cedar", "Delta", "Evergreen", "Falcon", "Granite", "Harbor",
    "Iron Gate", "Juniper", "Keystone", "Lakeside", "Maple", "Northstar", "Oakwood", "Pinnacle",
    "Quarry", "Redwood", "Summit", "Tidewater", "Union", "Vantage", "Westfield", "Zenith",
)
_ACCOUNT_INDUSTRIES = (
    "Logistics", "Health", "Foods", "Energy", "Analytics", "Manufacturing", "Retail", "Bank",
    "Insurance", "Media", "Robotics", "Labs", "Hotels", "Freight", "Software", "Dental",
)
_ACCOUNT_SUFFIXES = (" Inc.", " LLC", " Group", " & Co.", " GmbH", " Ltd", "", ", Inc.")
_PRODUCTS = ("New Business", "Expansion", "Renewal", "Pilot", "Platform Upgrade", "Add-on Seats")
_NEXT_STEPS = (
    ("Intro call", "Research account", "Find champion"),
    ("Discovery call", "Qualify budget", "Demo for team"),
    ("Send proposal", "Pricing review", "Proposal walkthrough"),
    ("Legal review", "Procurement call", "Redlines back to customer", "Signature pending"),
)


@dataclass(slots=True)
class Person:
    """One row of reps.csv plus the hidden traits that drive their simulated behaviour."""

    rep_id: str
    first: str
    last: str
    email: str
    team: str
    manager_id: str
    role: str
    hire: int  # date ordinal
    term: int | None  # last working day (ordinal) for reps who left
    seed: int
    kind: str = "rep"  # "vp", "manager" or "rep"
    sells: str = "full"  # "full", "few" or "none": how much of a book they carry
    skill: float = 1.0
    volume: float = 1.0
    size: float = 1.0
    win_rate: float = 0.27
    slip_rate: float = 0.25
    sloppy: float = 0.15
    fc_dev: float = 0.0
    fc_dir: int = 0
    activity_level: float = 3.0
    link_rate: float = 0.5
    type_cuts: tuple = (0.45, 0.85)
    quota_factor: float = 1.0
    team_label: str = ""  # the team as written to reps.csv (one rep leaves it blank)


@dataclass(slots=True)
class Deal:
    """A simulated opportunity; history rows are pre-rendered without the id, which comes later."""

    created: int
    account: str
    name: str
    stage: int
    amount: int | None
    close: int
    fc: str
    touch_end: int
    next_step: str
    history: list = field(default_factory=list)  # (timestamp, stage, amount, close, fc)


class _Calendar:
    """Precomputed ISO strings and fiscal quarter numbers per day, so hot loops avoid date objects."""

    def __init__(self, as_of: date, fiscal_start: int):
        self.as_of = as_of.toordinal()
        self.window_start = self.as_of - WINDOW_DAYS
        self.base = self.as_of - 4000
        top = self.as_of + 800
        days = [date.fromordinal(o) for o in range(self.base, top)]
        self.iso = [d.isoformat() for d in days]
        self.quarter = [(d.year * 12 + d.month - fiscal_start) // 3 for d in days]
        starts = [fiscal_quarter_start(d, fiscal_start) for d in days]
        self.q_start = [q.toordinal() for q in starts]
        self.q_next = [_add_months(q, 3).toordinal() for q in starts]
        work = [o for o in range(self.window_start, self.as_of + 1) if date.fromordinal(o).weekday() < 5]
        self.workdays = work
        self.workday_iso = [self.iso[o - self.base] for o in work]

    def day(self, ordinal: int) -> str:
        return self.iso[ordinal - self.base]

    def qtr(self, ordinal: int) -> int:
        return self.quarter[ordinal - self.base]

    def quarter_start(self, ordinal: int) -> int:
        return self.q_start[ordinal - self.base]

    def next_quarter(self, ordinal: int) -> int:
        return self.q_next[ordinal - self.base]


# ---------------------------------------------------------------------------
# Dates and fiscal quarters


def fiscal_quarter_start(d: date, start_month: int = DEMO_FISCAL_YEAR_START_MONTH) -> date:
    """First day of the fiscal quarter holding d; quarters are 3-month blocks from start_month."""
    offset = (d.month - start_month) % 12
    month = (start_month - 1 + offset - offset % 3) % 12 + 1
    return date(d.year if month <= d.month else d.year - 1, month, 1)


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def fiscal_quarters(first: date, last: date, start_month: int = DEMO_FISCAL_YEAR_START_MONTH) -> list[tuple[date, date]]:
    """(start, end) of every fiscal quarter overlapping [first, last], so quotas tile the window."""
    out = []
    q = fiscal_quarter_start(first, start_month)
    while q <= last:
        nxt = _add_months(q, 3)
        out.append((q, nxt - timedelta(days=1)))
        q = nxt
    return out


# ---------------------------------------------------------------------------
# Org chart


def _team_sizes(reps: int) -> list[int]:
    """Split reps into teams of 6-10 (about 8) so every manager has a realistic span of control."""
    lo, hi = -(-reps // 10), reps // 6
    n = max(1, round(reps / 8))
    if lo <= hi:
        n = min(max(n, lo), hi)
    base, extra = divmod(reps, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def _team_name(i: int) -> str:
    """Regional names, numbered once the list runs out so big orgs stay unique."""
    base = TEAM_NAMES[i % len(TEAM_NAMES)]
    return base if i < len(TEAM_NAMES) else f"{base} {i // len(TEAM_NAMES) + 1}"


def _ascii(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()


class _Namer:
    """Draws first/last names and keeps emails unique by numbering repeats."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: dict[str, int] = {}

    def __call__(self) -> tuple[str, str, str]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        local = f"{_ascii(first)}.{_ascii(last)}"
        n = self.seen.get(local, 0) + 1
        self.seen[local] = n
        email = f"{local}{n if n > 1 else ''}@demo.example"
        return first, last, email


def _build_org(rng: random.Random, reps: int, cal: _Calendar) -> list[list[Person]]:
    """Return [[vp], [manager, rep, ...], ...]: the VP group first, then one group per team."""
    width = max(4, len(str(reps + len(_team_sizes(reps)) + 1)))
    counter = iter(range(1, 10**9))
    namer = _Namer(rng)
    as_of = cal.as_of

    def person(**kw) -> Person:
        first, last, email = namer()
        return Person(rep_id=f"r{next(counter):0{width}d}", first=first, last=last, email=email,
                      seed=rng.getrandbits(64), **kw)

    vp = person(team=LEADERSHIP_TEAM, manager_id="", role="VP", hire=as_of - rng.randrange(1500, 3000),
                term=None, kind="vp", sells="none", quota_factor=0.0, activity_level=0.0)
    vp.team_label = vp.team
    groups = [[vp]]
    sizes = _team_sizes(reps)
    n_new = round(reps * 0.12)
    n_left = max(1, round(reps * 0.03)) if reps >= 20 else 0
    n_slow = max(1, round(reps * 0.08))
    picks = rng.sample(range(reps), min(reps, n_new + n_left + n_slow))
    new_hires, leavers = set(picks[:n_new]), set(picks[n_new:n_new + n_left])
    slow = set(picks[n_new + n_left:])
    k = 0
    for t, size in enumerate(sizes):
        team = _team_name(t)
        sells = "full" if t == 0 or rng.random() < 0.12 else ("few" if rng.random() < 0.5 else "none")
        mgr = person(team=team, manager_id=vp.rep_id, role="Manager", hire=as_of - rng.randrange(900, 3000),
                     term=None, kind="manager", sells=sells)
        group = [mgr]
        for _ in range(size):
            group.append(_make_rep(person, rng, team, mgr.rep_id, as_of, k in new_hires, k in leavers))
            k += 1
        groups.append(group)
    for g in groups[1:]:
        for p in g:
            _set_traits(p, rng)
    sellers = [p for g in groups[1:] for p in g[1:]]
    for k, p in enumerate(sellers):
        if k in slow:
            p.activity_level = rng.uniform(0.5, 1.3)  # well below any activity plan
    _blank_one_team(groups, rng)
    return groups


def _make_rep(person, rng, team, manager_id, as_of, new_hire, leaver) -> Person:
    """A seller; new hires join in the last 9 months, leavers quit during the window."""
    term = None
    if new_hire:
        hire = as_of - rng.randrange(14, 265)
    elif leaver:
        hire = as_of - rng.randrange(600, 2500)
        term = as_of - rng.randrange(30, 400)
    else:
        hire = as_of - rng.randrange(300, 2600)
    senior = as_of - hire > 1000 and rng.random() < 0.3
    return person(team=team, manager_id=manager_id, role="Senior AE" if senior else "AE", hire=hire, term=term)


def _set_traits(p: Person, rng: random.Random) -> None:
    """Hidden behaviour: a lognormal skill gives a few stars and a long tail, as real teams have."""
    p.team_label = p.team
    skill = rng.lognormvariate(0.0, 0.65)
    if p.kind == "manager":
        skill = max(skill, 1.3) if p.sells == "full" else skill
        p.quota_factor = {"full": 0.5, "few": 0.15, "none": 0.0}[p.sells]
    else:
        p.quota_factor = 1.25 if p.role == "Senior AE" else 1.0
    p.skill = skill
    p.volume = skill ** 0.35 * rng.uniform(0.8, 1.2)
    p.size = skill ** 0.4 * rng.uniform(0.85, 1.15)
    p.win_rate = min(0.5, max(0.12, 0.27 * skill ** 0.35 * rng.uniform(0.85, 1.15)))
    p.slip_rate = rng.uniform(0.25, 0.45)
    p.sloppy = rng.uniform(0.05, 0.3)
    p.fc_dev = rng.choice((0.0, 0.0, 0.1, 0.25, 0.4))
    p.fc_dir = rng.choice((-1, 1))
    p.activity_level = rng.uniform(1.8, 4.0)
    p.link_rate = rng.uniform(0.4, 0.6)
    calls, emails, meetings = rng.uniform(0.3, 0.6), rng.uniform(0.25, 0.5), rng.uniform(0.05, 0.25)
    total = calls + emails + meetings
    p.type_cuts = (calls / total, (calls + emails) / total)
    if p.kind == "manager":
        p.activity_level = {"full": p.activity_level, "few": 0.3, "none": 0.0}[p.sells]


def _blank_one_team(groups: list[list[Person]], rng: random.Random) -> None:
    """Leave one active rep's team blank: real extracts do this, and the team is derivable from the manager."""
    last = groups[-1]
    candidates = [p for p in last[1:] if p.term is None] or last[1:]
    if candidates:
        rng.choice(candidates).team_label = ""


# ---------------------------------------------------------------------------
# Deals


def _deal_days(rng: random.Random, p: Person, cal: _Calendar, rate: float) -> list[int]:
    """Creation days from a Poisson process, thinned during a new hire's first ~6 months of ramp."""
    start = max(cal.window_start, p.hire)
    stop = cal.as_of if p.term is None else p.term - 14
    out = []
    if rate <= 0:
        return out
    t = start + rng.expovariate(rate)
    while t <= stop + 1:
        day = int(t)
        tenure = day - p.hire
        if day <= stop and (tenure >= 180 or rng.random() < (tenure + 20) / 200):
            out.append(day)
        t += rng.expovariate(rate)
    return out


def _round100(x: float) -> int:
    return int(round(x / 100.0)) * 100


def _deal_amount(x: float) -> int:
    """Deal sizes stay within the 5k-250k band and are rounded to 100, like reps enter them."""
    return _round100(min(_AMOUNT_MAX, max(_AMOUNT_MIN, x)))


def _amount(rng: random.Random, p: Person) -> int:
    return _deal_amount(rng.lognormvariate(math.log(_AMOUNT_MEDIAN * p.size), 0.75))


def _stage_entries(rng: random.Random, path: range, cycle: int) -> list[int]:
    """Day offsets at which the deal enters each stage of its path, strictly increasing."""
    ws = [_STAGE_WEIGHTS[s] * (0.5 + rng.random()) for s in path]
    total = sum(ws)
    out, acc, prev = [], 0.0, -1
    for w in ws:
        off = int(acc / total * cycle)
        if off <= prev:
            off = prev + 1
        out.append(off)
        prev = off
        acc += w
    return out


def _close_plan(rng: random.Random, p: Person, cal: _Calendar, created: int, end: int, won: bool,
                plan: int, events: list) -> int:
    """Initial expected close date, plus the slip / pull-in events a rep makes while working the deal.

    Won deals slip from an earlier quarter to the quarter they really closed in; lost
    deals get pushed out before they die. Either way the slip is a history row.
    """
    r = rng.random()
    life = end - created
    if r < p.slip_rate and life >= 10:
        if not won:
            t = created + int(life * rng.uniform(0.3, 0.9))
            events.append((t, 2, cal.next_quarter(plan) + rng.randrange(0, 45)))
            return plan
        e0 = max(created, min(plan, cal.quarter_start(end) - 1 - rng.randrange(0, 30)))
        if cal.qtr(e0) < cal.qtr(end):
            t = min(max(created + 1, e0 - rng.randrange(0, 10)), end - 1)
            events.append((t, 2, end + rng.randrange(0, 10)))
            return e0
    elif r < p.slip_rate + _PULL_IN_RATE and life >= 10 and won:
        t = created + int(life * rng.uniform(0.4, 0.8))
        events.append((t, 2, end + rng.randrange(0, 10)))
        return cal.next_quarter(end) + rng.randrange(0, 45)
    return max(created, end + rng.randrange(-7, 8)) if won else plan


def _forecast(rng: random.Random, p: Person, stage: int) -> str:
    """Stage-driven forecast category, with some reps habitually calling deals up or down."""
    if stage == _WON:
        return "Closed"
    if stage == _LOST:
        return "Omitted"
    rank = _FC_RANK[stage]
    if p.fc_dev and rng.random() < p.fc_dev:
        rank = min(2, max(0, rank + p.fc_dir))
    return _FC_LADDER[rank]


def _simulate_deal(rng: random.Random, p: Person, cal: _Calendar, created: int, book: list[str]) -> Deal:
    """Plan a deal's whole life (stages, amount, close date), then keep what happened by as_of."""
    r = rng.random
    path = range(1 if r() < 0.15 else 0, _N_OPEN)
    cycle = min(150, max(20, int(rng.lognormvariate(math.log(_CYCLE_MEDIAN_DAYS), 0.45))))
    entries = _stage_entries(rng, path, cycle)
    u = r()
    zombie = False
    if u < p.win_rate:
        reached, end_off, final = len(path), cycle, _WON
    elif u < p.win_rate + _ZOMBIE_RATE:
        reached, end_off, final, zombie = rng.randrange(1, len(path) + 1), None, None, True
    else:
        k = rng.choices(range(len(path)), weights=[_LOSS_WEIGHTS[s] for s in path])[0]
        nxt = entries[k + 1] if k + 1 < len(path) else cycle
        reached, final = k + 1, _LOST
        end_off = entries[k] + max(1, int((nxt - entries[k]) * (0.3 + 0.7 * r())))
    events = [(created + entries[i], 0, path[i]) for i in range(1, reached)]
    base = _amount(rng, p)
    plan = created + int(cycle * rng.uniform(0.8, 1.1))
    if reached >= 3 - path.start and r() < 0.3:
        lo = created + entries[2 - path.start]
        hi = created + (end_off if end_off is not None else entries[reached - 1] + 30)
        events.append((rng.randrange(lo, max(lo + 1, hi)), 1, _deal_amount(base * rng.uniform(0.7, 1.35))))
    if zombie:
        close0 = plan
        stop = created + entries[reached - 1]
    else:
        end = created + end_off
        close0 = _close_plan(rng, p, cal, created, end, final == _WON, plan, events)
        events.append((end, 3, final))
        stop = end
    cut = cal.as_of if p.term is None else p.term
    return _replay(rng, p, cal, created, path.start, base, close0, events, cut, zombie, stop, book)


def _replay(rng, p, cal, created, stage0, base, close0, events, cut, zombie, stop, book) -> Deal:
    """Apply planned events up to the cutoff, recording one history row per change."""
    r = rng.random
    events.sort()
    amount = None if r() < _MISSING_AMOUNT_RATE else base
    stage, close, fc = stage0, close0, _forecast(rng, p, stage0)
    clock = _Clock(rng, cal, created)
    hist = [(clock.stamp(created), stage, amount, close, fc)]
    closed = False
    for day, kind, val in events:
        if day > cut:
            break
        if kind == 0:
            stage, fc = val, _forecast(rng, p, val)
            amount = base if amount is None else amount
        elif kind == 1:
            amount = val
        elif kind == 2:
            close = val
        else:
            stage, close, fc, closed = val, day, _forecast(rng, p, val), True
            if amount is None:
                amount = base
            if val == _WON and r() < 0.2:
                amount = _deal_amount(amount * rng.uniform(0.8, 0.98))
        if (stage, amount, close, fc) != hist[-1][1:]:  # skip e.g. an amount change that rounds to the same figure
            hist.append((clock.stamp(day), stage, amount, close, fc))
    if not closed and p.term is not None:
        # The rep left: their open deals were closed out as lost on the way out.
        stage, close, fc, closed = _LOST, cut, "Omitted", True
        amount = base if amount is None else amount
        hist.append((clock.stamp(cut), stage, amount, close, fc))
    touch_end = _touch_end(rng, p, cal, created, closed, zombie, stop)
    next_step = "" if closed or r() < p.sloppy else rng.choice(_NEXT_STEPS[stage])
    account = rng.choice(book)
    name = f"{account} - {rng.choice(_PRODUCTS)}"
    return Deal(created, account, name, stage, amount, close, fc, touch_end, next_step, hist)


class _Clock:
    """Working-hours timestamps that strictly increase within a deal, even for same-day changes."""

    __slots__ = ("rng", "iso", "base", "day", "minute")

    def __init__(self, rng: random.Random, cal: _Calendar, day: int):
        self.rng, self.iso, self.base = rng, cal.iso, cal.base
        self.day, self.minute = day, -1

    def stamp(self, day: int) -> str:
        rnd = self.rng.randrange
        if day == self.day and self.minute >= 0:
            self.minute = min(self.minute + 1 + rnd(30), 1439)
        else:
            self.minute = 480 + rnd(600)  # 08:00-17:59, leaving room for same-day follow-ups
        self.day = day
        m = self.minute
        return f"{self.iso[day - self.base]} {m // 60:02d}:{m % 60:02d}:{rnd(60):02d}"


def _touch_end(rng, p, cal, created, closed, zombie, stop) -> int:
    """Last day a rep still works the deal; zombies and some sloppy deals go quiet well before as_of."""
    if closed:
        return min(stop, p.term or stop)
    if zombie:
        return min(cal.as_of, stop + rng.randrange(3, 40))
    if rng.random() < p.sloppy * 0.5 and cal.as_of - 90 > created:
        return cal.as_of - rng.randrange(31, 90)
    return cal.as_of


def _account_book(rng: random.Random) -> list[str]:
    return [f"{rng.choice(_ACCOUNT_PREFIXES)} {rng.choice(_ACCOUNT_INDUSTRIES)}{rng.choice(_ACCOUNT_SUFFIXES)}"
            for _ in range(rng.randrange(15, 40))]


def _simulate_book(p: Person, cal: _Calendar, volume_boost: float = 1.0, attempt: int = 0) -> list[Deal]:
    """All deals one person owned over the window, in creation order."""
    if p.sells == "none":
        return []
    rng = random.Random(p.seed + attempt * 2**64)
    rate = _BASE_DEAL_RATE * p.volume * volume_boost * (0.04 if p.sells == "few" else 1.0)
    book = _account_book(rng)
    return [_simulate_deal(rng, p, cal, day, book) for day in _deal_days(rng, p, cal, rate)]


def _won(deals: list[Deal]) -> int:
    return sum(d.amount for d in deals if d.stage == _WON and d.amount)


def _seller_manager_book(mgr: Person, cal: _Calendar, team_won: int) -> list[Deal]:
    """Re-draw a selling manager's book, busier each time, until it is over a third of team bookings.

    A "manager who sells" is a scenario the scorecards must handle, so it has to be
    unmistakable in every org size rather than left to chance.
    """
    deals: list[Deal] = []
    for attempt in range(12):
        deals = _simulate_book(mgr, cal, 2.0 * 1.35 ** attempt, attempt)
        won = _won(deals)
        if won and won / (won + team_won) > 0.34:
            break
    return deals


# ---------------------------------------------------------------------------
# Activities


def _activities(p: Person, cal: _Calendar, deals: list[Deal], ids: list[str], start_num: int,
                width: int) -> tuple[list[str], list[int]]:
    """Daily calls/emails/meetings; about half are logged against a deal the rep is working that day.

    Returns the CSV lines and, per deal, the last day it was touched (-1 if never).
    """
    last = [-1] * len(deals)
    lines: list[str] = []
    if p.activity_level <= 0:
        return lines, last
    rng = random.Random(p.seed + 2**70)
    rnd = rng.random
    start = max(cal.window_start, p.hire)
    stop = cal.as_of if p.term is None else p.term
    work, work_iso = cal.workdays, cal.workday_iso
    i0, i1 = bisect_left(work, start), bisect_right(work, stop)
    starts = [d.created for d in deals]
    ends = [d.touch_end for d in deals]
    c1, c2 = p.type_cuts
    level, link = p.activity_level, p.link_rate
    rid = p.rep_id
    num = start_num
    active: list[int] = []
    nxt, n = 0, len(deals)
    fmt = f"a{{:0{width}d}},{rid},{{}},{{}},{{}}\n".format
    for k in range(i0, i1):
        d = work[k]
        while nxt < n and starts[nxt] <= d:
            active.append(nxt)
            nxt += 1
        if active:
            active = [j for j in active if ends[j] >= d]
        cnt = int(level * (0.4 + 1.2 * rnd()) + rnd())
        ds = work_iso[k]
        for _ in range(cnt):
            t = rnd()
            typ = "call" if t < c1 else ("email" if t < c2 else "meeting")
            u = rnd()
            oid = ""
            if active and u < link:
                j = active[int(u / link * len(active))]
                last[j] = d
                oid = ids[j]
            lines.append(fmt(num, ds, typ, oid))
            num += 1
    return lines, last


# ---------------------------------------------------------------------------
# Writing


def _csv_field(s: str) -> str:
    """Minimal CSV quoting, equivalent to csv.QUOTE_MINIMAL for the values we generate."""
    if "," in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def _amount_str(a: int | None) -> str:
    return "" if a is None else f"{a}.00"


class _Writer:
    """Streams rows to the five CSVs so memory stays flat even for 5,000-rep orgs."""

    HEADERS = {
        "reps": "rep_id,name,team,manager_id,role,hire_date,email,active",
        "opportunities": ("opportunity_id,owner_id,account,name,stage,amount,created_date,close_date,"
                          "forecast_category,next_step,last_activity_date"),
        "opportunity_history": "opportunity_id,changed_at,stage,amount,close_date,forecast_category",
        "activities": "activity_id,owner_id,activity_date,type,opportunity_id",
        "quotas": "rep_id,period_start,period_end,amount",
    }

    def __init__(self, out_dir: pathlib.Path, cal: _Calendar, opp_width: int, act_width: int):
        self.cal = cal
        self.files = {}
        for name, header in self.HEADERS.items():
            f = open(out_dir / f"{name}.csv", "w", encoding="utf-8", newline="\n")
            f.write(header + "\n")
            self.files[name] = f
        self.opp_num = 1
        self.act_num = 1
        self.opp_width = opp_width
        self.act_width = act_width

    def close(self) -> None:
        for f in self.files.values():
            f.close()

    def reps(self, people: list[Person]) -> None:
        day = self.cal.day
        self.files["reps"].writelines(
            f"{p.rep_id},{_csv_field(p.first + ' ' + p.last)},{_csv_field(p.team_label)},{p.manager_id},"
            f"{p.role},{day(p.hire)},{p.email},{'false' if p.term is not None else 'true'}\n"
            for p in people)

    def person(self, p: Person, deals: list[Deal]) -> None:
        """Give the deals ids, simulate activities against them, and write all three files."""
        w = self.opp_width
        ids = [f"o{n:0{w}d}" for n in range(self.opp_num, self.opp_num + len(deals))]
        self.opp_num += len(deals)
        acts, last = _activities(p, self.cal, deals, ids, self.act_num, self.act_width)
        self.act_num += len(acts)
        self.files["activities"].write("".join(acts))
        iso, b = self.cal.iso, self.cal.base
        hist, opps = [], []
        rid = p.rep_id
        for oid, d, touched in zip(ids, deals, last):
            for ts, stage, amount, close, fc in d.history:
                hist.append(f"{oid},{ts},{_STAGE_NAMES[stage]},{_amount_str(amount)},{iso[close - b]},{fc}\n")
            opps.append(f"{oid},{rid},{_csv_field(d.account)},{_csv_field(d.name)},{_STAGE_NAMES[d.stage]},"
                        f"{_amount_str(d.amount)},{iso[d.created - b]},{iso[d.close - b]},{d.fc},"
                        f"{d.next_step},{iso[(touched if touched >= 0 else d.created) - b]}\n")
        self.files["opportunity_history"].write("".join(hist))
        self.files["opportunities"].write("".join(opps))

    def quotas(self, people: list[Person], quarters: list[tuple[date, date]]) -> None:
        """Quota per fiscal quarter, ramped 25/50/75/100% over a new hire's first quarters."""
        qtr = self.cal.qtr
        bounds = [(s.toordinal(), e.toordinal(), s.isoformat(), e.isoformat()) for s, e in quarters]
        rows = []
        for p in people:
            if p.quota_factor <= 0:
                continue
            for s, e, s_iso, e_iso in bounds:
                if e < p.hire or (p.term is not None and s > p.term):
                    continue
                ramp = _QUOTA_RAMP[min(3, max(0, qtr(s) - qtr(p.hire)))]
                rows.append(f"{p.rep_id},{s_iso},{e_iso},{_round100(_BASE_QUOTA * p.quota_factor * ramp)}.00\n")
        self.files["quotas"].write("".join(rows))


def _config_text(as_of: date, extra_sources: tuple[str, ...] = ()) -> str:
    """config.yml as a fixed template so the bytes never depend on a YAML library version.

    `extra_sources` are opt-in extracts (forecast_calls), one flow-style line each after the five."""
    lines = [
        f"org_name: {DEMO_ORG_NAME}",
        f"as_of: {as_of.isoformat()}",
        f"fiscal_year_start_month: {DEMO_FISCAL_YEAR_START_MONTH}",
        "sources:",
    ]
    lines += [f"  {name}: {{path: {name}.csv}}" for name in (*_Writer.HEADERS, *extra_sources)]
    lines.append("stages:")
    lines += [f"  - {{name: {s['name']}, kind: {s['kind']}, probability: {s['probability']}}}" for s in DEMO_STAGES]
    return "\n".join(lines) + "\n"


def _id_width(upper_bound: int) -> int:
    return max(6, len(str(upper_bound)))


def generate_demo(out_dir: pathlib.Path, reps: int = 60, seed: int = 42, as_of: date = DEMO_AS_OF,
                  forecast_calls: bool = False, flavor: str = "default") -> pathlib.Path:
    """Write a demo org's CSV extracts and config.yml into out_dir; return the config path.

    ``reps`` counts the selling reps (AE / Senior AE); one manager per team and a VP
    are added on top. ``forecast_calls`` (opt-in) also writes forecast_calls.csv
    (pipelines.demo_forecast); ``flavor`` salesforce or hubspot writes the same org as that
    CRM exports it (pipelines.demo_flavors). Without either, the files are exactly what
    they always were.
    """
    if reps < 1:
        raise ValueError("reps must be at least 1")
    if flavor != "default":
        from pipelines.demo_flavors import WRITERS

        if flavor not in WRITERS:
            raise ValueError(f"flavor must be default, {' or '.join(WRITERS)}")
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cal = _Calendar(as_of, DEMO_FISCAL_YEAR_START_MONTH)
    rng = random.Random(seed)
    groups = _build_org(rng, reps, cal)
    people = [p for g in groups for p in g]
    # Id widths are fixed up front (streaming) from generous upper bounds.
    widths = (_id_width(len(people) * 1000), _id_width(len(people) * len(cal.workdays) * 12))
    writer = _Writer(out_dir, cal, *widths) if flavor == "default" else WRITERS[flavor](out_dir, cal, *widths, seed)
    try:
        writer.reps(people)
        for group in groups[1:]:
            _write_team(writer, group, cal)
        first = date.fromordinal(cal.window_start)
        writer.quotas(people, fiscal_quarters(first, as_of))
    finally:
        writer.close()
    extra: tuple[str, ...] = ()
    if forecast_calls:
        from pipelines.demo_forecast import write_forecast_calls

        write_forecast_calls(out_dir, seed, as_of)
        extra = ("forecast_calls",)
    config = out_dir / "config.yml"
    text = _config_text(as_of, extra) if flavor == "default" else writer.config_text(as_of)
    config.write_text(text, encoding="utf-8", newline="\n")
    return config


def _write_team(writer: _Writer, group: list[Person], cal: _Calendar) -> None:
    """Simulate a team's reps first so a selling manager can be sized against their bookings."""
    mgr, members = group[0], group[1:]
    books = [_simulate_book(p, cal) for p in members]
    if mgr.sells == "full":
        mgr_book = _seller_manager_book(mgr, cal, sum(_won(b) for b in books))
    else:
        mgr_book = _simulate_book(mgr, cal)
    writer.person(mgr, mgr_book)
    for p, book in zip(members, books):
        writer.person(p, book)
