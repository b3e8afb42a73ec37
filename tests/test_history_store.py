"""The history store: versions per key, written only for what changed, append-only, readable as of any day.

    <warehouse>/<table>/valid_from=YYYY-MM-DD/part-<generation>.parquet
    <warehouse>/_manifests/YYYY-MM-DD[.<n>].json
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines import history
from pipelines.cli import main
from pipelines.extract import extract
from pipelines.history.read import as_of
from pipelines.load import load, store_day
from pipelines.settings import load_config
from tests.conftest import FIXTURES

TABLES = ["reps", "opportunities", "opportunity_history", "activities", "quotas"]  # present in tests/fixtures/tiny
STORED = ["activities", "opportunities", "opportunities_volatile", "opportunity_history", "quotas", "reps"]


@pytest.fixture
def org(tmp_path) -> Path:
    """A private copy of the tiny org, so a test can correct its extracts."""
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    return tmp_path / "org"


def cli_load(org: Path, warehouse: Path, day: str, *extra: str, code: int = 0) -> list[str]:
    result = CliRunner().invoke(
        main, ["load", "--config", str(org / "config.yml"), "--warehouse", str(warehouse), "--snapshot-date", day,
               *extra]
    )
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    if code:
        return [line for line in result.output.splitlines() if line.strip()]
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


def state(warehouse: Path, table: str, day: str) -> list[tuple]:
    """The table as of `day`, read the way a build reads it (manifest files, checked), sorted."""
    con = duckdb.connect()
    return sorted(con.execute(as_of(con, history.open_store(warehouse), table, dt.date.fromisoformat(day))).fetchall(),
                  key=repr)


def extract_rows(org: Path, table: str) -> list[tuple]:
    cfg = load_config(org / "config.yml")
    con = duckdb.connect()
    extract(cfg, con)
    from pipelines.schema import TABLES as SCHEMA

    cols = ", ".join(f'"{c}"' for c in SCHEMA[table].column_names)
    return sorted(con.execute(f"select {cols} from extract_{table}").fetchall(), key=repr)


def test_same_extract_twice_stores_one_version_and_then_nothing(org, tmp_path):
    wh = tmp_path / "wh"
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: new" for t in TABLES]
    before = hashes(wh)
    assert sorted(before) == ["_manifests/2026-05-15.json"] + [
        f"{t}/valid_from=2026-05-15/part-0.parquet" for t in STORED
    ]
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]
    assert hashes(wh) == before  # no file, not even a manifest: storing a stored day again is a no-op


def test_row_order_of_the_extract_does_not_change_the_history(org, tmp_path):
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-15")
    before = hashes(wh)
    for name in ("opportunities.csv", "opportunity_history.csv", "activities.csv"):
        header, *lines = (org / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (org / name).write_text(header + "".join(reversed(lines)), encoding="utf-8")
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]
    assert hashes(wh) == before


def test_a_quiet_day_writes_only_what_changed(org, tmp_path):
    """Unchanged tables write nothing; a changed deal is one version row; last_activity_date alone is no version."""
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]
    edit(org / "opportunities.csv",
         {"o4,": "o4,r1,Delta,Delta expansion,Negotiation,80000,2026-03-01,2026-06-10,Commit,Send contract,2026-05-16\n",
          "o8,": "o8,r3,Hotel,Hotel deal,Proposal,,2026-04-10,2026-09-30,Pipeline,Call CFO,2026-05-16\n"})
    edit(org / "config.yml", {"  - {name: Proposal": "  - {name: Proposal, kind: open, probability: 0.5}\n"
                                                     "  - {name: Negotiation, kind: open, probability: 0.7}\n"})
    lines = cli_load(org, wh, "2026-05-16")
    assert lines[1] == "opportunities: changed (0 added, 0 removed, 2 changed)"
    later = sorted(k for k in hashes(wh) if "2026-05-14" not in k)
    assert later == ["_manifests/2026-05-15.json", "_manifests/2026-05-16.json",
                     "opportunities/valid_from=2026-05-16/part-0.parquet",
                     "opportunities_volatile/valid_from=2026-05-16/part-0.parquet"]
    con = duckdb.connect()
    versions = con.execute(f"select opportunity_id, stage from '{wh}/opportunities/valid_from=2026-05-16/*.parquet'").fetchall()
    assert versions == [("o4", "Negotiation")]  # o8's new last_activity_date is not a new version of the deal
    touched = con.execute(f"select opportunity_id from '{wh}/opportunities_volatile/valid_from=2026-05-16/*.parquet' "
                          "order by 1").fetchall()
    assert touched == [("o4",), ("o8",)]
    assert state(wh, "opportunities", "2026-05-16") == extract_rows(org, "opportunities")


def test_a_deal_that_leaves_gets_a_tombstone_and_valid_to_is_derived(org, tmp_path):
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    first = extract_rows(org, "opportunities")
    edit(org / "opportunities.csv", {"o3,": None})
    assert cli_load(org, wh, "2026-05-15")[1] == "opportunities: changed (0 added, 1 removed, 0 changed)"
    con = duckdb.connect()
    rows = con.execute(f"select opportunity_id, _deleted from '{wh}/opportunities/valid_from=2026-05-15/*.parquet'").fetchall()
    assert rows == [("o3", True)]
    assert state(wh, "opportunities", "2026-05-14") == first
    assert "o3" not in {r[0] for r in state(wh, "opportunities", "2026-05-15")}


# o4 as a correction gives it: its amount 80000 -> 85000, everything else (its last activity date too) as it was.
O4_CORRECTED = "o4,r1,Delta,Delta expansion,Proposal,85000,2026-03-01,2026-06-10,Commit,Send contract,2026-05-10\n"


def assert_correction_replaces_the_day(org: Path, wh: Path) -> None:
    """Correct the 2026-05-15 extracts (o3 removed, o4's amount changed, o9 added, o4's new history row) and load
    them: each changed table is replaced, a removed deal counted as removed only (not also as changed)."""
    edit(
        org / "opportunities.csv",
        {"o3,": None, "o4,": O4_CORRECTED},
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


def test_corrected_extract_of_the_newest_day_is_a_new_generation(org, tmp_path):
    """Nothing stored changes: the correction is a new file, and the day reads as the corrected extract."""
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    cli_load(org, wh, "2026-05-15")
    before = hashes(wh)
    assert_correction_replaces_the_day(org, wh)
    after = hashes(wh)
    assert {k: after[k] for k in before} == before  # append-only: every earlier file as it was
    assert sorted(set(after) - set(before)) == [
        "_manifests/2026-05-15.1.json",
        "opportunities/valid_from=2026-05-15/part-0.parquet",
        "opportunities_volatile/valid_from=2026-05-15/part-0.parquet",
        "opportunity_history/valid_from=2026-05-15/part-0.parquet",
    ]
    assert [r[0] for r in state(wh, "opportunities", "2026-05-15")] == ["o1", "o2", "o4", "o5", "o6", "o7", "o8", "o9"]
    assert state(wh, "opportunity_history", "2026-05-15") == extract_rows(org, "opportunity_history")
    # A second correction back to the first extract undoes it, in a third generation.
    shutil.copyfile(FIXTURES / "tiny" / "opportunities.csv", org / "opportunities.csv")
    cli_load(org, wh, "2026-05-15")
    assert state(wh, "opportunities", "2026-05-15") == extract_rows(org, "opportunities")
    assert "opportunities/valid_from=2026-05-15/part-1.parquet" in hashes(wh)


def test_a_corrected_extract_of_the_first_stored_day_is_reported_against_what_it_stored(org, tmp_path):
    """The first day loaded again is compared with what it stored at once (`plan._first_day_again`); a
    correction of it still goes the general way and is reported as on any later day: the tiny org's
    o3 removed, o4's amount changed, o9 added (1 added, 1 removed, 1 changed), o4's new history row added."""
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-15")
    before = hashes(wh)
    assert_correction_replaces_the_day(org, wh)
    after = hashes(wh)
    assert {k: after[k] for k in before} == before
    assert [r[0] for r in state(wh, "opportunities", "2026-05-15")] == ["o1", "o2", "o4", "o5", "o6", "o7", "o8", "o9"]
    assert state(wh, "opportunity_history", "2026-05-15") == extract_rows(org, "opportunity_history")
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]  # the correction, again: a no-op
    assert hashes(wh) == after


def test_a_first_day_corrected_in_one_value_counts_one_change(org, tmp_path):
    """o4's amount alone corrected (80000 -> 85000), its last activity date as it was: the deal is one change.
    Its volatile fields are the first day's again (`plan._first_day_again`), and none of them counts."""
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-15")
    edit(org / "opportunities.csv", {"o4,": O4_CORRECTED})
    assert cli_load(org, wh, "2026-05-15") == [
        "reps: unchanged",
        "opportunities: replaced (0 added, 0 removed, 1 changed)",
        "opportunity_history: unchanged",
        "activities: unchanged",
        "quotas: unchanged",
    ]
    assert state(wh, "opportunities", "2026-05-15") == extract_rows(org, "opportunities")


