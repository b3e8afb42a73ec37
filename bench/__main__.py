"""`python -m bench` (`make bench`): build demo orgs of several sizes and report what each build cost.

For each size: a full build of the cached demo org (two years of history) on an empty
warehouse with no previous site, timed; one more, with its memory sampled and not timed (sampling
slows the build it samples: `builds.run_process`); the lower bound for the same org; then a
rebuild with the next day's extract and one with a corrected extract of that same day. The table is printed
and every figure goes to `bench/results/<timestamp>-<sha>.json`, so two runs or two commits
can be compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from bench import against, bound, builds, history, machine, orgs, prototype, report

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_SIZES = (50, 500, 1000, 5000)


def default_cache() -> Path:
    """`build.cache_dir` of the project's config.yml (default .cache/), and bench/ in it."""
    from pipelines.settings import Build, load_config

    config = machine.ROOT / "config.yml"
    settings = load_config(config).build if config.exists() else Build()
    return settings.cache_path / "bench"


def _failed(reps: int, got: dict, what: str = "") -> dict:
    """A size's result when one of its builds failed (`got`, from `builds.build`): the error, `what` failed, and the
    end of the build's output."""
    return {"reps": reps, "error": f"{what}: {got['error']}" if what else got["error"], "output": got.get("output", "")}


def bench_size(reps: int, seed: int, repeat: int, cache: Path, rebuild: bool, log) -> dict:
    """Every figure for one size: `repeat` timed full builds (the median is reported), one sampled for its peak
    memory, the bound, the rebuilds."""
    org = orgs.demo_org(reps, seed, cache)
    config = org / "config.yml"
    work = cache / f"work-{reps}-{seed}"
    out, warehouse = work / "site", work / "warehouse"
    runs = []
    for r in range(repeat):
        log(f"  {reps} reps: full build {r + 1}/{repeat} ...")
        runs.append(builds.full_build(config, work))
        if "error" in runs[-1]:
            return _failed(reps, runs[-1])
    # Its peak memory from a build of its own: sampling slows the build it samples (`builds.run_process`). It is the
    # last full build, so the rebuilds go on top of it (in `out` and `warehouse`) as they would on a timed one.
    log(f"  {reps} reps: full build for its peak memory (sampled, not timed) ...")
    sampled = builds.full_build(config, work, memory=True)
    if "error" in sampled:
        return _failed(reps, sampled)
    full = builds.with_peak(_median_run(runs), sampled)
    log(f"  {reps} reps: lower bound ...")
    result = {"reps": reps, "seed": seed, "org": str(org), "full": full, "runs": runs,
              "bound": bound.run(config, full["html_pages"], full["site_bytes"], work)}
    if rebuild:
        result.update(_rebuilds(org, out, warehouse, reps, log))
    return result


def _rebuilds(org: Path, out: Path, warehouse: Path, reps: int, log) -> dict:
    """The nightly publish on top of the full build, then a same-day correction on top of that."""
    nxt = orgs.next_day_org(org)
    day = (orgs.as_of(org / "config.yml") + dt.timedelta(days=1)).isoformat()
    log(f"  {reps} reps: rebuild with the extract of {day} ...")
    figures = {"rebuild": builds.build(nxt / "config.yml", out, warehouse, snapshot_date=day)}
    # as_of does not move, so only the pages whose data changed need rendering: what the page cache can skip.
    fix = orgs.next_day_org(nxt, move_as_of=False)
    log(f"  {reps} reps: rebuild with a corrected extract of {day} ...")
    figures["rebuild_same_day"] = builds.build(fix / "config.yml", out, warehouse, snapshot_date=day)
    return figures


