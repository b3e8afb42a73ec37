"""The prototype comparison: the project's full build against the throwaway prototype's `build_fast.sh`.

The prototype in `../shared/perf-prototype/` does less (three charts a rep, no coaching pages,
no data tests, no quarantine) and is the yardstick the speed issue sets: at 5,000 reps a full
build must take at most 0.8× its time. Its README says how to set it up (a venv, its one JS
bundle, its synthetic org); this module only runs it. Both are timed the same way, from
outside, process start to exit, neither with its memory sampled; the peak memory of each one's
whole process tree comes from one more run of each, sampled and not timed (`builds.run_process`
says why). The machine's speed drifts, so they alternate (prototype, project, prototype, project,
...) and the better run of each is compared, as the prototype's README asks.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from bench import builds, orgs
from bench.report import each_size

TARGET = 0.8  # the project's time over the prototype's, at most
# The shared prototype ships without the models.sql its build_fast.sh runs: this one was written from what its
# pipeline.py reads, so a ratio measured with it estimates the original's (its models take about 1 s of 35-60).
MODELS = Path(__file__).resolve().parent / "prototype_models.sql"


def missing_setup(prototype: Path, reps: int) -> str | None:
    """What the prototype folder lacks to run `build_fast.sh reps` (its README's set-up), or None."""
    needs = {"build_fast.sh": prototype / "build_fast.sh",
             f"models.sql (shipped without one; `cp {shlex.quote(str(MODELS))} "
             f"{shlex.quote(str(prototype / 'models.sql'))}` gives the reconstruction)":
             prototype / "models.sql",
             "venv (python3.11 -m venv venv, then its pip install)": prototype / "venv" / "bin" / "python",
             "assets/vega-bundle.js (venv/bin/python make_assets.py)": prototype / "assets" / "vega-bundle.js",
             f"data/R{reps} (venv/bin/python gen_data.py {reps} --csv)": prototype / "data" / f"R{reps}"}
    lacking = [name for name, path in needs.items() if not path.exists()]
    return f"{prototype} lacks {', '.join(lacking)}" if lacking else None


def _prototype_run(prototype: Path, reps: int, memory: bool = False) -> dict:
    m = builds.run_process(["build_fast.sh", str(reps)], program="bash", cwd=prototype, memory=memory)
    if m.returncode != 0:
        return m.error()
    return {"total": m.wall, "cpu_seconds": m.cpu_seconds, "peak_mb": m.peak_mb, "memory": m.memory}


def compare(prototype: Path, reps: int, seed: int, pairs: int, cache: Path, log) -> dict:
    """`pairs` alternating runs of each at `reps`; both runs' figures, the best of each and their ratio."""
    problem = missing_setup(prototype, reps)
    if problem:
        return {"reps": reps, "error": problem}
    org = orgs.demo_org(reps, seed, cache)
    work = cache / f"work-prototype-{reps}-{seed}"
    runs: dict[str, list[dict]] = {"prototype": [], "project": []}
    for i in range(pairs):
        log(f"  {reps} reps: prototype build_fast.sh {i + 1}/{pairs} ...")
        runs["prototype"].append(_prototype_run(prototype, reps))
        log(f"  {reps} reps: project build {i + 1}/{pairs} ...")
        runs["project"].append(builds.full_build(org / "config.yml", work))
        for kind, got in runs.items():
            if "error" in got[-1]:
                return {"reps": reps, "error": f"{kind}: {got[-1]['error']}", "runs": runs}
    best = {kind: min(got, key=lambda r: r["total"]) for kind, got in runs.items()}
    # Neither timed run was sampled (sampling slows the build, on two busy cores, far more than the prototype, on
    # one: `builds.run_process`); each one's peak memory comes from one more run of its own, after the pairs.
    log(f"  {reps} reps: prototype and project once more each, for their peak memory (sampled, not timed) ...")
    sampled = {"prototype": _prototype_run(prototype, reps, memory=True)}
    sampled["project"] = builds.full_build(org / "config.yml", work, memory=True)
    for kind, got in sampled.items():
        if "error" in got:
            return {"reps": reps, "error": f"{kind}: {got['error']}", "runs": runs}
        best[kind] = builds.with_peak(best[kind], got)
    return {"reps": reps, "seed": seed, "runs": runs, "best": best,
            "ratio": best["project"]["total"] / best["prototype"]["total"]}


def table(results: list[dict]) -> str:
    return "\n".join(each_size(results, _size_lines))


def _size_lines(r: dict) -> list[str]:
    lines = []
    for kind in ("prototype", "project"):
        walls = ", ".join(f"{x['total']:.1f}" for x in r["runs"][kind])
        b = r["best"][kind]
        lines.append(f"{r['reps']:,} reps {kind:>9}: runs {walls} s; best {b['total']:.1f} s, "
                     f"{b['cpu_seconds']:.1f} CPU s, peak {b['peak_mb']:.0f} MB")
    return [*lines, f"{r['reps']:,} reps   project / prototype: {r['ratio']:.2f}×"]


def verdicts(results: list[dict]) -> list[str]:
    return [f"{'MET' if r['ratio'] <= TARGET else 'MISSED'}: {r['reps']:,} reps in {r['ratio']:.2f}× the "
            f"prototype's time (target ≤ {TARGET}×)" for r in results if "error" not in r]
