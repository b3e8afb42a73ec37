"""`make bench HISTORY=30,250`: what a year of daily loads does to the warehouse and to the build.

A demo org is loaded day after day (`python -m pipelines load`, as_of moved a day each time),
and each day a few dozen deals change: they move a stage (or close), and log a call, an email
and a meeting; a few deals are created. The warehouse is measured after every load with the
equivalent of `du -sb` (every file and folder, manifests included). After day 2 and after each
requested day, a full `python -m pipelines build` of that day's extracts runs into a new site
folder and is timed, its peak memory measured in the same run (sampling slows a build, see
`bench.builds.run_process`, but every build compared here is sampled alike); a control build of
the same extracts on a warehouse of only two stored days separates the cost of the history from
that of the calendar (later days have more quarters of data).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import shutil
from pathlib import Path

from bench import builds, orgs

OPEN = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
NEW_DEALS = 3  # created each day, besides the changed ones


def du_bytes(folder: Path) -> int:
    """What `du -sb` says: the apparent size of every file and folder under `folder`, itself included."""
    total = os.lstat(folder).st_size
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            total += os.lstat(os.path.join(root, name)).st_size
    return total


class Org:
    """A demo org's extracts kept in one folder and moved on a day at a time."""

    def __init__(self, source: Path, folder: Path, seed: int):
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(source, folder)
        self.folder, self.rng = folder, random.Random(seed)
        self.day = orgs.as_of(folder / "config.yml")
        lines = (folder / "opportunities.csv").read_text(encoding="utf-8").splitlines()
        self.header = lines[0]
        self.col = {c: i for i, c in enumerate(next(csv.reader([lines[0]])))}
        self.deals = [next(csv.reader([line])) for line in lines[1:]]
        self.next_deal = len(self.deals) + 1
        self.next_activity = sum(1 for _ in open(folder / "activities.csv", encoding="utf-8"))

    def next_day(self, changes: int) -> None:
        """Move `changes` open deals on and create a few; append their history and activities; as_of + 1."""
        old = self.day
        self.day += dt.timedelta(days=1)
        day = self.day.isoformat()
        c = self.col
        open_rows = [d for d in self.deals if d[c["stage"]] in OPEN]
        moved = self.rng.sample(open_rows, min(changes, len(open_rows)))
        for d in moved:
            i = OPEN.index(d[c["stage"]])
            if i + 1 < len(OPEN):
                d[c["stage"]], d[c["forecast_category"]] = OPEN[i + 1], "Best Case"
            else:
                d[c["stage"]] = self.rng.choice(["Closed Won", "Closed Lost"])
                d[c["forecast_category"]] = "Closed" if d[c["stage"]] == "Closed Won" else "Omitted"
                d[c["close_date"]] = day
            d[c["last_activity_date"]] = day
        for _ in range(NEW_DEALS):
            new = list(self.rng.choice(self.deals))
            new[c["opportunity_id"]] = f"NEW-{self.next_deal:07d}"
            new[c["stage"]], new[c["forecast_category"]] = "Prospecting", "Pipeline"
            new[c["created_date"]], new[c["close_date"]] = day, (self.day + dt.timedelta(days=60)).isoformat()
            new[c["last_activity_date"]] = day
            self.next_deal += 1
            self.deals.append(new)
            moved.append(new)
        self._write(moved, day)
        config = self.folder / "config.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(f"as_of: {old}", f"as_of: {day}"),
                          encoding="utf-8")

    def _write(self, moved: list[list[str]], day: str) -> None:
        c = self.col
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        buf.write(self.header + "\n")
        writer.writerows(self.deals)
        (self.folder / "opportunities.csv").write_text(buf.getvalue(), encoding="utf-8")
        with open(self.folder / "opportunity_history.csv", "a", encoding="utf-8", newline="\n") as fh:
            w = csv.writer(fh, lineterminator="\n")
            for d in moved:
                w.writerow([d[c["opportunity_id"]], f"{day} 10:15:00", d[c["stage"]], d[c["amount"]],
                            d[c["close_date"]], d[c["forecast_category"]]])
        with open(self.folder / "activities.csv", "a", encoding="utf-8", newline="\n") as fh:
            for d in moved:
                for kind in ("call", "email", "meeting"):
                    fh.write(f"SIM-{self.next_activity:09d},{d[c['owner_id']]},{day},{kind},{d[c['opportunity_id']]}\n")
                    self.next_activity += 1


def load(org: Org, warehouse: Path) -> dict:
    """One `python -m pipelines load` of the org's current day, measured."""
    m = builds.run_process(["-m", "pipelines", "load", "--config", str(org.folder / "config.yml"),
                            "--warehouse", str(warehouse), "--snapshot-date", org.day.isoformat()])
    if m.returncode != 0:
        raise RuntimeError(m.error()["error"])
    return {"seconds": m.wall, "cpu_seconds": m.cpu_seconds}


def measured_build(org: Org, warehouse: Path, out: Path) -> dict:
    """A full build of the org's current day into a new site folder (no page cache), as the bench measures it."""
    builds.set_aside(out)
    builds.set_aside(out.parent / f".{out.name}-cache")
    result = builds.build(org.folder / "config.yml", out, warehouse, snapshot_date=org.day.isoformat(), memory=True)
    builds.set_aside(out)
    return result


def control_build(org: Org, first: Path, work: Path) -> dict:
    """The same extracts built on a warehouse of two stored days (the first day's, then these)."""
    warehouse = work / "control-warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    shutil.copytree(first, warehouse)
    load(org, warehouse)
    result = measured_build(org, warehouse, work / "control-site")
    shutil.rmtree(warehouse, ignore_errors=True)
    return result


def run(reps: int, seed: int, days: list[int], changes: int, cache: Path, log) -> dict:
    """Load `max(days)` days one after another; builds after day 2 and after each of `days`."""
    source = orgs.demo_org(reps, seed, cache)
    work = cache / f"history-{reps}-{seed}"
    builds.set_aside(work)
    work.mkdir(parents=True)
    org = Org(source, work / "extracts", seed)
    warehouse = work / "warehouse"
    result: dict = {"reps": reps, "changes_per_day": changes, "new_deals_per_day": NEW_DEALS, "days": [],
                    "builds": {}}
    for n in range(1, max(days) + 1):
        if n > 1:
            org.next_day(changes)
        loaded = load(org, warehouse)
        size = du_bytes(warehouse)
        result["days"].append({"day": n, "date": org.day.isoformat(), "bytes": size, **loaded})
        if n == 1:
            shutil.copytree(warehouse, work / "day-1-warehouse")
        if n == 2 or n in days:
            log(f"  {reps} reps: build after {n} daily loads ...")
            result["builds"][str(n)] = {"build": measured_build(org, warehouse, work / "site")}
            if n != 2:
                log(f"  {reps} reps: control build of day {n}'s extracts on two stored days ...")
                result["builds"][str(n)]["control"] = control_build(org, work / "day-1-warehouse", work)
        if n % 25 == 0:
            log(f"  {reps} reps: {n} of {max(days)} daily loads, warehouse {size / 2**20:.1f} MB")
    return result


def growth(result: dict) -> dict:
    """Bytes each load added, and the largest as a share of the first day's warehouse."""
    sizes = [d["bytes"] for d in result["days"]]
    added = [b - a for a, b in zip(sizes, sizes[1:])]
    first = sizes[0]
    return {"first_day_bytes": first, "added": added, "max_added": max(added, default=0),
            "median_added": sorted(added)[len(added) // 2] if added else 0,
            "max_share": max(added, default=0) / first if first else None}