def _median_run(runs: list[dict]) -> dict:
    """The run with the median total (its own figures, not a mix of runs)."""
    ordered = sorted(runs, key=lambda r: r["total"])
    return ordered[(len(ordered) - 1) // 2]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="reps per org, comma-separated")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, default=1, help="full builds per size; the median is reported")
    p.add_argument("--no-rebuild", action="store_true", help="skip the rebuilds")
    p.add_argument("--cache", type=Path, default=None, help="where demo orgs and build folders are kept "
                   "(default: build.cache_dir/bench)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    p.add_argument("--history", default=None, metavar="DAYS",
                   help="history mode: daily loads up to the largest of DAYS (e.g. 30,250), a build after day 2 and "
                        "after each of DAYS (default size: 1,000 reps)")
    p.add_argument("--changes", type=int, default=30, help="history mode: deals that change each day")
    p.add_argument("--audiences", action="store_true",
                   help="audiences mode: the single site against `audiences:` leaders + 10 teams (target ≤ "
                        "1.6×) and one audience per team (reported), built alternately (default size: 5,000 reps)")
    p.add_argument("--prototype", type=Path, default=None, metavar="DIR",
                   help="prototype mode: the full build against the throwaway prototype's build_fast.sh in DIR (set "
                        "up as its README says), alternately, --repeat pairs (default 2; size: 5,000 reps)")
    p.add_argument("--against", default=None, metavar="REV",
                   help="against mode: full builds of REV (a commit, branch or tag, checked out in a temporary "
                        "worktree) and of this checkout, alternately, --repeat pairs (default 3; size: 1,000 reps)")
    return p.parse_args(argv)


def write_results(a: argparse.Namespace, sizes: list[int], results: list[dict], started: dt.datetime,
                  load_before) -> Path:
    """Everything measured, with the checkout, the machine and its load, as one JSON file."""
    git = machine.checkout()
    doc = {
        "started": started.isoformat(timespec="seconds"),
        "git": git,
        "environment": machine.environment(),
        "load_average": {"before": load_before, "after": machine.load_average()},
        "settings": {"sizes": sizes, "seed": a.seed, "repeat": a.repeat, "next_day_reps": orgs.NEXT_DAY_REPS},
        "targets": {k: (v if not isinstance(v, dict) else {str(kk): vv for kk, vv in v.items()})
                    for k, v in report.TARGETS.items()},
        "results": results,
        "verdicts": report.verdicts(results),
    }
    a.results.mkdir(parents=True, exist_ok=True)
    path = a.results / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{git['sha']}{'-dirty' if git['dirty'] else ''}.json"
    path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        builds.empty_trash()  # what was set aside between timed builds, deleted once nothing more is timed


def _main(argv: list[str] | None) -> int:
    a = parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]
    cache = a.cache or default_cache()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    builds.compile_code()
    started = dt.datetime.now(dt.timezone.utc)
    load_before = machine.load_average()
    if a.history:
        return history_main(a, cache, log, started, load_before)
    if a.audiences:
        return audiences_main(a, cache, log, started, load_before)
    if a.prototype:
        return prototype_main(a, cache, log, started, load_before)
    if a.against:
        return against_main(a, cache, log, started, load_before)
    results: list[dict] = []
    for reps in sizes:  # the JSON is rewritten after each size: a long run stopped midway keeps what it measured
        results.append(bench_size(reps, a.seed, max(1, a.repeat), cache, not a.no_rebuild, log))
        path = write_results(a, sizes, results, started, load_before)
        log(f"  {reps} reps: figures so far in {path}")
    print(report.table(results))
    print()
    for v in report.verdicts(results):
        print(v)
    cpus = machine.environment()["cpus"]
    if load_before and load_before[0] > 0.5 * cpus:
        print(f"note: load average was {load_before[0]:.1f} at the start: other work was running, timings are noisy")
    print(f"figures written to {path}")
    return 0 if all("error" not in r for r in results) else 1


AUDIENCE_LAYOUTS = ("single", "leaders", "per_team")


def bench_audiences(reps: int, seed: int, repeat: int, cache: Path, log) -> dict:
    """Full builds of one org as a single site and with each audience layout, taken in turn `repeat` times
    (the machine's speed drifts); each layout's fastest run is reported."""
    org = orgs.demo_org(reps, seed, cache)
    configs = {"single": org / "config.yml"}
    configs |= {layout: orgs.audience_org(org, layout) / "config.yml" for layout in AUDIENCE_LAYOUTS[1:]}
    runs: dict[str, list[dict]] = {layout: [] for layout in AUDIENCE_LAYOUTS}
    for r in range(repeat):
        for layout, config in configs.items():
            work = cache / f"work-{reps}-{seed}-{layout}"
            log(f"  {reps} reps, {layout}: full build {r + 1}/{repeat} ...")
            got = builds.full_build(config, work)
            builds.set_aside(work)
            if "error" in got:
                return _failed(reps, got, layout)
            runs[layout].append(got)
    best = {layout: min(rs, key=lambda m: m["total"]) for layout, rs in runs.items()}
    for layout, config in configs.items():  # each layout's peak memory from a build of its own (`bench_size`)
        work = cache / f"work-{reps}-{seed}-{layout}"
        log(f"  {reps} reps, {layout}: full build for its peak memory (sampled, not timed) ...")
        sampled = builds.full_build(config, work, memory=True)
        builds.set_aside(work)
        if "error" in sampled:
            return _failed(reps, sampled, layout)
        best[layout] = builds.with_peak(best[layout], sampled)
    return {"reps": reps, "seed": seed, "org": str(org), "layouts": best, "runs": runs}


