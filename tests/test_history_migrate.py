"""Migrating full daily snapshots (<table>/snapshot_date=YYYY-MM-DD/part-0.parquet) into the version store is
lossless: every day's rebuilt state equals the old snapshot row for row, with the same types and values."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines import history
from pipelines.cli import main
from pipelines.extract import extract
from pipelines.history.migrate import migrate
from pipelines.history.read import as_of
from pipelines.schema import TABLES
from pipelines.settings import load_config
from tests.conftest import FIXTURES

DAYS = ["2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14", "2026-05-15"]


def _edit(org: Path, name: str, old: str, new: str) -> None:
    path = org / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def _day_changes(org: Path, day: str) -> set[str]:
    """Edit the org into the given day's extracts; the tables extracted that day."""
    present = {"reps", "opportunities", "opportunity_history", "activities", "quotas"}
    if day == "2026-05-12":  # a deal leaves, one changes, one arrives; the CRM purges an activity
        _edit(org, "opportunities.csv", "o3,r1,Gamma,Gamma pilot,Closed Lost,30000,2026-01-20,2026-03-01,Omitted,,2026-02-25\n", "")
        _edit(org, "opportunities.csv", "Proposal,80000,2026-03-01", "Proposal,85000,2026-03-01")
        with open(org / "opportunities.csv", "a", encoding="utf-8") as fh:
            fh.write("o9,r2,India,India new,Prospecting,10000,2026-05-01,2026-06-30,Pipeline,Call,2026-05-02\n")
        _edit(org, "activities.csv", "a1,r1,2026-05-11,call,o4\n", "")
    elif day == "2026-05-13":  # the deal comes back; only a volatile field moves; an exact duplicate history row
        with open(org / "opportunities.csv", "a", encoding="utf-8") as fh:
            fh.write("o3,r1,Gamma,Gamma pilot,Closed Lost,30000,2026-01-20,2026-03-01,Omitted,,2026-02-25\n")
        _edit(org, "opportunities.csv", "Call CFO,2026-05-14", "Call CFO,2026-05-13")
        with open(org / "opportunity_history.csv", "a", encoding="utf-8") as fh:
            fh.write("o5,2026-04-01 09:00:00,Prospecting,20000,2026-04-30,Pipeline\n")
        _edit(org, "reps.csv", "r2,Bob Builder,,", "r2,Bob Builder,West,")
    elif day == "2026-05-14":  # no reps extract that day
        present.discard("reps")
    return present


def write_old_store(tmp_path: Path) -> Path:
    """A warehouse in the old layout, written as the old loader did: typed rows, sorted, zstd."""
    org, old = tmp_path / "org", tmp_path / "old"
    shutil.copytree(FIXTURES / "tiny", org)
    for day in DAYS:
        present = _day_changes(org, day)
        cfg = load_config(org / "config.yml")
        con = duckdb.connect()
        extract(cfg, con)
        for table in sorted(present):
            cols = [c for c in TABLES[table].column_names if c != "history_id"]  # the old schema
            order = ", ".join(TABLES[table].key or cols)
            folder = old / table / f"snapshot_date={day}"
            folder.mkdir(parents=True)
            con.execute(f"copy (select {', '.join(cols)} from extract_{table} order by {order}) to "
                        f"'{folder / 'part-0.parquet'}' (format parquet, compression zstd)")
    return old


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("migrate")
    old = write_old_store(tmp)
    result = CliRunner().invoke(main, ["history", "migrate", "--from", str(old), "--to", str(tmp / "new")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == (
        f"migrated 5 day(s) into {tmp / 'new'}: 24 daily snapshot(s) read back identical")
    return old, tmp / "new"


def test_every_day_reads_back_as_its_snapshot_row_for_row(migrated):
    old, new = migrated
    con = duckdb.connect()
    store = history.open_store(new)
    compared = 0
    for snapshot in sorted(old.glob("*/snapshot_date=*/part-0.parquet")):
        table, day = snapshot.parent.parent.name, dt.date.fromisoformat(snapshot.parent.name.split("=")[1])
        want = con.sql(f"select * from read_parquet('{snapshot}', hive_partitioning = false)")
        cols = ", ".join(want.columns)
        for query in (as_of(con, store, table, day), history.as_of_query(new, table, day)):
            got = con.sql(f"select {cols} from ({query})")
            assert [str(t) for t in got.types] == [str(t) for t in want.types], (table, day)
            assert sorted(got.fetchall(), key=repr) == sorted(want.fetchall(), key=repr), (table, day)
        compared += 1
    assert compared == 24


def test_the_new_store_holds_changes_only(migrated):
    _, new = migrated
    files = sorted(p.relative_to(new).as_posix() for p in new.rglob("*.parquet"))
    later = [f for f in files if "2026-05-11" not in f]
    assert later == [
        "activities/valid_from=2026-05-12/part-0.parquet",
        "opportunities/valid_from=2026-05-12/part-0.parquet",
        "opportunities/valid_from=2026-05-13/part-0.parquet",
        "opportunities_volatile/valid_from=2026-05-12/part-0.parquet",
        "opportunities_volatile/valid_from=2026-05-13/part-0.parquet",
        "opportunity_history/valid_from=2026-05-13/part-0.parquet",
        "reps/valid_from=2026-05-13/part-0.parquet",
    ]
    assert sorted(p.name for p in (new / "_manifests").iterdir()) == [f"{d}.json" for d in DAYS]
    assert CliRunner().invoke(main, ["history", "check", "--warehouse", str(new)]).exit_code == 0


def test_migrating_into_a_store_that_has_history_is_refused(migrated):
    old, new = migrated
    result = CliRunner().invoke(main, ["history", "migrate", "--from", str(old), "--to", str(new)])
    assert result.exit_code == 1
    assert result.output.strip() == f"history error: {new}: already holds a history; migrate into a new, empty folder"


def test_a_build_on_the_old_layout_says_to_migrate(migrated, tmp_path):
    old, _ = migrated
    result = CliRunner().invoke(main, ["build", "--config", str(FIXTURES / "tiny" / "config.yml"),
                                       "--out", str(tmp_path / "site"), "--warehouse", str(old)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"history error: {old}: holds full daily snapshots")
    assert "python -m pipelines history migrate" in lines[0]


def test_migrate_needs_snapshots(tmp_path):
    migrate_from = tmp_path / "empty"
    migrate_from.mkdir()
    with pytest.raises(Exception, match="holds no daily snapshots"):
        migrate(migrate_from, tmp_path / "new")


def test_the_migration_check_catches_a_day_that_does_not_read_back(migrated, tmp_path):
    from pipelines.errors import HistoryError
    from pipelines.history.migrate import old_snapshots, verify

    old, new = migrated
    changed = tmp_path / "old"
    shutil.copytree(old, changed)
    snapshot = changed / "activities" / "snapshot_date=2026-05-13" / "part-0.parquet"
    con = duckdb.connect()
    con.execute(f"copy (select * from read_parquet('{snapshot}', hive_partitioning = false) limit 3) to '{tmp_path / 'x.parquet'}' (format parquet)")
    shutil.move(tmp_path / "x.parquet", snapshot)
    with pytest.raises(HistoryError, match="activities of 2026-05-13 differs from its snapshot"):
        verify(con, changed, new, old_snapshots(changed))
