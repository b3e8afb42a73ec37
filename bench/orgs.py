"""The orgs the bench builds: demo orgs cached by size and seed, and the same org a day later.

Generating a 5,000-rep org takes longer than building it, and the bench must time the
build, not the generator: so each org is written once into the cache and reused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
from pathlib import Path

NEXT_DAY_REPS = 5  # reps whose data changes in the next day's extract
OPEN_STAGES = ["Prospecting", "Qualification", "Proposal", "Negotiation"]


def demo_org(reps: int, seed: int, cache: Path) -> Path:
    """The demo org's folder (CSV extracts + config.yml), generated once per size and seed."""
    from pipelines.demo import generate_demo

    out = cache / f"demo-{reps}-{seed}"
    if (out / "config.yml").exists():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".demo-{reps}-", dir=cache))
    try:
        generate_demo(tmp, reps=reps, seed=seed)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)  # whole or not at all: an interrupted run leaves no half org behind
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def as_of(config: Path) -> dt.date:
    """The org's reporting date, read from its config.yml without validating the whole file."""
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith("as_of:"):
            return dt.date.fromisoformat(line.split(":", 1)[1].strip())
    raise ValueError(f"{config} has no as_of")


def next_day_org(org: Path, reps: int = NEXT_DAY_REPS, move_as_of: bool = True) -> Path:
    """The same org one day later: a few reps advance a deal and log activities on as_of + 1.

    Reps and quotas are hard links (unchanged files), the other extracts are copies with rows
    changed or appended, and config.yml's as_of moves one day on: what a nightly CRM export
    of full tables looks like on a quiet day. With `move_as_of=False` the same changes are
    dated as_of and as_of stays: a corrected extract re-run on the same day, where only the
    pages of the reps whose data changed (and the pages that list them) change.
    """
    out = org.parent / f"{org.name}-{'next' if move_as_of else 'fix'}"
    if (out / "config.yml").exists():
        return out
    tmp = Path(tempfile.mkdtemp(prefix=f".{org.name}-next-", dir=org.parent))
    try:
        day = _write_config(org, tmp, move_as_of)
        for name in ("reps.csv", "quotas.csv"):
            os.link(org / name, tmp / name)
        moved, col = _advance_deals(org, tmp, day, reps)
        _append_history(org, tmp, moved, col, f"{day} {'10:15:00' if move_as_of else '15:45:00'}")
        _append_activities(org, tmp, moved, col, day)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _csv_split(line: str) -> list[str]:
    return next(csv.reader([line]))


def _csv_join(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


def _write_config(org: Path, tmp: Path, move_as_of: bool) -> str:
    """config.yml with as_of moved a day on (or not); returns the day the changes are dated."""
    config = (org / "config.yml").read_text(encoding="utf-8")
    old = as_of(org / "config.yml")
    day = (old + dt.timedelta(days=1 if move_as_of else 0)).isoformat()
    (tmp / "config.yml").write_text(config.replace(f"as_of: {old.isoformat()}", f"as_of: {day}"), encoding="utf-8")
    return day


def _advance_deals(org: Path, tmp: Path, day: str, reps: int) -> tuple[dict[str, list[str]], dict[str, int]]:
    """One open deal each of `reps` owners moves a stage on, as of `day`; returns owner -> deal and the columns."""
    lines = (org / "opportunities.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    col = {c: i for i, c in enumerate(_csv_split(lines[0]))}
    moved: dict[str, list[str]] = {}
    for k in range(len(lines) - 1, 0, -1):  # newest deals first: most likely still open
        f = _csv_split(lines[k])
        owner = f[col["owner_id"]]
        if f[col["stage"]] in OPEN_STAGES[:-1] and owner not in moved and len(moved) < reps:
            f[col["stage"]] = OPEN_STAGES[OPEN_STAGES.index(f[col["stage"]]) + 1]
            f[col["forecast_category"]] = "Best Case"
            f[col["last_activity_date"]] = day
            moved[owner] = f
            lines[k] = _csv_join(f)
    (tmp / "opportunities.csv").write_text("".join(lines), encoding="utf-8")
    return moved, col


def _append_history(org: Path, tmp: Path, moved: dict[str, list[str]], col: dict[str, int], changed_at: str) -> None:
    """Each moved deal's stage change, appended to the history extract."""
    shutil.copyfile(org / "opportunity_history.csv", tmp / "opportunity_history.csv")
    with open(tmp / "opportunity_history.csv", "a", encoding="utf-8", newline="\n") as fh:
        for f in moved.values():
            fh.write(_csv_join([f[col["opportunity_id"]], changed_at, f[col["stage"]], f[col["amount"]],
                                f[col["close_date"]], f[col["forecast_category"]]]))


def _append_activities(org: Path, tmp: Path, moved: dict[str, list[str]], col: dict[str, int], day: str) -> None:
    """A call, an email and a meeting on `day` for each moved deal, with ids continuing the extract's."""
    shutil.copyfile(org / "activities.csv", tmp / "activities.csv")
    with open(org / "activities.csv", "rb") as fh:
        fh.seek(max(0, os.path.getsize(org / "activities.csv") - 4096))
        last_id = fh.read().decode("utf-8", "replace").strip().splitlines()[-1].split(",")[0]
    prefix = last_id.rstrip("0123456789")
    digits = last_id[len(prefix):]
    n = int(digits)
    with open(tmp / "activities.csv", "a", encoding="utf-8", newline="\n") as fh:
        for owner, f in moved.items():
            for kind in ("call", "email", "meeting"):
                n += 1
                fh.write(f"{prefix}{n:0{len(digits)}d},{owner},{day},{kind},{f[col['opportunity_id']]}\n")


# Audience layouts the bench's audiences mode builds (`python -m bench --audiences`): config.yml's `audiences:`.
AUDIENCE_TEAMS = 10


def audience_org(org: Path, layout: str) -> Path:
    """The same org with `audiences:` set: "leaders" (an all-scope audience plus one for each of the first
    AUDIENCE_TEAMS teams) or "per_team" (one audience per team). Extracts are hard links."""
    out = org.parent / f"{org.name}-aud-{layout}"
    if (out / "config.yml").exists():
        return out
    tmp = Path(tempfile.mkdtemp(prefix=f".{org.name}-aud-", dir=org.parent))
    try:
        for f in org.iterdir():
            if f.is_file() and f.name != "config.yml":
                os.link(f, tmp / f.name)
        config = (org / "config.yml").read_text(encoding="utf-8").rstrip("\n") + "\n"
        (tmp / "config.yml").write_text(config + audiences_yaml(org, layout), encoding="utf-8")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def audiences_yaml(org: Path, layout: str) -> str:
    if layout == "per_team":
        return "audiences:\n  - {per_team: true}\n"
    with (org / "reps.csv").open(encoding="utf-8", newline="") as f:
        teams = sorted({row["team"] for row in csv.DictReader(f) if row.get("team")})
    lines = ["audiences:", "  - {name: leaders, scope: all}"]
    for i, team in enumerate(teams[:AUDIENCE_TEAMS], 1):
        lines.append(f"  - {{name: team-{i:02d}, scope: {{teams: [{_yaml_str(team)}]}}}}")
    return "\n".join(lines) + "\n"


def _yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