def _mode_sizes(a: argparse.Namespace, default: int) -> list[int]:
    """--sizes as given, or the mode's one default size when the option was left at the full-build default."""
    if a.sizes == ",".join(map(str, DEFAULT_SIZES)):
        return [default]
    return [int(s.replace("_", "")) for s in a.sizes.split(",")]


def _finish_mode(a: argparse.Namespace, started: dt.datetime, load_before, mode: str, settings: dict,
                 results: list[dict], verdicts: list[str], table: str) -> int:
    """Write a mode's results JSON to bench/results/, print its table and verdicts; exit 1 if a size failed."""
    git = machine.checkout()
    doc = {"started": started.isoformat(timespec="seconds"), "git": git, "environment": machine.environment(),
           "load_average": {"before": load_before, "after": machine.load_average()}, "mode": mode,
           "settings": settings, "results": results, "verdicts": verdicts}
    a.results.mkdir(parents=True, exist_ok=True)
    path = a.results / f"{started.strftime('%Y%m%dT%H%M%SZ')}-{git['sha']}{'-dirty' if git['dirty'] else ''}-{mode}.json"
    path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    print(table)
    print()
    for v in verdicts:
        print(v)
    print(f"figures written to {path}")
    return 0 if all("error" not in r for r in results) else 1


def audiences_main(a: argparse.Namespace, cache: Path, log, started: dt.datetime, load_before) -> int:
    """The audiences mode: the single site against audience layouts of the same org."""
    sizes = _mode_sizes(a, 5000)
    results = [bench_audiences(reps, a.seed, max(1, a.repeat), cache, log) for reps in sizes]
    settings = {"sizes": sizes, "seed": a.seed, "repeat": a.repeat, "teams": orgs.AUDIENCE_TEAMS}
    return _finish_mode(a, started, load_before, "audiences", settings, results,
                        report.audience_verdicts(results), report.audience_table(results))


def prototype_main(a: argparse.Namespace, cache: Path, log, started: dt.datetime, load_before) -> int:
    """The prototype mode: the full build against the prototype's build_fast.sh, alternately."""
    sizes = _mode_sizes(a, 5000)
    pairs = a.repeat if a.repeat > 1 else 2
    results = [prototype.compare(a.prototype.resolve(), reps, a.seed, pairs, cache, log) for reps in sizes]
    settings = {"sizes": sizes, "seed": a.seed, "pairs": pairs, "prototype": str(a.prototype)}
    return _finish_mode(a, started, load_before, "prototype", settings, results,
                        prototype.verdicts(results), prototype.table(results))


def against_main(a: argparse.Namespace, cache: Path, log, started: dt.datetime, load_before) -> int:
    """The against mode: this checkout's full build against another commit's, alternately."""
    sizes = _mode_sizes(a, 1000)
    pairs = a.repeat if a.repeat > 1 else 3
    results = [against.compare(a.against, reps, a.seed, pairs, cache, log) for reps in sizes]
    settings = {"sizes": sizes, "seed": a.seed, "pairs": pairs, "against": a.against}
    return _finish_mode(a, started, load_before, "against", settings, results, [], against.table(results))


def history_main(a: argparse.Namespace, cache: Path, log, started: dt.datetime, load_before) -> int:
    """The history mode: daily loads, warehouse growth, builds after day 2 and after each of --history days."""
    days = sorted({int(d) for d in a.history.split(",") if d.strip()})
    sizes = _mode_sizes(a, 1000)
    results = []
    for reps in sizes:
        try:
            results.append(history.run(reps, a.seed, days, a.changes, cache, log))
        except RuntimeError as e:
            results.append({"reps": reps, "error": str(e)})
    settings = {"sizes": sizes, "days": days, "changes": a.changes, "seed": a.seed}
    return _finish_mode(a, started, load_before, "history", settings, results,
                        report.history_verdicts(results), report.history_table(results))


if __name__ == "__main__":
    sys.exit(main())
