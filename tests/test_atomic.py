"""The file-system steps a kill must not split: the lock, the folder swap (exchange, or a symlink flip where
the system has no exchange), and the sweep of what killed runs left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines import atomic
from pipelines.errors import LockError


def folder(path: Path, text: str) -> Path:
    path.mkdir(parents=True)
    (path / "index.html").write_text(text, encoding="utf-8")
    return path


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    a, b = folder(tmp_path / "a", "A"), folder(tmp_path / "b", "B")
    if not atomic.exchange(a, b):
        pytest.skip("no rename-exchange on this system")
    assert (a / "index.html").read_text() == "B" and (b / "index.html").read_text() == "A"


def test_swap_folder_keeps_out_a_plain_folder_and_returns_the_old_one(tmp_path):
    out = tmp_path / "site"
    assert atomic.swap_folder(folder(tmp_path / "new1", "one"), out, tmp_path / ".site-releases") is None
    old = atomic.swap_folder(folder(tmp_path / "new2", "two"), out, tmp_path / ".site-releases")
    assert (out / "index.html").read_text() == "two"
    if not out.is_symlink():  # exchanged: the previous site is where the new one was
        assert old == tmp_path / "new2" and (old / "index.html").read_text() == "one"


def test_without_an_exchange_call_site_becomes_a_symlink_that_is_flipped(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    out, releases = tmp_path / "site", tmp_path / ".site-releases"
    folder(out, "zero")  # a plain folder from an earlier build
    old = atomic.swap_folder(folder(tmp_path / "new1", "one"), out, releases)
    assert out.is_symlink() and (out / "index.html").read_text() == "one"
    assert old is not None and (old / "index.html").read_text() == "zero"
    old = atomic.swap_folder(folder(tmp_path / "new2", "two"), out, releases)
    assert out.is_symlink() and (out / "index.html").read_text() == "two"
    assert old is not None and old.parent == releases and (old / "index.html").read_text() == "one"


def test_a_crash_inside_the_last_fallback_is_recovered(tmp_path):
    """Out renamed away and the link not yet in place: the next run puts the previous folder back."""
    folder(tmp_path / ".site-old-123", "previous")
    atomic.recover_folder(tmp_path / "site")
    assert (tmp_path / "site" / "index.html").read_text() == "previous"


def test_a_second_holder_waits_then_fails_with_one_line_naming_the_first(tmp_path):
    with atomic.DirLock(tmp_path / ".wh.lock", "warehouse wh"):
        with pytest.raises(LockError) as err:
            with atomic.DirLock(tmp_path / ".wh.lock", "warehouse wh", wait=0.3):
                pass
    assert str(err.value).startswith(f"warehouse wh: in use by another build or load (pid {os.getpid()} since ")
    assert "waited 0 s" in str(err.value)
    with atomic.DirLock(tmp_path / ".wh.lock", "warehouse wh"):  # released on exit
        pass


def test_a_lock_on_a_read_only_folder_is_no_lock(tmp_path, monkeypatch):
    import errno

    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "open", refuse)
    with atomic.DirLock(tmp_path / "ro" / ".lock", "warehouse ro") as lock:
        assert lock.read_only and lock.fd is None


def test_sweep_removes_only_scratch(tmp_path):
    for name in (".site-build-1", ".site-docs-2", "site", ".site-cache", "warehouse"):
        (tmp_path / name).mkdir()
    removed = atomic.sweep(tmp_path, [".site-build-", ".site-docs-"])
    assert sorted(p.name for p in removed) == [".site-build-1", ".site-docs-2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site-cache", "site", "warehouse"]


def test_builds_without_an_exchange_call_flip_a_symlink_and_leave_one_release(tmp_path, monkeypatch):
    from pipelines.cli import prepare, run_build
    from tests.conftest import FIXTURES

    monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    out = tmp_path / "site"
    for n in range(3):
        run_build(prepare(FIXTURES / "tiny" / "config.yml"), out, tmp_path / "wh")
        assert out.is_symlink() == (n > 0) and (out / "index.html").is_file()  # the first build has nothing to flip
    assert [p.name for p in (tmp_path / ".site-releases").iterdir()] == [Path(os.readlink(out)).name]


def _gone(path: Path, seconds: float = 20.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()


def test_a_small_folder_is_removed_here_and_a_large_one_in_the_background(tmp_path):
    small, large = folder(tmp_path / "small" / "a", "x").parent, folder(tmp_path / "large" / "a", "x").parent
    atomic.remove_folder(small, pages=atomic.BACKGROUND_REMOVAL_PAGES - 1)
    assert not small.exists()
    atomic.remove_folder(large, pages=atomic.BACKGROUND_REMOVAL_PAGES)
    assert _gone(large)


def test_the_background_removal_does_not_hold_the_lock(tmp_path):
    """The detached remover gets none of this process's descriptors: the site lock is free once released."""
    big = tmp_path / "big"
    for i in range(300):
        folder(big / str(i), "x")
    with atomic.DirLock(tmp_path / ".site.lock", "site"):
        atomic.remove_folder(big, pages=atomic.BACKGROUND_REMOVAL_PAGES)
    with atomic.DirLock(tmp_path / ".site.lock", "site", wait=0):
        pass
    assert _gone(big)


def test_a_cache_file_is_written_whole_or_not_at_all_and_never_fails_the_build(tmp_path):
    """write_cache: the file appears with its bytes, folders made; where it cannot be written (its folder is a
    file) nothing is raised and no scratch file is left beside it."""
    from pipelines.atomic import write_cache

    write_cache(tmp_path / "a" / "b.json", b'{"x": 1}')
    assert (tmp_path / "a" / "b.json").read_bytes() == b'{"x": 1}'
    write_cache(tmp_path / "a" / "b.json", b"{}")
    assert (tmp_path / "a" / "b.json").read_bytes() == b"{}" and len(list((tmp_path / "a").iterdir())) == 1
    (tmp_path / "blocked").write_text("a file where a folder would go", encoding="utf-8")
    write_cache(tmp_path / "blocked" / "c.json", b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "blocked"]
    target = tmp_path / "dir-as-target"
    target.mkdir()
    write_cache(target, b"{}")  # the rename fails: the scratch file is removed
    assert target.is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["a", "blocked", "dir-as-target"]