def test_an_older_day_that_differs_is_refused_unless_rebuild(org, tmp_path):
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    cli_load(org, wh, "2026-05-16")
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]  # identical: a no-op
    before = hashes(wh)
    edit(org / "opportunities.csv",
         {"o5,": "o5,r2,Echo,Echo deal,Prospecting,12345,2026-04-01,2026-04-30,Pipeline,,2026-04-02\n"})
    lines = cli_load(org, wh, "2026-05-15", code=1)
    assert len(lines) == 1 and lines[0].startswith(f"history error: {wh}: the extracts of 2026-05-15 differ from the "
                                                   "history stored for that day (opportunities)")
    assert "--rebuild" in lines[0]
    assert hashes(wh) == before
    cli_load(org, wh, "2026-05-15", "--rebuild")
    after = hashes(wh)
    assert {k: after[k] for k in before} == before
    assert [r[5] for r in state(wh, "opportunities", "2026-05-15") if r[0] == "o5"] == [12345]
    # The next load day keeps what it held: o5 back to 20000 there.
    assert [r[5] for r in state(wh, "opportunities", "2026-05-16") if r[0] == "o5"] == [20000]
    shutil.copyfile(FIXTURES / "tiny" / "opportunities.csv", org / "opportunities.csv")
    assert state(wh, "opportunities", "2026-05-16") == extract_rows(org, "opportunities")


