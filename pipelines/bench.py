"""`make bench`: how long a build takes, and how it grows from 50 to 5,000 reps.

For each size it builds a cached demo org (two years of history) from scratch in a fresh
subprocess, so the peak memory is that build's own, and prints seconds per stage, pages,
site size, peak memory and seconds per rep. In the same run it measures a lower bound for
the same size (the SQL models alone in DuckDB, plus writing as many HTML files of the same
total size) and a rebuild after one more day's extract. The figures are written as JSON to
`bench/results/<timestamp>-<sha>.json` so two runs or two commits can be compared.

Timings belong here, never in pass/fail tests: the targets are printed, not enforced.

    python -m pipelines.bench                       # 50, 500, 1,000 and 5,000 reps
    python -m pipelines.bench --sizes 50,500 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
RESULTS = ROOT / "bench" / "results"
DEFAULT_SIZES = (50, 500, 1000, 5000)
STAGES = ("load", "models", "charts", "pages", "site")
# The targets on a 2-core, 24 GiB machine; printed, never asserted.
TARGETS = {
    "full_seconds": {1000: 15.0, 5000: 60.0},
    "per_rep_growth": 0.20,  # seconds per rep, 500 -> 5,000 reps
    "peak_mb": {5000: 2048.0},
    "rebuild_share": 0.25,
}
NEXT_DAY_REPS = 5  # reps whose data changes in the next day's extract


# --- demo orgs, cached by size and seed -----------------------------------------------------------


def demo_org(reps: int, seed: int, cache: Path = CACHE) -> Path:
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
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _csv_split(line: str) -> list[str]:
    import csv

    return next(csv.reader([line]))


def _csv_join(fields: list[str]) -> str:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


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
        config = (org / "config.yml").read_text(encoding="utf-8")
        as_of = dt.date.fromisoformat(next(ln.split(":", 1)[1].strip() for ln in config.splitlines() if ln.startswith("as_of:")))
        day = (as_of + dt.timedelta(days=1 if move_as_of else 0)).isoformat()
        (tmp / "config.yml").write_text(config.replace(f"as_of: {as_of.isoformat()}", f"as_of: {day}"), encoding="utf-8")
        for name in ("reps.csv", "quotas.csv"):
            os.link(org / name, tmp / name)

        stages = ["Prospecting", "Qualification", "Proposal", "Negotiation"]
        lines = (org / "opportunities.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        header = _csv_split(lines[0])
        col = {c: i for i, c in enumerate(header)}
        moved: dict[str, list[str]] = {}
        for k in range(len(lines) - 1, 0, -1):  # newest deals first: most likely still open
            f = _csv_split(lines[k])
            owner = f[col["owner_id"]]
            if f[col["stage"]] in stages[:-1] and owner not in moved and len(moved) < reps:
                f[col["stage"]] = stages[stages.index(f[col["stage"]]) + 1]
                f[col["forecast_category"]] = "Best Case"
                f[col["last_activity_date"]] = day
                moved[owner] = f
                lines[k] = _csv_join(f)
        (tmp / "opportunities.csv").write_text("".join(lines), encoding="utf-8")

        shutil.copyfile(org / "opportunity_history.csv", tmp / "opportunity_history.csv")
        with open(tmp / "opportunity_history.csv", "a", encoding="utf-8", newline="\n") as fh:
            for f in moved.values():
                fh.write(_csv_join([f[col["opportunity_id"]], f"{day} {'10:15:00' if move_as_of else '15:45:00'}", f[col["stage"]], f[col["amount"]],
                                    f[col["close_date"]], f[col["forecast_category"]]]))

        shutil.copyfile(org / "activities.csv", tmp / "activities.csv")
        with open(org / "activities.csv", "rb") as fh:
            fh.seek(max(0, os.path.getsize(org / "activities.csv") - 4096))
            last_id = fh.read().decode("utf-8", "replace").strip().splitlines()[-1].split(",")[0]
        prefix, digits = last_id.rstrip("0123456789"), last_id[len(last_id.rstrip("0123456789")):]
        n = int(digits)
        with open(tmp / "activities.csv", "a", encoding="utf-8", newline="\n") as fh:
            for owner, f in moved.items():
                for kind in ("call", "email", "meeting"):
                    n += 1
                    fh.write(f"{prefix}{n:0{len(digits)}d},{owner},{day},{kind},{f[col['opportunity_id']]}\n")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# --- the child processes --------------------------------------------------------------------------


def _time_charts() -> dict:
    """Wrap chart-spec building and serialisation so their time can be told apart from page rendering."""
    from pipelines import charts

    acc = {"seconds": 0.0, "calls": 0}
    for name in ("chart", "embed"):
        fn = getattr(charts, name)

        def timed(*a, _fn=fn, **kw):
            t = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                acc["seconds"] += time.perf_counter() - t
                acc["calls"] += 1

        setattr(charts, name, timed)
    try:  # pages rendered in forked workers report their chart time back through the pool
        from pipelines import render_pool
    except ImportError:
        return acc
    acc["workers"] = 0.0

    def add(delta: dict) -> None:
        acc["workers"] += delta.get("seconds", 0.0)
        acc["calls"] += int(delta.get("calls", 0))

    render_pool.STATS_HOOKS.append((lambda: {"seconds": acc["seconds"], "calls": acc["calls"]}, add))
    return acc


def _site_figures(site: Path) -> dict:
    pages = size = files = 0
    for root, _dirs, names in os.walk(site):
        for n in names:
            files += 1
            size += os.path.getsize(os.path.join(root, n))
            pages += n.endswith(".html")
    return {"html_pages": pages, "site_bytes": size, "site_files": files}


def _cpu_now() -> float:
    """CPU seconds of this process and of its finished (waited-for) workers."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def _CpuTimer():
    """cli.Timer that also records CPU seconds per stage: less swayed by other work than wall time."""
    from contextlib import contextmanager

    from pipelines import cli

    class CpuTimer(cli.Timer):
        def __init__(self) -> None:
            super().__init__()
            self.cpu: dict[str, float] = {}

        @contextmanager
        def stage(self, name: str):
            start = _cpu_now()
            try:
                with super().stage(name):
                    yield
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + _cpu_now() - start

    return CpuTimer()


