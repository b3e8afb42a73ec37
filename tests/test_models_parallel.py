"""Models run side by side (`build.jobs` > 1): the same tables, settings and errors as one by one."""

import concurrent.futures
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines import models
from pipelines.catalog import load_catalog
from pipelines.errors import DataTestError, ModelError
from pipelines.settings import Build, Config
from tests.test_catalog import model


def config(jobs: int) -> Config:
    return Config(as_of=dt.date(2026, 5, 15), build=Build(jobs=jobs))


def database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table raw_reps as select 'r' || i as rep_id from range(1, 4) as t(i)")
    return con


def outcome(sql: Path, jobs: int, make=database):
    """What a run says (nothing, or the error's type, message and file) and which models it built."""
    con = make()
    try:
        models.run(config(jobs), con, sql)
        said = None
    except (ModelError, DataTestError) as e:
        said = type(e), str(e), e.file
    built = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                       "where table_name not like 'raw_%'").fetchall()}
    return said, built


def two_chains(tmp_path) -> Path:
    """stg_a -> int_a and stg_b -> int_b (whose x end in '!'): two chains that share nothing."""
    d = tmp_path / "sql"
    model(d, "staging", "stg_a", "select rep_id as x from raw_reps")
    model(d, "staging", "stg_b", "select rep_id || '!' as x from raw_reps")
    model(d, "intermediate", "int_a", "select x from stg_a")
    model(d, "intermediate", "int_b", "select x from stg_b")
    return d


@pytest.fixture
def wide(tmp_path) -> Path:
    """The two chains, and a mart reading both."""
    d = two_chains(tmp_path)
    model(d, "marts", "rep_ab", "select x from int_a union all select x from int_b",
          "grain: one row per x.\nunique: [x]\ncolumns:\n  x: An x.")
    return d


def test_the_tables_are_those_of_a_run_one_by_one(wide):
    """r1..r3 from one chain and r1!..r3! from the other: six distinct rows in the mart, its grain test passes."""
    got = {}
    for jobs in (1, 2):
        con = database()
        result = models.run(config(jobs), con, wide)
        got[jobs] = sorted(con.execute("select x from rep_ab").fetchall())
        assert result.tests_run == 2  # unique and not_null of rep_ab
    assert got[1] == got[2] == [("r1",), ("r1!",), ("r2",), ("r2!",), ("r3",), ("r3!",)]


def test_each_thread_sees_the_settings_and_the_time_zone(tmp_path):
    """as_of (2026-05-15) is a variable and the time zone a setting: DuckDB keeps both per connection, so each
    thread's cursor must be given them. 2026-05-15 00:00 in Tokyo is 2026-05-14 15:00 UTC."""
    d = tmp_path / "sql"
    model(d, "staging", "stg_a", "select rep_id as x from raw_reps")
    for name in ("int_day", "int_day_too"):
        model(d, "intermediate", name,
              "select getvariable('as_of') as x, current_setting('TimeZone') as zone, "
              "timezone('UTC', cast(getvariable('as_of') as timestamptz)) as utc from stg_a limit 1",
              "grain: one row.\ncolumns:\n  x: A day.\n  zone: The time zone.\n  utc: The day's start in UTC.")
    con = database()
    con.execute("set TimeZone = 'Asia/Tokyo'")
    models.run(config(2), con, d)
    for name in ("int_day", "int_day_too"):
        assert con.execute(f"select x, zone, utc from {name}").fetchall() == [
            (dt.date(2026, 5, 15), "Asia/Tokyo", dt.datetime(2026, 5, 14, 15, 0))]


def test_the_first_failing_model_in_order_is_the_one_reported(wide):
    """int_a and int_b both fail, each on its own chain. One by one, int_a (first in order) fails and nothing
    after it runs; side by side, int_b may fail first, but int_a is still reported, and rep_ab, which reads
    both, is never started."""
    model(wide, "intermediate", "int_a", "select nope from stg_a")
    model(wide, "intermediate", "int_b", "select nope_either from stg_b")
    one, built_one = outcome(wide, 1)
    two, built_two = outcome(wide, 2)
    assert one == two
    assert one[0] is ModelError and "model int_a failed" in one[1] and Path(one[2]).name == "int_a.sql"
    assert "rep_ab" not in built_one | built_two


def test_a_failing_data_test_is_reported_as_one_by_one(wide):
    """rep_ab's grain is x, but with int_b returning the same x as int_a every x appears twice: its unique
    test fails on 3 rows, whether the test was asked beside the models or after them."""
    model(wide, "intermediate", "int_b", "select x from stg_a")
    one, _ = outcome(wide, 1)
    two, _ = outcome(wide, 2)
    assert one == two
    assert one[0] is DataTestError and "data test unique(rep_ab: x) failed on 3 row(s)" in one[1]


