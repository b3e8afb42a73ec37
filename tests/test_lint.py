"""The SQL models lint clean with sqlfluff (dialect duckdb), as the pull-request workflow checks."""

import subprocess
import sys

from tests.conftest import ROOT


def test_sql_lints_clean():
    sqlfluff = [sys.executable, "-m", "sqlfluff", "lint", "sql", "--dialect", "duckdb", "--processes", "1"]
    result = subprocess.run(sqlfluff, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
