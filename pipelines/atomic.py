"""The file-system steps a crash must not be able to split: locks, file writes, the site swap, scratch.

A build can be killed at any instruction (a CI runner times out, a laptop sleeps, someone
presses Ctrl-C twice). Each step here is either done or not done, never half done:

* `DirLock` is an OS advisory lock (`fcntl.flock`) on a file beside what it guards. The kernel
  releases it when the process dies, so a crash never leaves a stale lock, and a second writer
  waits for it or fails with one line saying who holds it.
* `write_atomically` / `place` write a file under a scratch name on the same file system,
  flush it to disk and rename it into place: a reader sees the old file or the new one
  (`write_cache` the same without the flush, for files a build can make again).
* `exchange` swaps two folders in one system call (`renameat2(RENAME_EXCHANGE)` on Linux,
  `renamex_np(RENAME_SWAP)` on macOS), so there is no moment without a `site/`. Where
  neither exists, a folder that is a symlink is flipped by renaming a new symlink over it.
* `sweep` removes the scratch that killed runs left behind; callers hold the lock that makes
  every matching scratch folder theirs.
* `remove_folder` removes a large scratch folder in a process of its own that the build does not
  wait for: deleting thousands of files is slow on some file systems (ext4 mounted with
  `discard`) and nothing after the build needs it gone. If that process dies first, the next
  build's `sweep` finishes the job.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

from pipelines.errors import LockError

AT_FDCWD = -100
RENAME_EXCHANGE = 2  # linux/fs.h
RENAME_SWAP = 2  # macOS stdio.h


class DirLock:
    """An exclusive `flock` on `path`, waited for up to `wait` seconds; `what` names the guarded thing in errors.

    A file system where the lock file cannot be created (a read-only warehouse) gives no
    lock and `read_only = True`: nobody can write there, so nothing needs guarding; the caller
    refuses to write later, with its own message.
    """

    def __init__(self, path: Path, what: str, wait: float = 0.0, say=None):
        self.path, self.what, self.wait, self.say = path, what, wait, say
        self.fd: int | None = None
        self.read_only = False

    def __enter__(self) -> "DirLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            if e.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
            if not self.path.exists():
                self.read_only = True
                return self
            self.fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            self.read_only = True
        self._acquire()
        return self

    def _acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # not Unix: no advisory locks; one writer at a time is then up to the user
            return
        deadline, told = time.monotonic() + self.wait, False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self._holder()
                    os.close(self.fd)
                    self.fd = None
                    raise LockError(
                        f"in use by another build or load{holder}; waited {self.wait:.0f} s "
                        "(build.lock_wait_seconds sets how long); run again when it has finished", self.what,
                    ) from None
                if self.say and not told:
                    self.say(f"waiting for {self.what}: in use by another build or load{self._holder()}")
                    told = True
                time.sleep(0.2)
        if not self.read_only:
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode(), 0)

    def _holder(self) -> str:
        try:
            text = os.pread(self.fd, 200, 0).decode("utf-8", "replace").strip()
        except OSError:
            text = ""
        return f" ({text})" if text else ""

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor releases the flock
            self.fd = None


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def place(tmp: Path, target: Path) -> None:
    """Move a finished scratch file into place by rename, flushed first: readers see all of it or none."""
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    fsync_dir(target.parent)


def write_atomically(target: Path, data: bytes, scratch: Path) -> None:
    """Write `data` to `target` through a file in `scratch` (same file system) and a rename."""
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = scratch / f"{target.name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
    tmp.write_bytes(data)
    place(tmp, target)


def write_cache(target: Path, data: bytes) -> None:
    """Write a cache file whole or not at all, best effort: a reader sees the old file, the new one or none.

    For what a build can make again (the Vega bundle, the page manifest, the models' references), so unlike
    `write_atomically` it does not flush to disk, and a cache that cannot be written (a read-only checkout, a
    full disk) is no cache: nothing is raised and no scratch file is left.
    """
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _exchange_call():
    """The platform's swap-two-paths call as (function, flag), or None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        fn = libc.renameat2
        fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return (lambda a, b: fn(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)), True
    if sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        fn = libc.renamex_np
        fn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        return (lambda a, b: fn(a, b, RENAME_SWAP)), True
    return None


def exchange(a: Path, b: Path) -> bool:
    """Swap the paths `a` and `b` atomically; False when this system or file system cannot."""
    call = _exchange_call()
    if call is None:
        return False
    fn, _ = call
    if fn(os.fsencode(a), os.fsencode(b)) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_folder(new: Path, out: Path, releases: Path) -> Path | None:
    """Make the finished folder `new` appear at `out` with no moment at which `out` is missing.

    Returns what is left to delete (the previous folder), or None. `out` stays a plain
    folder where the system can exchange two paths; elsewhere `out` becomes a symlink into
    `releases`, and each later swap renames a new symlink over it.
    """
    if not os.path.lexists(out):
        os.rename(new, out)
        return None
    if not out.is_symlink() and exchange(new, out):
        fsync_dir(out.parent)
        return new  # now holds the previous site
    releases.mkdir(parents=True, exist_ok=True)
    release = releases / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    os.rename(new, release)
    link = out.parent / f".{out.name}-link-{os.getpid()}"
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.path.relpath(release, out.parent), link)
    if out.is_symlink():
        previous = Path(os.path.realpath(out))
        os.replace(link, out)  # rename over a symlink is atomic
        return previous if previous != release else None
    # A plain folder on a system without an exchange call: one short window, recovered by `recover_folder`.
    old = out.parent / f".{out.name}-old-{os.getpid()}"
    os.rename(out, old)
    os.replace(link, out)
    return old


def recover_folder(out: Path) -> None:
    """After a crash inside the last fallback of `swap_folder`: put the previous folder back if `out` is gone."""
    if os.path.lexists(out):
        return
    olds = sorted(out.parent.glob(f".{out.name}-old-*"), key=lambda p: p.stat().st_mtime)
    if olds:
        os.rename(olds[-1], out)


# Pages in a folder from which it is removed in the background: below it, removing it takes less than
# starting the process that would. The unlinks cost little CPU but wait on the disk: a 50-rep org's docs
# folder (134 pages, 194 files) took 0.4-0.8 s to remove here on ext4 with `discard`, 0.02 CPU s.
BACKGROUND_REMOVAL_PAGES = 100


def remove_folder(path: Path, pages: int = 0) -> None:
    """Remove a scratch folder that nothing reads any more: here, or with `pages` >= BACKGROUND_REMOVAL_PAGES
    by a detached process this one does not wait for (no descriptor of this one, such as a lock, is passed on)."""
    if pages >= BACKGROUND_REMOVAL_PAGES:
        code = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"
        try:
            subprocess.Popen([sys.executable, "-I", "-S", "-c", code, os.path.abspath(path)], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            return
        except OSError:
            pass  # no process to spare: remove it here
    shutil.rmtree(path, ignore_errors=True)


def sweep(parent: Path, prefixes: Iterable[str], keep: Iterable[Path] = ()) -> list[Path]:
    """Remove every entry of `parent` whose name starts with one of `prefixes`, except `keep`: scratch of dead runs."""
    keep_set = {os.path.realpath(k) for k in keep}
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in sorted(entries):
        if not entry.name.startswith(tuple(prefixes)) or os.path.realpath(entry) in keep_set:
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
        except OSError:
            pass  # read-only or vanished: the next run tries again
    return removed
