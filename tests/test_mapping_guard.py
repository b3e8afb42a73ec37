"""A column mapping is one scalar SQL expression: statements, subqueries, table functions and file,
network or shell access are refused with one line naming the key, before DuckDB runs anything."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.extract.parsers import define_macros
from pipelines.sqlguard import refusal
from tests.conftest import FIXTURES, ROOT


def build_with(tmp_path: Path, column: str, spec) -> tuple[int, list[str]]:
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    config = tmp_path / "org" / "config.yml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["sources"]["opportunities"]["columns"] = {column: spec}
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


HOSTILE = [
    ("next_step", "next_step); copy (select * from extract_reps) to 'OUT' (header); select (1", "a second statement"),
    ("next_step", "read_text('/etc/passwd')", "read_text()"),
    ("next_step", "(select string_agg(name, ',') from extract_reps)", "a subquery"),
    ("next_step", "getenv('HOME')", "getenv()"),
    ("next_step", "(select content from read_csv('/etc/hosts'))", "a subquery"),
    ("next_step", "'x' || (select 1)", "a subquery"),
    ("account", "count(*) over ()", "a window function"),
    ("account", "string_agg(account, ',')", "string_agg() (not a scalar function)"),
    ("account", "1) union all select (2", "a query"),
    ("account", "[account, name][1]", None),  # harmless: list indexing
    ("next_step", "sleep_ms(100000)", "sleep_ms()"),  # a build that hangs
    ("next_step", "write_log('x')", "write_log()"),
    ("next_step", "__internal_json_copy_to_json(next_step)", "__internal_json_copy_to_json()"),
]


@pytest.mark.parametrize("column, expression, why", HOSTILE)
def test_hostile_mapping_is_refused_with_one_line_naming_the_key(tmp_path, column, expression, why):
    out = tmp_path / "OUT"
    code, lines = build_with(tmp_path, column, expression.replace("OUT", str(out)))
    assert not out.exists()  # nothing ran
    if why is None:
        assert code == 0, lines
        return
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"config error: opportunities.csv: `sources.opportunities.columns.{column}`: {why}")
    assert "one scalar expression" in lines[0]
    assert not (tmp_path / "site").exists()


def test_a_hostile_candidate_in_a_list_is_refused_too(tmp_path):
    code, lines = build_with(tmp_path, "next_step", ["No such column", "read_text('x')", "next_step"])
    assert code == 1 and "read_text()" in lines[0]


def test_ordinary_expressions_stay_legal():
    con = duckdb.connect()
    define_macros(con)
    for expression in ["a || ' / ' || coalesce(b, '?')", "case when is_won = 'true' then 'Closed Won' else deal_stage end",
                       "cast(x as date)", "x::decimal(18, 2)", "parse_date(\"Close Date\")", "strptime(a, '%d/%m/%Y')",
                       "'(unassigned)'", "lower(trim(a)) collate nocase", "a between 1 and 2 and b is not null",
                       "regexp_replace(a, '[^0-9]', '', 'g')", "Value (EUR)", "coalesce(nullif(a, ''), b)"]:
        assert refusal(con, expression) is None, expression


def test_every_preset_and_fixture_mapping_is_legal():
    con = duckdb.connect()
    define_macros(con)
    files = sorted((ROOT / "pipelines" / "presets").glob("*.yml")) + sorted(FIXTURES.glob("*/config.yml"))
    checked = 0
    for path in files:
        for sources in ((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources") or {}).values():
            for source in sources if isinstance(sources, list) else [sources]:
                for spec in (source.get("columns") or {}).values():
                    for candidate in spec if isinstance(spec, list) else [spec]:
                        assert refusal(con, candidate) is None, (path.name, candidate)
                        checked += 1
    assert checked > 20


FRAGMENTS = [
    # Not one expression alone, but SQL after it completes it: `with t as (select 1` + `) from <file> limit 0` is a
    # query, so three statements would run, the COPY among them.
    "1); copy (select * from read_text('/etc/hostname')) to 'OUT'; with t as (select 1",
    # A trailing comment must not swallow the closing parenthesis the guard saw.
    "1) --",
    "next_step) -- ",
]


@pytest.mark.parametrize("expression", FRAGMENTS)
def test_a_fragment_that_only_parses_with_more_sql_after_it_never_runs(tmp_path, expression):
    """The guard judges `select (<expression>\\n)`; text that does not parse so is reported, never run."""
    out = tmp_path / "OUT"
    code, lines = build_with(tmp_path, "next_step", expression.replace("OUT", str(out)))
    assert not out.exists()  # nothing ran
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith("config error: opportunities.csv: `sources.opportunities.columns.next_step`: ")
    assert "is neither a column of this file nor a valid expression" in lines[0]


def test_a_fragment_in_a_list_of_candidates_is_skipped_without_running(tmp_path):
    out = tmp_path / "OUT"
    code, lines = build_with(tmp_path, "next_step", [FRAGMENTS[0].replace("OUT", str(out)), "next_step"])
    assert not out.exists()
    assert code == 0, lines


def test_a_comment_inside_an_expression_stays_legal(tmp_path):
    code, lines = build_with(tmp_path, "next_step", "coalesce(next_step, '--') -- the rep's next step")
    assert code == 0, lines
