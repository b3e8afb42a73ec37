"""Data tests: asking each one `exists` first reports exactly what running every test in full reports."""

import duckdb
import pytest

from pipelines import models
from pipelines.errors import DataTestError, ModelError


PASSES = "select * from deals where amount < 0"
FAILS = "select * from deals where amount > 15"
ENDS_IN_A_COMMENT = "select deal_id from deals where amount > 25 -- the big ones"
CTE = "with big as (select * from deals where amount > 5) select deal_id, count(*) as n from big group by all"
CANNOT_RUN = "select * from deals where nope > 1"
TWO_STATEMENTS = "select 1; select 2"
SEMICOLON = "select * from deals where amount > 35;"


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create table deals as select 'd' || i as deal_id, i * 1.0 as amount from range(1, 41) as t(i)")
    return con


def outcome(run, con, sqls):
    """What a run says: nothing, or the error's type, message, file and sample rows."""
    tests = [models.DataTest(f"test {i}", f"tests/{i}.sql", sql) for i, sql in enumerate(sqls)]
    try:
        run(con, tests)
    except (DataTestError, ModelError) as e:
        return type(e), str(e), e.file, getattr(e, "sample", None)
    return None


@pytest.mark.parametrize("sqls", [
    [PASSES],
    [PASSES, FAILS],
    [FAILS, ENDS_IN_A_COMMENT, CTE],
    [PASSES, ENDS_IN_A_COMMENT],
    [PASSES, CANNOT_RUN, FAILS],
    [FAILS, TWO_STATEMENTS],
    [PASSES, SEMICOLON],
    [CTE],
])
def test_asking_exists_first_reports_what_the_full_run_reports(con, sqls, monkeypatch):
    got = outcome(models.run_tests, con, sqls)
    with monkeypatch.context() as m:
        m.setattr(models, "_may_fail", lambda con, test: True)  # the reference: every test run in full
        expected = outcome(models.run_tests, con, sqls)
    assert got == expected
    assert (expected is None) == (sqls == [PASSES])


def test_a_singular_test_file_may_end_in_a_semicolon(con, tmp_path):
    """tests/big.sql reads `select * from deals where amount > 35;`: deals d36-d40 fail it, 5 rows, and the
    error says so (it was a raw ParserException, an internal error, from the count around it)."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "big.sql").write_text(SEMICOLON + "\n", encoding="utf-8")
    (test,) = models.data_tests([], tmp_path)
    with pytest.raises(DataTestError, match=r"data test big failed on 5 row\(s\)"):
        models.run_tests(con, [test])


def test_a_passing_test_is_asked_once(con):
    seen = []

    class Counting:
        def execute(self, sql, *args):
            seen.append(sql)
            return con.execute(sql, *args)

        def sql(self, sql):
            seen.append(sql)
            return con.sql(sql)

    models.run_tests(Counting(), [models.DataTest("none below zero", "t.sql", PASSES)])
    assert seen == [f"select exists (\n{PASSES}\n)"]