def child_build(config: Path, out: Path, warehouse: Path, snapshot_date: str | None) -> dict:
    """One full build (`run_build`), timed per stage; run in its own process by the bench."""
    from pipelines import cli, site

    acc = _time_charts()
    timer = _CpuTimer()
    start = time.perf_counter()
    with timer.stage("config"):
        cfg = cli.prepare(config)
    summary = cli.run_build(cfg, out, warehouse, dt.date.fromisoformat(snapshot_date) if snapshot_date else None, timer=timer)
    total = time.perf_counter() - start
    stages = dict(timer.stages)
    if acc["calls"]:
        # Chart seconds in pool workers ran side by side: their wall share is the sum ÷ workers.
        try:
            from pipelines import render_pool

            workers = max(1, render_pool.LAST.get("jobs", 1))
        except ImportError:
            workers = 1
        charts_wall = acc["seconds"] + acc.get("workers", 0.0) / workers
        stages["charts"] = charts_wall
        stages["pages"] = stages.get("pages", 0.0) - charts_wall
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "stages": stages,
        "cpu_stages": timer.cpu,
        "total": total,
        "chart_calls": acc["calls"],
        "rep_pages": summary.get("rep_pages"),
        "team_pages": summary.get("team_pages"),
        "site_build": dict(site.LAST_BUILD),
        "self_maxrss_mb": self_usage.ru_maxrss / 1024,
        **_site_figures(out),
    }


def child_bound(config: Path, files: int, total_bytes: int, scratch: Path) -> dict:
    """Lower bound: the SQL models alone in DuckDB, plus writing `files` HTML files of `total_bytes`."""
    import duckdb

    from pipelines import cli, extract, load, models
    from pipelines.catalog import load_catalog

    cfg = cli.prepare(config)
    con = duckdb.connect()
    extracted = extract.extract(cfg, con)
    load.load(con, extracted, scratch / "warehouse", cfg.as_of or dt.date.today(), cfg=cfg, keep_history=False)
    catalog = load_catalog()
    models.prepare(con, cfg, catalog, cfg.as_of or models.default_as_of(con))
    t = time.perf_counter()
    for m in catalog.models:
        models.run_model(con, m)
    sql_seconds = time.perf_counter() - t
    con.close()

    files = max(1, files)
    size, extra = divmod(total_bytes, files)
    body = b"<!doctype html>" + b"x" * max(0, size - 15)
    site = scratch / "site"
    t = time.perf_counter()
    for i in range(files):
        d = site / f"p{i:06d}"
        os.makedirs(d, exist_ok=True)
        with open(d / "index.html", "wb") as fh:
            fh.write(body + (b"x" * extra if i == 0 else b""))
    write_seconds = time.perf_counter() - t
    shutil.rmtree(site, ignore_errors=True)
    return {"models_sql": sql_seconds, "write_html": write_seconds, "total": sql_seconds + write_seconds}


