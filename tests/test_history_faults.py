"""Faults during a build: after every one the last good site and every earlier day's history read back as
they were, each failure is one clear line, and the next run cleans up and succeeds.

Day 1 is the tiny org as of 2026-05-15; day 2 (2026-05-16) wins o4 and logs an activity. Kills run
a real `python -m pipelines build` in a subprocess; a targeted kill wraps one step with SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines import history
from pipelines.cli import main
from pipelines.history import repair
from pipelines.history.read import as_of
from tests.conftest import FIXTURES, ROOT

DAY1, DAY2 = "2026-05-15", "2026-05-16"
TABLES = ["reps", "opportunities", "opportunity_history", "activities", "quotas"]
SCRATCH = (".site-build-", ".site-docs-", ".site-duckdb-", ".site-old-", ".site-link-")


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def to_day2(org: Path) -> None:
    """The next day's extracts: o4 won, one more activity, as_of a day on."""
    deals = org / "opportunities.csv"
    deals.write_text(deals.read_text(encoding="utf-8").replace(
        "o4,r1,Delta,Delta expansion,Proposal,80000,2026-03-01,2026-06-10,Commit,Send contract,2026-05-10",
        "o4,r1,Delta,Delta expansion,Closed Won,80000,2026-03-01,2026-05-16,Closed,,2026-05-16"), encoding="utf-8")
    with open(org / "opportunity_history.csv", "a", encoding="utf-8") as fh:
        fh.write("o4,2026-05-16 10:00:00,Closed Won,80000,2026-05-16,Closed\n")
    with open(org / "activities.csv", "a", encoding="utf-8") as fh:
        fh.write("a7,r1,2026-05-16,call,o4\n")
    config = org / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(f"as_of: {DAY1}", f"as_of: {DAY2}"), encoding="utf-8")


def build_args(w: Path, *extra: str) -> list[str]:
    return ["build", "--config", str(w / "org" / "config.yml"), "--out", str(w / "site"), "--warehouse",
            str(w / "wh"), *extra]