def test_an_outside_engine_rebuilds_any_day_from_the_files_alone(org, tmp_path):
    """The README's query: plain Hive-partitioned Parquet, no manifest needed."""
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    day1 = extract_rows(org, "opportunities")
    edit(org / "opportunities.csv", {"o3,": None},
         append="o9,r2,India,India new,Prospecting,10000,2026-05-01,2026-06-30,Pipeline,Call,2026-05-02\n")
    cli_load(org, wh, "2026-05-15")
    con = duckdb.connect()
    for day, expected in (("2026-05-14", day1), ("2026-05-15", extract_rows(org, "opportunities"))):
        got = sorted(con.execute(history.as_of_query(wh, "opportunities", day)).fetchall(), key=repr)
        assert got == expected
    days = con.execute(f"select count(distinct valid_from) from read_parquet('{wh}/*/*/*.parquet', "
                       "hive_partitioning = true, union_by_name = true)").fetchall()
    assert days == [(2,)]


def test_leftovers_of_a_killed_load_are_removed_and_never_read(org, tmp_path):
    """Scratch and a file no manifest lists (a load killed before its manifest): the next load removes both."""
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-14")
    (wh / ".scratch" / "x").mkdir(parents=True)
    (wh / ".scratch" / "x" / "abc.tmp").write_bytes(b"half a file")
    stray = wh / "reps" / "valid_from=2026-05-15" / "part-0.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"not listed")
    assert cli_load(org, wh, "2026-05-15") == [f"{t}: unchanged" for t in TABLES]
    assert not stray.exists() and not stray.parent.exists() and not (wh / ".scratch").exists()


def test_load_can_wait_to_store_until_the_build_passed(org, tmp_path):
    """store=False writes nothing, yet the models see the day's versions."""
    wh = tmp_path / "wh"
    cfg = load_config(org / "config.yml")
    con = duckdb.connect()
    with history.lock(wh, 0):
        load(con, extract(cfg, con), wh, dt.date(2026, 5, 14), cfg=cfg)
    edit(org / "opportunities.csv", {"o3,": None})
    con = duckdb.connect()
    with history.lock(wh, 0):
        result = load(con, extract(cfg, con), wh, dt.date(2026, 5, 15), cfg=cfg, store=False)
        assert sorted(p.name for p in (wh / "_manifests").iterdir()) == ["2026-05-14.json"]
        days = con.execute("select valid_from, count(*), count(*) filter (where is_removed) "
                           "from raw_opportunity_versions group by all order by all").fetchall()
        assert days == [(dt.date(2026, 5, 14), 8, 0), (dt.date(2026, 5, 15), 1, 1)]
        assert [c.describe() for c in store_day(result)][1] == "opportunities: changed (0 added, 1 removed, 0 changed)"
    manifest = json.loads((wh / "_manifests" / "2026-05-15.json").read_text(encoding="utf-8"))
    assert list(manifest["files"]) == ["opportunities/valid_from=2026-05-15/part-0.parquet"]
    assert manifest["files"]["opportunities/valid_from=2026-05-15/part-0.parquet"]["rows"] == 1


