"""One pool of forked workers for the CPU-bound steps of a build.

Two steps of a build are pure Python on data that is already in memory: the pages stage
renders a Jinja2 page (and a coaching page) per rep, and the site stage has MkDocs turn
those pages into HTML. One process does either on one core, so both hand their items to
`fork_map`, which

* forks the workers (the 'fork' start method), so the work and its items, templates, rows,
  MkDocs' whole configuration, are inherited, never pickled: only chunk bounds go to a
  worker and only each chunk's small result comes back;
* gives each worker a few contiguous chunks, so that one slow share does not leave a core idle;
* stays in this process when there are too few items to pay for forking, or one core;
* raises a worker's exception here, in the parent, so a failed page fails the build.

No worker may touch DuckDB: the parent's connection is not usable across fork.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Chunks per worker: enough to even out uneven pages, few enough that results stay batched.
CHUNKS_PER_WORKER = 4

# Set in each forked worker by _adopt (never in the parent): what its chunks are cut from.
_WORK: tuple[Sequence, Callable] | None = None


def available_cores() -> int:
    """Cores this process may run on: its CPU affinity (narrowed by taskset or a container), not the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def workers_for(n_items: int, jobs: int | None, min_per_worker: int) -> int:
    """How many workers `n_items` are worth: at most `jobs` (default: every core), each with `min_per_worker`."""
    jobs = available_cores() if jobs is None else max(1, jobs)
    return min(jobs, max(1, n_items // max(1, min_per_worker)))


def _adopt(items: Sequence, work: Callable) -> None:
    global _WORK
    _WORK = (items, work)


def _run_chunk(bounds: tuple[int, int]):
    assert _WORK is not None, "a chunk ran outside a fork_map worker"
    items, work = _WORK
    lo, hi = bounds
    return work(items[lo:hi])


def chunk_bounds(n_items: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous (lo, hi) slices, CHUNKS_PER_WORKER per worker: neighbouring pages share a process."""
    size = max(1, math.ceil(n_items / (workers * CHUNKS_PER_WORKER)))
    return [(lo, min(lo + size, n_items)) for lo in range(0, n_items, size)]


def fork_map(work: Callable[[Sequence[T]], R], items: Sequence[T], *, jobs: int | None = None,
             min_per_worker: int = 1, meanwhile: Callable[[], None] | None = None) -> tuple[list[R], int]:
    """Call work(chunk) on slices of `items`; return the chunks' results (in no set order) and the workers used.

    With one worker, work(items) runs once, here. Otherwise each forked worker inherits
    `work` and `items` (so a closure over unpicklable state is fine) and runs whole chunks;
    only the results are pickled back. An exception in a worker is raised here.
    `meanwhile()` runs here while the workers work (after them, with one): what this process
    would otherwise wait through, such as the next batch's queries. The workers forked before it
    ran, so nothing it changes reaches them.
    """
    workers = workers_for(len(items), jobs, min_per_worker)
    if workers <= 1:
        done = [work(items)]
        if meanwhile is not None:
            meanwhile()
        return done, 1

    import gc
    import multiprocessing

    # The parent's objects go to the collector's permanent generation before forking: a worker's
    # collections then never write to the pages it shares with the parent (copy-on-write would
    # give each worker its own copy of all the page data, which is most of a large build's memory).
    gc.freeze()
    try:
        # With 'fork', the Process objects (and so initargs) are inherited by os.fork, not pickled.
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_adopt, initargs=(items, work))
        with pool:
            results = pool.imap_unordered(_run_chunk, chunk_bounds(len(items), workers))
            if meanwhile is not None:
                meanwhile()
            return list(results), workers
    finally:
        gc.unfreeze()


class Background:
    """Steps run one after another on a thread of this process until `stop`, which hands back those not started.

    Work for a core that would otherwise wait: DuckDB runs a statement without holding the GIL, so its
    statements (the CSV downloads) go on while this process's Python reads the page data, which leaves the
    other core idle. Whatever is not started by `stop` goes back to the caller, to run as before, so that no
    thread of ours is running when the workers fork (a fork copies only the thread that calls it, and with it
    any lock another thread held).
    """

    def __init__(self, steps: Sequence[Callable[[], None]], interrupt: Callable[[], None] | None = None):
        self._steps, self._started, self._interrupt = list(steps), 0, interrupt
        self._stopping, self._error = threading.Event(), None
        self._thread = threading.Thread(target=self._run, name="background-steps", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while self._started < len(self._steps) and not self._stopping.is_set():
                self._started += 1
                self._steps[self._started - 1]()
        except BaseException as e:  # raised where `stop` is called, as if the step had run there
            self._error = e

    def stop(self, cancel: bool = False) -> list[Callable[[], None]]:
        """Wait for the step under way (`cancel`: interrupt it first) and return the steps not started; raise the
        error a step raised (not when cancelling: the caller is failing already)."""
        self._stopping.set()
        if cancel and self._interrupt is not None and self._thread.is_alive():
            self._interrupt()
        self._thread.join()
        if self._error is not None and not cancel:
            raise self._error
        return self._steps[self._started:]