def cli(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def history_of(wh: Path, days=(DAY1, DAY2)) -> dict:
    """Every table as of every day, read the way a build reads it (checked files only)."""
    con = duckdb.connect()
    store = history.open_store(wh)
    return {(t, d): sorted(con.execute(as_of(con, store, t, dt.date.fromisoformat(d))).fetchall(), key=repr)
            for t in TABLES for d in days}


def no_scratch(w: Path) -> None:
    assert [p.name for p in w.iterdir() if p.name.startswith(SCRATCH)] == []
    assert not (w / "wh" / ".scratch").exists()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """Day 1 built, then day 2 built on top: the site and history of each, to compare faults with."""
    w = tmp_path_factory.mktemp("reference")
    shutil.copytree(FIXTURES / "tiny", w / "org")
    assert cli(*build_args(w))[0] == 0
    ref = {"site1": tree(w / "site"), "data1": tree(w / "site" / "data")}
    to_day2(w / "org")
    assert cli(*build_args(w))[0] == 0
    ref.update(site2=tree(w / "site"), history2=history_of(w / "wh"))
    ref["history1"] = {k: v for k, v in ref["history2"].items() if k[1] == DAY1}
    return ref


@pytest.fixture
def day1(tmp_path, reference) -> Path:
    """A workspace with day 1 built and the extracts of day 2 waiting."""
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    assert cli(*build_args(tmp_path))[0] == 0
    assert tree(tmp_path / "site") == reference["site1"]
    to_day2(tmp_path / "org")
    return tmp_path


def assert_old_or_new(w: Path, reference: dict) -> str:
    """The site is the old one or the new one, whole; day 1's history is as it was; day 2's is all or nothing."""
    site = tree(w / "site")
    assert site in (reference["site1"], reference["site2"]), "site is neither the old nor the new one"
    got = history_of(w / "wh")
    assert {k: v for k, v in got.items() if k[1] == DAY1} == reference["history1"]
    stored2 = DAY2 in {m.day.isoformat() for m in history.open_store(w / "wh").manifests}
    if stored2:
        assert got == reference["history2"]
    if site == reference["site2"]:
        assert stored2, "the new site is live without its day in the history"
    return "new" if site == reference["site2"] else "old"


def finish(w: Path, reference: dict) -> None:
    """The next run cleans up after any fault and builds the new site."""
    code, lines = cli(*build_args(w))
    assert code == 0, lines
    assert tree(w / "site") == reference["site2"]
    assert history_of(w / "wh") == reference["history2"]
    no_scratch(w)
    assert repair.check(w / "wh") == []


def run_build(w: Path, wrapper: str = "") -> subprocess.Popen:
    """`python -m pipelines build` in a subprocess; `wrapper` is Python run first (to plant a SIGKILL)."""
    code = f"import sys\n{wrapper}\nfrom pipelines.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.Popen([sys.executable, "-c", code, *build_args(w)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_random_kills_leave_the_old_or_the_new_site_and_whole_history(day1, reference):
    rng = random.Random(12)
    for _ in range(3):
        proc = run_build(day1)
        time.sleep(rng.uniform(0.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert_old_or_new(day1, reference)
    finish(day1, reference)


KILL = "lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)"
KILL_AT = {  # step -> (where SIGKILL replaces a call, whether day 2 is then stored)
    "staged": ("import pipelines.load as m; m.store_day", False),  # history in scratch, nothing placed
    "placing": ("import pipelines.history.write as m; m.write_atomically", False),  # files placed, no manifest
    "stored": ("import pipelines.site as m; m.StagedSite.swap", True),  # history stored, site not swapped
    "exchange": ("import pipelines.atomic as m; m.exchange", True),  # inside the swap, before the exchange
}


@pytest.mark.parametrize("step", sorted(KILL_AT))
def test_kill_at_each_step_of_store_and_swap(day1, reference, step):
    target, stored = KILL_AT[step]
    proc = run_build(day1, f"import os, signal\n{target} = {KILL}")
    assert proc.wait() == -signal.SIGKILL
    assert assert_old_or_new(day1, reference) == "old"
    assert (DAY2 in {m.day.isoformat() for m in history.open_store(day1 / "wh").manifests}) == stored
    finish(day1, reference)


def test_a_second_writer_fails_with_one_line(day1, reference):
    config = day1 / "org" / "config.yml"
    settings = config.read_text(encoding="utf-8")
    config.write_text(settings + "build: {lock_wait_seconds: 0}\n", encoding="utf-8")
    with history.lock(day1 / "wh", 0):
        code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"busy: warehouse {day1 / 'wh'}: in use by another build or load (pid {os.getpid()}")
    assert tree(day1 / "site") == reference["site1"]
    config.write_text(settings, encoding="utf-8")  # the settings page shows the values in force
    finish(day1, reference)


@pytest.fixture
def read_only():
    """Make a folder unwritable even for root (chattr +i where it works, else chmod), and undo it."""
    made: list[Path] = []

    def apply(folder: Path) -> None:
        paths = [folder, *folder.rglob("*")]
        if os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", *map(str, paths)]).returncode:
                pytest.skip("cannot make a folder read-only for root here")
        else:
            for p in paths:
                p.chmod(0o555 if p.is_dir() else 0o444)
        made.extend(paths)

    yield apply
    if made and os.geteuid() == 0:
        subprocess.run(["chattr", "-i", *map(str, made)])
    for p in made:
        if p.is_dir():
            p.chmod(0o755)


def test_a_read_only_warehouse_fails_before_the_swap_with_one_line(day1, reference, read_only):
    before = tree(day1 / "wh")
    read_only(day1 / "wh")
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"history error: {day1 / 'wh'}: cannot be written (read-only)")
    assert tree(day1 / "site") == reference["site1"]
    assert tree(day1 / "wh") == before
    # A day that is stored already needs no write: it builds from a read-only warehouse.
    shutil.rmtree(day1 / "org")
    shutil.copytree(FIXTURES / "tiny", day1 / "org")
    code, lines = cli(*build_args(day1))
    assert code == 0, lines
    assert tree(day1 / "site") == reference["site1"] and tree(day1 / "wh") == before


def test_a_disk_full_while_storing_keeps_the_old_site(day1, reference, monkeypatch):
    import errno

    from pipelines.history import write

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "manifest")

    monkeypatch.setattr(write, "write_atomically", full)
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert "cannot write the history (No space left on device)" in lines[0]
    assert tree(day1 / "site") == reference["site1"]
    assert history_of(day1 / "wh", (DAY1,)) == reference["history1"]
    monkeypatch.undo()
    finish(day1, reference)


