"""Generic CRM exports as they come: the traps every CRM's export has, each with a small hand-made fixture.

Each test names its fixture (tests/fixtures/<name>) and works its expected values out by hand in its docstring.
"""

from __future__ import annotations

import duckdb

from pipelines.extract import extract
from pipelines.settings import load_config
from tests.conftest import FIXTURES


def extracted(name: str):
    con = duckdb.connect()
    return con, extract(load_config(FIXTURES / name / "config.yml"), con)


def test_placeholder_ids_read_as_empty():
    """placeholders: o2's owner is 000000000000000AAA and o3's is 0, so both have no owner and are rejected
    ("missing owner_id"); r00 is a real id (it is not all zeros); an account named like a placeholder is text."""
    con, result = extracted("placeholders")
    assert con.execute('select "row", value, reason from quarantine order by "row"').fetchall() == [
        (3, None, "missing owner_id"), (4, None, "missing owner_id")
    ]
    assert con.execute("select opportunity_id, owner_id, account from extract_opportunities order by 1").fetchall() == [
        ("o1", "r1", "000000000000000AAA"), ("o4", "r00", "Delta")
    ]