# --- measuring a child: wall time, CPU time, peak memory -------------------------------------------


def _children(pid: int) -> list[int] | None:
    """Children of pid from /proc/<pid>/task/*/children (None where the kernel does not offer it)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    out: list[int] = []
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(int(c) for c in fh.read().split())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            continue
    return out


def _descendants(pid: int) -> list[int]:
    first = _children(pid)
    if first is not None:
        out, todo = [pid], list(first)
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(_children(p) or [])
        return out
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode("utf-8", "replace")
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemory(threading.Thread):
    """Peak proportional set size of a process and all its descendants (forked workers included)."""

    def __init__(self, pid: int, interval: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.stop = threading.Event()
        self.available = os.path.exists("/proc/self/smaps_rollup")

    def run(self) -> None:
        while self.available and not self.stop.is_set():
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(p) for p in _descendants(self.pid)))
            self.stop.wait(self.interval)


def run_child(args: list[str]) -> dict:
    """Run `python -m pipelines.bench --child ...` and return its JSON with wall, CPU and memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result_file = Path(fh.name)
    try:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "pipelines.bench", "--child-result", str(result_file), *args],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        mem = TreeMemory(proc.pid)
        mem.start()
        output, _ = proc.communicate()
        wall = time.perf_counter() - start
        mem.stop.set()
        mem.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            return {"error": output.strip().splitlines()[-1] if output.strip() else f"exit {proc.returncode}",
                    "output": output[-4000:]}
        result = json.loads(result_file.read_text(encoding="utf-8"))
    finally:
        result_file.unlink(missing_ok=True)
    result["process_wall"] = wall
    result["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss of children is the largest single descendant, not a sum: kept for reference.
    result["maxrss_mb"] = after.ru_maxrss / 1024
    result["peak_mb"] = mem.peak_kb / 1024 if mem.available and mem.peak_kb else after.ru_maxrss / 1024
    return result


# --- one size ---------------------------------------------------------------------------------------


def bench_size(reps: int, seed: int, repeat: int, cache: Path, rebuild: bool, log) -> dict:
    org = demo_org(reps, seed, cache)
    work = cache / f"work-{reps}-{seed}"
    out, warehouse = work / "site", work / "warehouse"
    config = org / "config.yml"
    runs = []
    for r in range(repeat):
        shutil.rmtree(work, ignore_errors=True)  # a full build: no warehouse, no previous site, no page cache
        work.mkdir(parents=True)
        log(f"  {reps} reps: full build {r + 1}/{repeat} ...")
        runs.append(run_child(["--child", "build", "--config", str(config), "--out", str(out), "--warehouse", str(warehouse)]))
        if "error" in runs[-1]:
            return {"reps": reps, "error": runs[-1]["error"], "output": runs[-1].get("output", "")}
    full = _median_run(runs)
    log(f"  {reps} reps: lower bound ...")
    scratch = Path(tempfile.mkdtemp(prefix=".bound-", dir=work))
    try:
        bound = run_child(["--child", "bound", "--config", str(config), "--files", str(full["html_pages"]),
                           "--bytes", str(full["site_bytes"]), "--scratch", str(scratch)])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result = {"reps": reps, "seed": seed, "org": str(org), "full": full, "runs": runs, "bound": bound}
    if rebuild:
        # The next day's extract on top of the full build: what the nightly publish does.
        nxt = next_day_org(org)
        day = (dt.date.fromisoformat(_as_of(config)) + dt.timedelta(days=1)).isoformat()
        log(f"  {reps} reps: rebuild with the extract of {day} ...")
        result["rebuild"] = run_child(["--child", "build", "--config", str(nxt / "config.yml"), "--out", str(out),
                                       "--warehouse", str(warehouse), "--snapshot-date", day])
        # A corrected extract for the same day on top of that: as_of does not move, so only
        # the pages whose data changed need rendering. Shows what the page cache can skip.
        fix = next_day_org(nxt, move_as_of=False)
        log(f"  {reps} reps: rebuild with a corrected extract of {day} ...")
        result["rebuild_same_day"] = run_child(["--child", "build", "--config", str(fix / "config.yml"), "--out", str(out),
                                                "--warehouse", str(warehouse), "--snapshot-date", day])
    return result


def _as_of(config: Path) -> str:
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.startswith("as_of:"):
            return line.split(":", 1)[1].strip()
    raise ValueError(f"{config} has no as_of")


def _median_run(runs: list[dict]) -> dict:
    """The run with the median total (its own figures, not a mix of runs)."""
    ordered = sorted(runs, key=lambda r: r["total"])
    return ordered[(len(ordered) - 1) // 2]


# --- the report ----------------------------------------------------------------------------------


def _f(v, fmt: str = "{:.2f}") -> str:
    return "–" if v is None else fmt.format(v)


def table(results: list[dict]) -> str:
    head = ["reps", *STAGES, "total", "s/rep ms", "pages", "site MB", "peak MB", "cpu s", "bound s", "× bound"]
    rows = [head]
    for r in results:
        if "error" in r:
            rows.append([str(r["reps"]), f"failed: {r['error']}"])
            continue
        full, bound = r["full"], r["bound"]
        st = full["stages"]
        bound_total = bound.get("total")
        rows.append([
            f"{r['reps']:,}", *[_f(st.get(s)) for s in STAGES], _f(full["total"]),
            _f(1000 * full["total"] / r["reps"]), f"{full['html_pages']:,}", _f(full["site_bytes"] / 2**20, "{:.0f}"),
            _f(full["peak_mb"], "{:.0f}"), _f(full["cpu_seconds"], "{:.1f}"), _f(bound_total),
            _f(full["total"] / bound_total if bound_total else None, "{:.1f}×"),
        ])
    lines = [_row(rows, i) for i in range(len(rows))]
    lines.insert(1, _row(rows, None))
    out = "\n".join(lines)

    reb = [r for r in results if "rebuild" in r and "error" not in r]
    if reb:
        head = ["reps", "rebuild", *STAGES, "total", "of full", "pages rendered", "reused"]
        rows = [head]
        for r in reb:
            for kind, label in (("rebuild", "next day"), ("rebuild_same_day", "same-day fix")):
                b = r.get(kind)
                if b is None:
                    continue
                if "error" in b:
                    rows.append([f"{r['reps']:,}", label, f"failed: {b['error']}"])
                    continue
                sb = b.get("site_build", {})
                rows.append([f"{r['reps']:,}", label, *[_f(b["stages"].get(s)) for s in STAGES], _f(b["total"]),
                             _f(b["total"] / r["full"]["total"], "{:.0%}"), _f(sb.get("rendered"), "{:,}"),
                             _f(sb.get("reused"), "{:,}")])
        lines = [_row(rows, i) for i in range(len(rows))]
        lines.insert(1, _row(rows, None))
        out += (f"\n\nRebuilds on top of the full build ({NEXT_DAY_REPS} reps' deals and activities changed; "
                "next day: as_of + 1 day; same-day fix: a corrected extract, as_of unchanged):\n" + "\n".join(lines))
    return out


def _row(rows: list[list[str]], i: int | None) -> str:
    full = [r for r in rows if len(r) == len(rows[0])]  # a "failed: ..." row does not set widths
    widths = [max(len(r[c]) for r in full) for c in range(len(rows[0]))]
    if i is None:
        return "  ".join("-" * w for w in widths)
    return "  ".join(v.rjust(widths[c]) if c < len(widths) else v for c, v in enumerate(rows[i]))


def verdicts(results: list[dict]) -> list[str]:
    """The issue's targets, each MET or MISSED with the measured figure."""
    ok = {r["reps"]: r for r in results if "error" not in r}
    out = []
    for reps, limit in TARGETS["full_seconds"].items():
        if reps in ok:
            t = ok[reps]["full"]["total"]
            out.append(f"{'MET   ' if t <= limit else 'MISSED'} full build of {reps:,} reps in {t:.1f} s (target ≤ {limit:.0f} s)")
    if 500 in ok and 5000 in ok:
        a, b = (ok[n]["full"]["total"] / n for n in (500, 5000))
        g = b / a - 1
        out.append(f"{'MET   ' if g <= TARGETS['per_rep_growth'] else 'MISSED'} seconds per rep 500 -> 5,000: "
                   f"{1000 * a:.2f} -> {1000 * b:.2f} ms ({g:+.0%}, target ≤ +{TARGETS['per_rep_growth']:.0%})")
    for reps, limit in TARGETS["peak_mb"].items():
        if reps in ok:
            p = ok[reps]["full"]["peak_mb"]
            out.append(f"{'MET   ' if p <= limit else 'MISSED'} peak memory at {reps:,} reps {p:.0f} MB (target ≤ {limit:.0f} MB)")
    for reps, r in sorted(ok.items()):
        b = r.get("rebuild")
        if b and "error" not in b:
            share = b["total"] / r["full"]["total"]
            out.append(f"{'MET   ' if share <= TARGETS['rebuild_share'] else 'MISSED'} one-day rebuild at {reps:,} reps "
                       f"{b['total']:.1f} s = {share:.0%} of the full build (target ≤ {TARGETS['rebuild_share']:.0%})")
    return out


# --- the run -------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def environment() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for dist in ("duckdb", "mkdocs", "mkdocs-material", "markdown", "jinja2", "altair"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count()
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": cpus,
            "memory_gib": round(mem, 1) if mem else None, "packages": versions}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipelines.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="reps per org, comma-separated")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeat", type=int, default=1, help="full builds per size; the median is reported")
    p.add_argument("--no-rebuild", action="store_true", help="skip the one-day rebuild")
    p.add_argument("--cache", type=Path, default=CACHE, help="where demo orgs and build folders are kept")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    # Internal: one measured build or bound, in its own process.
    p.add_argument("--child", choices=["build", "bound"], help=argparse.SUPPRESS)
    p.add_argument("--child-result", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--config", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--snapshot-date", help=argparse.SUPPRESS)
    p.add_argument("--files", type=int, help=argparse.SUPPRESS)
    p.add_argument("--bytes", type=int, help=argparse.SUPPRESS)
    p.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.child:
        if a.child == "build":
            res = child_build(a.config, a.out, a.warehouse, a.snapshot_date)
        else:
            res = child_bound(a.config, a.files, a.bytes, a.scratch)
        a.child_result.write_text(json.dumps(res, default=str), encoding="utf-8")
        return 0

    sizes = [int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()]

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = dt.datetime.now(dt.timezone.utc)
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    results = []
    for reps in sizes:
        results.append(bench_size(reps, a.seed, max(1, a.repeat), a.cache, not a.no_rebuild, log))
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None

    sha = _git("rev-parse", "--short=12", "HEAD") or "nogit"
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    report = {
        "started": started.isoformat(timespec="seconds"),
        "git": {"sha": sha, "dirty": dirty},
        "environment": environment(),
        "load_average": {"before": load_before, "after": load_after},
        "settings": {"sizes": sizes, "seed": a.seed, "repeat": a.repeat, "next_day_reps": NEXT_DAY_REPS},
        "targets": {k: (v if not isinstance(v, dict) else {str(kk): vv for kk, vv in v.items()}) for k, v in TARGETS.items()},
        "results": results,
    }
    report["verdicts"] = verdicts(results)
    text = table(results)
    print(text)
    print()
    for v in report["verdicts"]:
        print(v)
    if load_before and load_before[0] > 0.5 * (report["environment"]["cpus"] or 1):
        print(f"note: load average was {load_before[0]:.1f} at the start: other work was running, timings are noisy")
    a.results.mkdir(parents=True, exist_ok=True)
    name = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{sha}{'-dirty' if dirty else ''}.json"
    (a.results / name).write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"figures written to {a.results / name}")
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
