"""Peak memory of a build: the largest summed PSS of its whole process tree, sampled while it runs.

A build forks workers, and a forked worker shares most of its pages with its parent; adding
up RSS counts those pages once per process, and the largest single RSS (what `ru_maxrss`
reports) misses the workers. PSS splits each shared page between the processes sharing it,
so its sum over the tree is what the build really takes from the machine. Where the kernel
offers no PSS (or a process may not be read), RSS stands in for that process.
"""

from __future__ import annotations

import threading

import psutil


def _footprint(proc: psutil.Process) -> tuple[int, bool]:
    """(bytes, whether they are PSS) of one process now; (0, True) once it is gone."""
    try:
        info = proc.memory_full_info()
        pss = getattr(info, "pss", None)
        return (info.rss, False) if pss is None else (pss, True)
    except psutil.AccessDenied:
        try:
            return proc.memory_info().rss, False
        except psutil.Error:
            return 0, True
    except psutil.Error:  # exited (or a zombie) between listing and reading
        return 0, True


def tree_footprint(root: psutil.Process) -> tuple[int, bool]:
    """(summed bytes, all of them PSS) of `root` and every descendant, right now."""
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, True
    total, all_pss = 0, True
    for proc in procs:
        size, is_pss = _footprint(proc)
        total += size
        all_pss = all_pss and is_pss
    return total, all_pss


class PeakMemory:
    """Samples a process tree from a thread while in the `with` block; `peak_bytes` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.interval = interval
        self.peak_bytes = 0
        self.pss = True  # False once any sample had to use RSS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(pid,), daemon=True)

    def _sample(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            size, is_pss = tree_footprint(root)
            if size > self.peak_bytes:
                self.peak_bytes, self.pss = size, is_pss
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def kind(self) -> str:
        return "pss" if self.pss else "rss"
