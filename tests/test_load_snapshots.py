"""The snapshot store: one Hive-partitioned Parquet file per table and day, idempotent and replaced per day only.

    <warehouse>/<table>/snapshot_date=YYYY-MM-DD/part-0.parquet
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.extract import extract
from pipelines.load import load, store_snapshots
from pipelines.settings import load_config
from tests.conftest import FIXTURES

TABLES = ["reps", "opportunities", "opportunity_history", "activities", "quotas"]  # present in tests/fixtures/tiny


@pytest.fixture
def org(tmp_path) -> Path:
    """A private copy of the tiny org, so a test can correct its extracts."""
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    return tmp_path / "org"


def cli_load(org: Path, warehouse: Path, day: str) -> list[str]:
    result = CliRunner().invoke(
        main, ["load", "--config", str(org / "config.yml"), "--warehouse", str(warehouse), "--snapshot-date", day]
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return [line.strip() for line in result.output.splitlines() if line.startswith("  ")]


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file (hidden ones included) under folder."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def edit(path: Path, replace: dict[str, str | None], append: str = "") -> None:
    """Replace whole lines that start with a key (None deletes the line), then append lines."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        key = next((k for k in replace if line.startswith(k)), None)
        if key is None:
            out.append(line)
        elif replace[key] is not None:
            out.append(replace[key])
    path.write_text("".join(out) + append, encoding="utf-8")


def test_same_extract_twice_gives_identical_snapshots(org, tmp_path):
    wh = tmp_path / "wh"
    first = cli_load(org, wh, "2026-05-15")
    assert first == [f"{t}: new" for t in TABLES]
    before = hashes(wh)
    assert sorted(before) == [f"{t}/snapshot_date=2026-05-15/part-0.parquet" for t in sorted(TABLES)]
    second = cli_load(org, wh, "2026-05-15")
    assert second == [f"{t}: unchanged" for t in TABLES]
    assert hashes(wh) == before


def test_row_order_of_the_extract_does_not_change_the_snapshot(org, tmp_path):
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-15")
    before = hashes(wh)
    for name in ("opportunities.csv", "opportunity_history.csv", "activities.csv"):
        header, *lines = (org / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (org / name).write_text(header + "".join(reversed(lines)), encoding="utf-8")
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]
    assert hashes(wh) == before


def test_corrected_extract_replaces_only_that_day(org, tmp_path):
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    cli_load(org, wh, "2026-05-15")
    day_before = {k: v for k, v in hashes(wh).items() if "2026-05-14" in k}
    same_day = hashes(wh)
    # The corrected 2026-05-15 extract: o3 removed, o4's amount changed, o9 added.
    edit(
        org / "opportunities.csv",
        {"o3,": None, "o4,": "o4,r1,Delta,Delta expansion,Proposal,85000,2026-03-01,2026-06-10,Commit,Send contract,2026-05-10\n"},
        append="o9,r2,India,India new,Prospecting,10000,2026-05-01,2026-06-30,Pipeline,Call,2026-05-02\n",
    )
    edit(org / "opportunity_history.csv", {}, append="o4,2026-05-14 10:00:00,Proposal,85000,2026-06-10,Commit\n")
    assert cli_load(org, wh, "2026-05-15") == [
        "reps: unchanged",
        "opportunities: replaced (1 added, 1 removed, 1 changed)",
        "opportunity_history: replaced (1 added, 0 removed, 0 changed)",
        "activities: unchanged",
        "quotas: unchanged",
    ]
    after = hashes(wh)
    assert {k: v for k, v in after.items() if "2026-05-14" in k} == day_before
    changed = {k for k in after if after[k] != same_day.get(k)}
    assert changed == {
        "opportunities/snapshot_date=2026-05-15/part-0.parquet",
        "opportunity_history/snapshot_date=2026-05-15/part-0.parquet",
    }
    assert set(after) == set(same_day)  # no scratch or leftover folders
    ids = duckdb.connect().execute(
        f"select list(opportunity_id order by opportunity_id) from read_parquet('{wh}/opportunities/snapshot_date=2026-05-15/*.parquet')"
    ).fetchall()
    assert ids == [(["o1", "o2", "o4", "o5", "o6", "o7", "o8", "o9"],)]


def test_snapshots_are_hive_partitions_the_models_read(org, tmp_path):
    wh = tmp_path / "wh"
    cfg = load_config(org / "config.yml")
    for day in (dt.date(2026, 5, 14), dt.date(2026, 5, 15)):
        con = duckdb.connect()
        result = load(con, extract(cfg, con), wh, day, cfg=cfg)
        assert [c.status for c in result.changes] == ["new"] * len(TABLES)
    days = con.execute(
        "select snapshot_date, count(*) from raw_opportunity_snapshots group by all order by all"
    ).fetchall()
    deals = len((org / "opportunities.csv").read_text(encoding="utf-8").splitlines()) - 1
    assert days == [(dt.date(2026, 5, 14), deals), (dt.date(2026, 5, 15), deals)]
    other = duckdb.connect().execute(
        f"select count(distinct snapshot_date) from read_parquet('{wh}/*/*/*.parquet', hive_partitioning = true, union_by_name = true)"
    ).fetchall()
    assert other == [(2,)]


def test_interrupted_write_is_replaced(org, tmp_path):
    """A day's folder left without its file (a copy that died) is written again, not trusted."""
    wh = tmp_path / "wh"
    (wh / "reps" / "snapshot_date=2026-05-15").mkdir(parents=True)
    (wh / "reps" / ".tmp-2026-05-15").mkdir()
    assert cli_load(org, wh, "2026-05-15")[0] == "reps: new"
    assert sorted(p.name for p in (wh / "reps").iterdir()) == ["snapshot_date=2026-05-15"]


def test_load_can_wait_to_store_until_the_build_passed(org, tmp_path):
    """store=False writes nothing, yet the models see today's extract as today's snapshot."""
    wh = tmp_path / "wh"
    cfg = load_config(org / "config.yml")
    con = duckdb.connect()
    load(con, extract(cfg, con), wh, dt.date(2026, 5, 14), cfg=cfg)
    con = duckdb.connect()
    extracted = extract(cfg, con)
    result = load(con, extracted, wh, dt.date(2026, 5, 15), cfg=cfg, store=False)
    assert result.changes == []
    assert sorted(p.name for p in (wh / "opportunities").iterdir()) == ["snapshot_date=2026-05-14"]
    days = con.execute("select snapshot_date, count(*) from raw_opportunity_snapshots group by all order by all").fetchall()
    assert [d for d, _ in days] == [dt.date(2026, 5, 14), dt.date(2026, 5, 15)]
    changes = store_snapshots(con, extracted, wh, dt.date(2026, 5, 15))
    assert [c.describe() for c in changes] == [f"{t}: new" for t in TABLES]
    assert sorted(p.name for p in (wh / "opportunities").iterdir()) == ["snapshot_date=2026-05-14", "snapshot_date=2026-05-15"]
