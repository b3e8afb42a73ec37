"""Render many pages on every core: forked workers, each rendering and writing its share.

The pages stage renders one Jinja2 page per rep (and one coaching page) from data that is
already in Python; that is CPU work that one process does on one core. `write_all` forks
workers (the 'fork' start method, so the templates, the environment and the fetched rows
are inherited, never pickled, and no worker touches DuckDB), gives each a contiguous share
of the items, and each writes its own files. Below `min_per_worker` items per worker, or
with one core, it runs in this process. `SCORECARDS_PAGES_JOBS=1` turns the workers off.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# Figures of the last write_all call (workers used, items, files).
LAST: dict = {}

# Optional (snapshot, add) pairs: a worker returns what each snapshot() grew by while it
# rendered, and add() is called with it in the parent. `make bench` uses this to time charts.
STATS_HOOKS: list[tuple[Callable[[], dict[str, float]], Callable[[dict[str, float]], None]]] = []

_JOB: tuple[Sequence, Callable] | None = None


def default_jobs(variable: str = "SCORECARDS_PAGES_JOBS") -> int:
    """Workers to use: the environment variable if set, else the cores this process may run on."""
    env = os.environ.get(variable)
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _run(items: Sequence, render: Callable[[Any], Iterable[tuple[Path, str]]], lo: int, hi: int) -> int:
    files = 0
    for item in items[lo:hi]:
        for path, text in render(item):
            _write(path, text)
            files += 1
    return files


def _chunk(bounds: tuple[int, int]) -> tuple[int, list[dict[str, float]]]:
    assert _JOB is not None
    items, render = _JOB
    before = [snap() for snap, _ in STATS_HOOKS]
    files = _run(items, render, *bounds)
    grew = [{k: v - b.get(k, 0.0) for k, v in snap().items()} for (snap, _), b in zip(STATS_HOOKS, before)]
    return files, grew


def write_all(items: Sequence, render: Callable[[Any], Iterable[tuple[Path, str]]], *, jobs: int | None = None,
              min_per_worker: int = 100) -> int:
    """Call render(item) -> [(path, text), ...] for every item and write the files; returns len(items).

    Files are written by the process that rendered them; an exception in any worker is
    raised here, after which the caller's docs folder is incomplete (it is a scratch folder).
    """
    global _JOB
    jobs = default_jobs() if jobs is None else max(1, jobs)
    workers = min(jobs, max(1, len(items) // max(1, min_per_worker)))
    LAST.clear()
    LAST.update(jobs=workers, items=len(items))
    if workers <= 1:
        LAST["files"] = _run(items, render, 0, len(items))
        return len(items)

    import multiprocessing

    # A few chunks per worker so that one slow share does not leave a core idle.
    size = max(1, math.ceil(len(items) / (workers * 4)))
    bounds = [(lo, min(lo + size, len(items))) for lo in range(0, len(items), size)]
    _JOB = (items, render)
    files = 0
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for n, grew in pool.imap_unordered(_chunk, bounds):
                files += n
                for (_, add), delta in zip(STATS_HOOKS, grew):
                    add(delta)
    finally:
        _JOB = None
    LAST["files"] = files
    return len(items)