def test_a_header_test_that_reads_another_model_waits_for_it(tmp_path):
    """int_a's header test reads rep_z (built after it, in another chain) in a subquery: it must run once rep_z
    is built. The database holds last build's int_a and rep_z, each with r1, r2 and r3: asked before this
    build's rep_z (r1 only), the test would pass. Asked after it, r2 and r3 fail it."""
    d = tmp_path / "sql"
    model(d, "staging", "stg_a", "select rep_id as x from raw_reps")
    model(d, "intermediate", "int_a", "select x from stg_a",
          "grain: one row per x.\ntests:\n  - x in (select x from rep_z)\ncolumns:\n  x: An x.")
    model(d, "marts", "rep_z", "select x from stg_a where x = 'r1'")

    def stale_database():
        con = database()
        con.execute("create table rep_z as select rep_id as x from raw_reps")
        con.execute("create table int_a as select rep_id as x from raw_reps")
        return con

    one, _ = outcome(d, 1, stale_database)
    two, _ = outcome(d, 2, stale_database)
    assert one == two
    assert one[0] is DataTestError and "failed on 2 row(s)" in one[1]


def done(value=None) -> concurrent.futures.Future:
    future = concurrent.futures.Future()
    future.set_result(value)
    return future


def failed(error: BaseException) -> concurrent.futures.Future:
    future = concurrent.futures.Future()
    future.set_exception(error)
    return future


@pytest.fixture
def chains(tmp_path) -> list:
    """The two chains' models, in order: int_b may be ready before int_a (its input built first)."""
    found = load_catalog(two_chains(tmp_path)).models
    assert [m.name for m in found] == ["stg_a", "stg_b", "int_a", "int_b"]
    return found


def names(got) -> list[str]:
    return sorted(m.name for m in got)


@pytest.mark.parametrize("int_a_fails", [False, True])
def test_a_later_model_failing_first_still_lets_the_earlier_ones_run(chains, int_a_fails):
    """stg_b finishes first, and int_b fails while int_a (before it in order) has not started: int_a still runs,
    as it would one by one. If int_a fails too, its error is the one raised; if not, int_b's."""
    plan = models._Plan(chains, [])
    stg_a, stg_b, int_a, int_b = chains
    assert names(plan.ready()) == ["stg_a", "stg_b"]
    plan.finished(stg_b, done())
    assert names(plan.ready()) == ["int_b"]
    plan.finished(int_b, failed(ModelError("model int_b failed", "int_b.sql")))
    assert plan.ready() == []
    plan.finished(stg_a, done())
    assert names(plan.ready()) == ["int_a"]
    plan.finished(int_a, failed(ModelError("model int_a failed", "int_a.sql")) if int_a_fails else done())
    assert plan.ready() == []
    with pytest.raises(ModelError, match="int_a" if int_a_fails else "int_b"):
        plan.outcome()


def test_nothing_starts_after_a_failure_but_what_comes_before_it(chains):
    """stg_a fails first: int_b (after it in order) never starts though its input is built, nor int_a, which
    reads stg_a."""
    plan = models._Plan(chains, [])
    stg_a, stg_b, int_a, int_b = chains
    plan.ready()
    plan.finished(stg_a, failed(ModelError("model stg_a failed", "stg_a.sql")))
    plan.finished(stg_b, done())
    assert plan.ready() == []
    with pytest.raises(ModelError, match="stg_a"):
        plan.outcome()


def test_a_test_that_cannot_be_asked_is_raised_after_a_failing_model(chains):
    """A data test whose asking raised something other than a DuckDB error (a bug) is raised, but only when no
    model failed: a failing model is what a run one by one reports first."""
    test = models.DataTest("t", "t.sql", "select 1", "stg_b")
    plan = models._Plan(chains, [test])
    stg_a, stg_b, int_a, int_b = chains
    plan.ready()
    plan.finished(stg_b, done())
    assert plan.ready() == [int_b, 0]  # the test reads stg_b only
    plan.finished(0, failed(RuntimeError("a bug")))
    plan.finished(stg_a, failed(ModelError("model stg_a failed", "stg_a.sql")))
    with pytest.raises(ModelError, match="stg_a"):
        plan.outcome()
    plan.failed.clear()
    with pytest.raises(RuntimeError, match="a bug"):
        plan.outcome()


def test_models_run_one_at_a_time_when_duckdb_holds_half_its_limit(wide, monkeypatch):
    """A 64 MiB limit and a table of 8 million BIGINTs (61 MiB of values): DuckDB holds about 64 MiB and
    spills the rest, so there is no room for two models at once, and they run one by one."""
    side_by_side = []
    monkeypatch.setattr(models, "run_models", lambda *a: side_by_side.append(1) or set())
    roomy = database()
    assert models.room_for_two(roomy)
    models.run(config(2), roomy, wide)
    assert side_by_side == [1]

    tight = database()
    tight.execute("set memory_limit = '64MiB'")
    tight.execute("create table filler as select range as i from range(8000000)")
    assert not models.room_for_two(tight)
    models.run(config(2), tight, wide)
    assert side_by_side == [1]  # not called again
    assert tight.execute("select count(*) from rep_ab").fetchall() == [(6,)]
