"""Running one build the way a user does, and what it cost.

A build is `python -m pipelines build` in a fresh process, timed from process start to
exit: interpreter start-up and imports are part of what a scheduled publish waits for. Its
stage figures come from the build itself (`build --timings FILE` writes the summary that
each stage returned), so nothing in `pipelines` has to know it is being measured; wall
time, CPU time and peak memory are measured from outside, here.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.memory import PeakMemory

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    """One finished process: its exit, its output, and what it cost (its workers included)."""

    returncode: int
    output: str
    wall: float
    cpu_seconds: float
    peak_mb: float | None  # None: not sampled (a timed run, see `run_process`)
    memory: str  # how peak_mb was measured: "pss", "rss", "maxrss" (largest single process) or "not sampled"
    maxrss_mb: float
    # Of cpu_seconds, those spent in the kernel, and the minor page faults behind much of them: at 5,000 reps
    # 12.7 of 77 CPU s and 2.8 million faults, over half of both in the load and models stages (DuckDB).
    system_seconds: float = 0.0
    minor_faults: int = 0

    def error(self) -> dict:
        """The failure as the bench records it: the last line (the build's one red line) and the tail."""
        text = self.output.strip()
        return {"error": text.splitlines()[-1] if text else f"exit {self.returncode}", "output": self.output[-4000:]}


NOT_SAMPLED = "not sampled"  # Measured.memory of a timed run
TRASH = ".bench-trash"  # beside each folder set aside; emptied by `empty_trash` once nothing more is timed
_trash: set[Path] = set()


def set_aside(folder: Path) -> None:
    """Take `folder` out of the way of the next timed step, to be deleted when timing is over (`empty_trash`).

    Deleting is itself work for the file system, and for a while afterwards more: ext4 without a journal (as
    on the machine this was measured on) walks past every inode freed in the last minute or so (longer while
    the inode table is not written back) for each file and folder it makes. A 5,000-rep build's folder holds
    about 25,000; deleted just before the next build, it made that build's pages and site stages 3.2-6.3 s
    slower (alternated: 25.7 and 20.9 s against 19.4 and 17.7; the totals 47.6 and 41.9 s against 45.7 and
    40.2, as the load stage of one run without the deletion was 3 s slower by the machine's noise). A build on
    a CI runner, or a day after the last one, has no such deletion before it, so the bench renames the folder
    (a rename frees no inode) and deletes what it set aside after its last timed step. The build still removes
    its own scratch (its docs folder, far fewer files now that the pages are packed) in the background as it
    ends; a folder set aside while that runs keeps whatever the remover had not reached, for `empty_trash`.
    """
    if not folder.exists():
        return
    trash = folder.parent / TRASH
    trash.mkdir(exist_ok=True)
    _trash.add(trash)
    folder.rename(trash / f"{folder.name}-{uuid.uuid4().hex[:12]}")


def empty_trash() -> None:
    """Delete every `.bench-trash` folder `set_aside` used in this process, with anything an interrupted run
    left in them."""
    while _trash:
        shutil.rmtree(_trash.pop(), ignore_errors=True)


def compile_code(checkout: Path = ROOT) -> None:
    """Write the bytecode of `checkout`'s `pipelines` and `bench` packages, as `make bytecode` does.

    Python writes it on first import, unless PYTHONDONTWRITEBYTECODE is set (as on some CI images and
    sandboxes): then every build compiled the package's source again, about 0.1 s a process. Both sides of
    a comparison are measured as `make` leaves them, with their bytecode written.
    """
    for package in ("pipelines", "bench"):
        if (checkout / package).is_dir():
            compileall.compile_dir(checkout / package, quiet=1)


def run_process(args: list[str], program: str = sys.executable, cwd: Path = ROOT, memory: bool = False) -> Measured:
    """Run `python ARGS` (or PROGRAM ARGS) in the project root (or cwd); wall from start to exit and CPU of the
    whole tree, and with `memory` its peak memory (`bench.memory`).

    Sampling the memory is not free, and the run it samples pays for it: each sample reads every process's
    `smaps_rollup`, which has the kernel walk its page tables. A 5,000-rep build's samples took 49-57 ms each,
    7.6-9.8 CPU s in all, and on two cores the build, which keeps both busy, then took 41.2 and 46.6 s against
    38.8 and 38.8 s unsampled (alternated); the prototype, busy on one core, lost nothing measurable (its
    samples, 3.4-4.6 CPU s, ran on the other). So a timed run is not sampled, and each mode takes its peak
    memory from a run of its own (`memory=True`), of the same build.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([program, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    with PeakMemory(proc.pid) if memory else contextlib.nullcontext() as mem:
        output, _ = proc.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # RUSAGE_CHILDREN covers every waited-for descendant: the build and the workers it reaped.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    maxrss_mb = after.ru_maxrss / 1024  # the largest single descendant, not a sum: a fallback only
    if mem is None:
        peak_mb, kind = None, NOT_SAMPLED
    elif mem.peak_bytes:
        peak_mb, kind = mem.peak_bytes / 2**20, mem.kind
    else:  # over before the first sample
        peak_mb, kind = maxrss_mb, "maxrss"
    return Measured(proc.returncode, output, wall, cpu, peak_mb, kind, maxrss_mb,
                    after.ru_stime - before.ru_stime, after.ru_minflt - before.ru_minflt)


def site_figures(site: Path) -> dict:
    """HTML pages, files and bytes of a built site: what the lower bound has to write too."""
    pages = size = files = 0
    for root, _dirs, names in os.walk(site):
        for n in names:
            files += 1
            size += os.path.getsize(os.path.join(root, n))
            pages += n.endswith(".html")
    return {"html_pages": pages, "site_bytes": size, "site_files": files}


def build(config: Path, out: Path, warehouse: Path, snapshot_date: str | None = None, cwd: Path = ROOT,
          memory: bool = False) -> dict:
    """One `python -m pipelines build`, measured; its figures, or {"error": ...} if it failed.

    `cwd` is the checkout whose code builds (`python -m` finds `pipelines` in it first): the project's own, or
    another commit's worktree (`bench.against`). `memory`: sample its peak memory, which slows it
    (`run_process`): a run for its memory, not for its time."""
    with tempfile.TemporaryDirectory(prefix="bench-timings-") as tmp:
        timings = Path(tmp) / "timings.json"
        args = ["-m", "pipelines", "build", "--config", str(config), "--out", str(out),
                "--warehouse", str(warehouse), "--timings", str(timings)]
        if snapshot_date:
            args += ["--snapshot-date", snapshot_date]
        measured = run_process(args, cwd=cwd, memory=memory)
        if measured.returncode != 0:
            return measured.error()
        summary = json.loads(timings.read_text(encoding="utf-8"))
    return figures(summary, measured, out)


def full_build(config: Path, work: Path, cwd: Path = ROOT, memory: bool = False) -> dict:
    """A full build in `work` (its site and warehouse there), as a user's first: no warehouse, no previous site, no
    page cache. The last build's folder is set aside first (`set_aside`); see `build` for `cwd` and `memory`."""
    set_aside(work)
    work.mkdir(parents=True)
    return build(config, work / "site", work / "warehouse", cwd=cwd, memory=memory)


def with_peak(timed: dict, sampled: dict) -> dict:
    """The figures of a timed run with the peak memory of `sampled`, a run of the same build for its memory; what
    that run took is kept beside them (`memory_run`), slowed as it was by the sampling."""
    return {**timed, "peak_mb": sampled["peak_mb"], "memory": sampled["memory"],
            "memory_run": {k: sampled.get(k) for k in ("total", "cpu_seconds", "peak_mb", "memory")}}


def figures(summary: dict, measured: Measured, out: Path) -> dict:
    """The bench's figures of one build, from the build's own summary plus what was measured outside it.

    Charts are reported apart from pages: the pages stage measures the wall seconds it spent
    on charts itself (workers included), and they are taken out of the pages figure.
    """
    stages = dict(summary["seconds"])
    pages = summary.get("pages", {})
    if pages.get("chart_seconds") is not None and "pages" in stages:
        stages["charts"] = pages["chart_seconds"]
        stages["pages"] -= pages["chart_seconds"]
    return {
        "stages": stages,
        "cpu_stages": summary.get("cpu_seconds", {}),
        "total": measured.wall,  # process start to exit
        "in_process": sum(summary["seconds"].values()),  # the stages alone: total less start-up and imports
        "chart_calls": pages.get("chart_calls"),
        "rep_pages": summary.get("rep_pages"),
        "team_pages": summary.get("team_pages"),
        "pages_stage": pages,
        "site_build": summary.get("site", {}),
        "audiences": summary.get("audiences", {}),  # with `audiences:`, each one's pages (all are measured)
        "cpu_seconds": measured.cpu_seconds,
        "peak_mb": measured.peak_mb,
        "memory": measured.memory,
        "maxrss_mb": measured.maxrss_mb,
        "system_seconds": measured.system_seconds,
        "minor_faults": measured.minor_faults,
        **site_figures(out),
    }