def test_a_truncated_history_file_is_one_line_and_repairs_by_reloading_its_day(day1, reference):
    damaged = day1 / "wh" / "opportunities" / f"valid_from={DAY1}" / "part-0.parquet"
    good = damaged.read_bytes()
    damaged.write_bytes(good[: len(good) // 2])
    rel = damaged.relative_to(day1 / "wh").as_posix()
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"history error: {rel}: damaged") and "history repair" in lines[0]
    assert tree(day1 / "site") == reference["site1"]
    code, lines = cli("history", "check", "--warehouse", str(day1 / "wh"))
    assert code == 1 and lines[0].startswith(f"  {rel}: damaged") and lines[-1].startswith("history error:")
    shutil.copytree(FIXTURES / "tiny", day1 / "org1")  # that day's extracts
    code, lines = cli("history", "repair", "--config", str(day1 / "org1" / "config.yml"),
                      "--warehouse", str(day1 / "wh"), "--snapshot-date", DAY1)
    assert code == 0 and lines[0] == f"  restored {rel} from the extracts of {DAY1} (sha256 as recorded)", lines
    assert damaged.read_bytes() == good
    assert cli("history", "check", "--warehouse", str(day1 / "wh"))[0] == 0
    finish(day1, reference)


def test_loading_the_damaged_day_again_repairs_it(tmp_path, reference):
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    assert cli(*build_args(tmp_path))[0] == 0
    damaged = tmp_path / "wh" / "activities" / f"valid_from={DAY1}" / "part-0.parquet"
    good = damaged.read_bytes()
    damaged.write_bytes(good[:100])
    code, lines = cli(*build_args(tmp_path))
    assert code == 0, lines
    assert f"  note: history: restored activities/valid_from={DAY1}/part-0.parquet from the extracts of {DAY1} " \
           "(sha256 as recorded)" in lines
    assert damaged.read_bytes() == good and tree(tmp_path / "site") == reference["site1"]


def test_a_truncated_manifest_is_one_line_and_is_rewritten_by_repair(day1, reference):
    manifest = day1 / "wh" / "_manifests" / f"{DAY1}.json"
    manifest.write_bytes(manifest.read_bytes()[:40])
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"history error: _manifests/{DAY1}.json: cannot be read")
    assert tree(day1 / "site") == reference["site1"]
    code, lines = cli("history", "check", "--warehouse", str(day1 / "wh"))
    assert code == 1 and lines[0].startswith(f"  _manifests/{DAY1}.json: unreadable manifest")
    code, lines = cli("history", "repair", "--warehouse", str(day1 / "wh"))
    assert code == 0 and lines[0].startswith(f"  rewrote _manifests/{DAY1}.json from 6 file(s) of {DAY1}"), lines
    assert history_of(day1 / "wh", (DAY1,)) == reference["history1"]
    finish(day1, reference)


def test_a_damaged_file_that_cannot_be_reloaded_is_dropped_with_a_record(day1, reference):
    damaged = day1 / "wh" / "activities" / f"valid_from={DAY1}" / "part-0.parquet"
    damaged.write_bytes(b"PAR1 garbage")
    code, lines = cli("history", "repair", "--warehouse", str(day1 / "wh"))
    assert code == 0 and lines[0].startswith(f"  dropped activities/valid_from={DAY1}/part-0.parquet (damaged")
    assert not damaged.exists() and list((day1 / "wh" / "_repairs").glob("*.json"))
    code, lines = cli("history", "check", "--warehouse", str(day1 / "wh"))
    assert code == 0 and "dropped" in lines[0]
    # The next build stores day 2's activities whole again (nothing of day 1 to diff against).
    code, lines = cli(*build_args(day1))
    assert code == 0, lines
    assert tree(day1 / "site") == reference["site2"]