def test_a_first_load_written_from_a_view_is_a_sorted_copy_byte_for_byte(org, tmp_path, monkeypatch):
    """A first load writes a table's rows from a view over the extract; the files are those a sorted copy writes."""
    from pipelines.history import plan

    kinds = []
    known = plan._nulls_known
    monkeypatch.setattr(plan, "_nulls_known", lambda *a: kinds.append(known(*a)) or kinds[-1])
    cli_load(org, tmp_path / "view", "2026-05-15")
    assert kinds and all(kinds)  # every table was written from a view
    monkeypatch.setattr(plan, "_nulls_known", lambda *a: False)
    monkeypatch.setattr(plan, "repeats", lambda con, spec: spec.ordinal)  # _n numbered by the window, as it was
    cli_load(org, tmp_path / "copy", "2026-05-15")
    parquet = {k: v for k, v in hashes(tmp_path / "view").items() if k.endswith(".parquet")}
    assert len(parquet) == len(STORED)
    assert parquet == {k: v for k, v in hashes(tmp_path / "copy").items() if k.endswith(".parquet")}


def test_a_view_is_not_written_when_duckdb_thinks_a_filled_column_may_hold_a_null(tmp_path):
    """An UPDATE that fills every null leaves DuckDB's statistics saying "may hold a null"; from a view the file
    would mark that column OPTIONAL where a fresh copy marks it REQUIRED, so the copy is taken."""
    from pipelines.history.layout import STORED as SPECS
    from pipelines.history.plan import _nulls_known

    spec, con = SPECS["activities"], duckdb.connect()
    con.execute("create table extract_activities as select 'a' || i as activity_id, 'r1' as owner_id, "
                "date '2026-05-01' as activity_date, case when i > 1 then 'call' end as type, "
                "null::varchar as opportunity_id, false as _deleted from range(3) r(i)")
    rows = "select * from extract_activities"
    assert _nulls_known(con, spec, rows)  # type and opportunity_id do hold nulls
    con.execute("update extract_activities set type = 'email' where type is null")
    assert not _nulls_known(con, spec, rows)
    con.execute("create table copied as select * from extract_activities")
    written = {}
    for name, source in (("view", "extract_activities"), ("copy", "copied")):
        con.execute(f"copy (select * from {source}) to '{tmp_path / name}.parquet' (format parquet)")
        written[name] = con.execute(f"select repetition_type from parquet_schema('{tmp_path / name}.parquet') "
                                    "where name = 'type'").fetchone()[0]
    assert written == {"view": "OPTIONAL", "copy": "REQUIRED"}


def test_a_repeated_history_row_is_numbered_and_an_extract_without_repeats_needs_no_numbering(org, tmp_path):
    """_n numbers rows that share a key (a window); when none does, every _n is 0 and no window runs."""
    from pipelines.history.layout import STORED as SPECS
    from pipelines.history.plan import repeats

    cfg = load_config(org / "config.yml")
    con = duckdb.connect()
    extract(cfg, con)
    assert not repeats(con, SPECS["opportunity_history"])
    lines = (org / "opportunity_history.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (org / "opportunity_history.csv").write_text("".join(lines) + lines[1], encoding="utf-8")
    con = duckdb.connect()
    extract(cfg, con)
    assert repeats(con, SPECS["opportunity_history"])
    wh = tmp_path / "wh"
    cli_load(org, wh, "2026-05-15")
    stored = duckdb.connect().execute(
        f"select _n, count(*) from '{wh}/opportunity_history/*/*.parquet' group by _n order by _n").fetchall()
    assert stored == [(0, len(lines) - 1), (1, 1)]


def test_an_earlier_day_rebuilt_after_a_table_was_first_stored_empty(org, tmp_path):
    """Activities came with a header only on 2026-05-16 (stored with no file); 2026-05-14 is then loaded with
    --rebuild and its rows. That day gets the tiny org's activities, and 2026-05-16 still holds none: the later
    day is reasserted from what is stored for it, which is nothing (it crashed on the missing scratch tables)."""
    wh = tmp_path / "wh"
    full = (org / "activities.csv").read_text(encoding="utf-8")
    (org / "activities.csv").write_text(full.splitlines(keepends=True)[0], encoding="utf-8")
    cli_load(org, wh, "2026-05-16")
    (org / "activities.csv").write_text(full, encoding="utf-8")
    cli_load(org, wh, "2026-05-14", "--rebuild")
    assert state(wh, "activities", "2026-05-14") == extract_rows(org, "activities")
    assert state(wh, "activities", "2026-05-16") == []
