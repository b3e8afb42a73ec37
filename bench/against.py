"""Against another commit: the full build of this checkout and of REV, alternately, on the same org.

A single build on a shared machine says little about a change: the same 1,000-rep build took
8.9 s, then 10.3 s an hour later, on the machine this was written on, more than most speed
changes move it. So this mode checks REV out in a git worktree beside the project (removed
afterwards), and builds REV, this checkout, REV, this checkout, ... (`--repeat` pairs, default
3), each as `python -m pipelines build` from its own folder, with this checkout's interpreter and
packages, so only the code differs. It reports each side's runs and the ratio of the best and
of the medians. Each side builds once first, untimed: a checkout's first build is cold (its own
`build.cache_dir` has no compiled templates or Vega bundle yet), 4.8 s against 3.1 s at 50 reps.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench import builds, orgs
from bench.machine import ROOT, git
from bench.report import each_size

SIDES = ("rev", "this")


def resolve(rev: str) -> str | None:
    """The commit REV names (12 hex digits), or None if it names none."""
    return git("rev-parse", "--verify", "--quiet", "--short=12", f"{rev}^{{commit}}") or None


class Worktree:
    """REV checked out in a temporary folder (a git worktree), for as long as the comparison runs."""

    def __init__(self, sha: str):
        self.sha = sha
        self.path = Path(tempfile.mkdtemp(prefix=f"bench-against-{sha}-")) / "checkout"

    def __enter__(self) -> Path:
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(self.path), self.sha], cwd=ROOT,
                       check=True, capture_output=True, text=True)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "worktree", "remove", "--force", str(self.path)], cwd=ROOT, capture_output=True)
        shutil.rmtree(self.path.parent, ignore_errors=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def compare(rev: str, reps: int, seed: int, pairs: int, cache: Path, log) -> dict:
    """`pairs` alternating full builds of REV and of this checkout at `reps`; every run, the best and median of each
    side, and this checkout's time over REV's for both."""
    sha = resolve(rev)
    if sha is None:
        return {"reps": reps, "error": f"{rev!r} names no commit of this repository"}
    org = orgs.demo_org(reps, seed, cache)
    work = cache / f"work-against-{reps}-{seed}"
    runs: dict[str, list[dict]] = {side: [] for side in SIDES}
    with Worktree(sha) as checkout:
        folders = {"rev": checkout, "this": ROOT}
        builds.compile_code(checkout)

        def full_build(side: str, what: str) -> dict:
            log(f"  {reps} reps: {sha if side == 'rev' else 'this checkout'} {what} ...")
            return builds.full_build(org / "config.yml", work, cwd=folders[side])

        for side in SIDES:  # warm-up: fills each checkout's build.cache_dir; not compared
            warm = full_build(side, "warm-up build")
            if "error" in warm:
                return {"reps": reps, "rev": sha, "error": f"{side}: {warm['error']}"}
        for i in range(pairs):
            for side in SIDES:
                runs[side].append(full_build(side, f"build {i + 1}/{pairs}"))
                if "error" in runs[side][-1]:
                    return {"reps": reps, "rev": sha, "error": f"{side}: {runs[side][-1]['error']}", "runs": runs}
    builds.set_aside(work)
    best = {side: min(got, key=lambda r: r["total"]) for side, got in runs.items()}
    median = {side: statistics.median(r["total"] for r in got) for side, got in runs.items()}
    return {"reps": reps, "seed": seed, "rev": sha, "runs": runs, "best": best, "median": median,
            "ratio_best": best["this"]["total"] / best["rev"]["total"],
            "ratio_median": median["this"] / median["rev"]}


def table(results: list[dict]) -> str:
    return "\n".join(each_size(results, _size_lines))


def _size_lines(r: dict) -> list[str]:
    lines = []
    for side in SIDES:
        name = r["rev"] if side == "rev" else "this checkout"
        walls = ", ".join(f"{x['total']:.2f}" for x in r["runs"][side])
        b = r["best"][side]
        stages = " ".join(f"{k} {v:.2f}" for k, v in b["stages"].items() if k != "config")
        lines.append(f"{r['reps']:,} reps {name:>13}: runs {walls} s; median {r['median'][side]:.2f} s; best "
                     f"{b['total']:.2f} s ({stages}), {b['cpu_seconds']:.1f} CPU s")
    return [*lines, f"{r['reps']:,} reps this / {r['rev']}: {r['ratio_best']:.3f}× best, "
                    f"{r['ratio_median']:.3f}× median"]