def test_a_header_only_deals_export_fails_and_stores_nothing(day1, reference):
    deals = day1 / "org" / "opportunities.csv"
    deals.write_text(deals.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    before = tree(day1 / "wh")
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0] == (f"suspicious extract: {deals.name}: the opportunities extract has no data rows (header only, "
                        "or cut off before the first row); a required extract cannot be empty")
    assert tree(day1 / "site") == reference["site1"] and tree(day1 / "wh") == before


def test_a_truncated_export_trips_the_row_drop_gate(day1, reference):
    deals = day1 / "org" / "opportunities.csv"
    lines_ = deals.read_text(encoding="utf-8").splitlines(keepends=True)
    deals.write_text("".join(lines_[:4]), encoding="utf-8")  # 3 of 8 deals: 62% fewer
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"suspicious extract: {deals.name}: the opportunities extract has 3 rows, 62% fewer "
                               f"than the 8 stored as of {DAY2}, more than thresholds.max_row_drop (50%) allows")
    assert lines[0].endswith("run again with --accept-row-drop")
    assert tree(day1 / "site") == reference["site1"]
    assert cli(*build_args(day1, "--accept-row-drop"))[0] == 0


def test_an_earlier_day_rebuilt_after_a_later_one_gives_that_days_downloads(day1, reference):
    """History after as_of is ignored, not refused: the day-1 build again gives day 1's data/ CSVs byte for byte."""
    assert cli(*build_args(day1))[0] == 0  # day 2 stored
    shutil.rmtree(day1 / "org")
    shutil.copytree(FIXTURES / "tiny", day1 / "org")
    code, lines = cli(*build_args(day1))
    assert code == 0, lines
    assert tree(day1 / "site" / "data") == reference["data1"]
    assert history_of(day1 / "wh") == reference["history2"]  # nothing stored: day 1 was identical
    # Different rows for day 1 now: refused, one line, nothing changed.
    deals = day1 / "org" / "opportunities.csv"
    deals.write_text(deals.read_text(encoding="utf-8").replace(",Fox deal,", ",Fox renamed,"), encoding="utf-8")
    before = tree(day1 / "site")
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1 and lines[0].startswith("history error:") and "--rebuild" in lines[0]
    assert tree(day1 / "site") == before and history_of(day1 / "wh") == reference["history2"]


def test_a_future_dated_snapshot_is_ignored_for_reading_and_blocks_a_differing_store(day1, reference):
    code, _ = cli("load", "--config", str(day1 / "org" / "config.yml"), "--warehouse", str(day1 / "wh"),
                  "--snapshot-date", "2026-12-31")
    assert code == 0
    shutil.rmtree(day1 / "org")
    shutil.copytree(FIXTURES / "tiny", day1 / "org")  # day 1 again: identical, so it builds
    code, lines = cli(*build_args(day1))
    assert code == 0, lines
    assert tree(day1 / "site" / "data") == reference["data1"]
    to_day2(day1 / "org")  # day 2 differs from what the future day says day 2 holds: refused
    code, lines = cli(*build_args(day1))
    assert code == 1 and len(lines) == 1 and "history goes on to 2026-12-31" in lines[0]
    assert tree(day1 / "site" / "data") == reference["data1"]
    assert history_of(day1 / "wh", (DAY1,)) == reference["history1"]


def test_a_stray_future_dated_snapshot_folder_is_neither_read_nor_removed(day1, reference):
    """A folder in the old layout's naming, copied into a warehouse of versions, is no file of the store."""
    stray = day1 / "wh" / "opportunities" / "snapshot_date=2027-01-01" / "part-0.parquet"
    stray.parent.mkdir(parents=True)
    shutil.copyfile(day1 / "wh" / "opportunities" / f"valid_from={DAY1}" / "part-0.parquet", stray)
    code, lines = cli(*build_args(day1))
    assert code == 0, lines
    assert tree(day1 / "site") == reference["site2"]
    assert history_of(day1 / "wh") == reference["history2"]
    assert stray.exists()
