"""Data tests: asking each one `exists` first reports exactly what running every test in full reports."""

import duckdb
import pytest

from pipelines import models
from pipelines.errors import DataTestError, ModelError


def run_tests_in_full(con, tests):
    """models.run_tests as it was before it asked `exists` first: the reference for the fast path.

    Two changes, to how failing rows are counted: the test's SQL is on lines of its own, so a test ending in a
    `--` comment no longer breaks the count (it raised a raw ParserException); and the count is fetched to the
    end, so the connection is free for the next test (which otherwise "could not run: Resource In Use")."""
    failures = []
    for t in tests:
        try:
            rel = con.sql(t.sql)
            cols = rel.columns
            rows = rel.limit(5).fetchall()
        except duckdb.Error as e:
            raise ModelError(f"data test {t.name} could not run: {str(e).splitlines()[0]}", t.file) from e
        if rows:
            n = con.execute(f"select count(*) from (\n{t.sql}\n)").fetchall()[0][0]
            failures.append((t, n, [dict(zip(cols, r)) for r in rows]))
    if failures:
        t, n, sample = failures[0]
        others = f"; {len(failures) - 1} more test(s) failed" if len(failures) > 1 else ""
        raise DataTestError(f"data test {t.name} failed on {n} row(s), e.g. {sample[0]}{others}", t.file, sample)


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
    except duckdb.Error as e:  # a test of two statements, or ending in `;`, breaks the count either way
        return type(e), str(e).splitlines()[0]
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
def test_asking_exists_first_reports_what_the_full_run_reports(con, sqls):
    expected = outcome(run_tests_in_full, con, sqls)
    assert outcome(models.run_tests, con, sqls) == expected
    assert (expected is None) == (sqls == [PASSES])


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
