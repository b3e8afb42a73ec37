"""A failed build says why in one line, exits non-zero without a traceback, and leaves the last site as it was."""

from __future__ import annotations

import hashlib
import shutil
import traceback
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pipelines import models
from pipelines.cli import main
from pipelines.errors import ConfigError, ScorecardError
from tests.conftest import FIXTURES


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def build(tmp_path: Path):
    return CliRunner().invoke(
        main,
        ["build", "--config", str(tmp_path / "org" / "config.yml"), "--out", str(tmp_path / "site"),
         "--warehouse", str(tmp_path / "wh")],
    )


def failed_line(result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    return lines[0]


@pytest.fixture(scope="module")
def first_build(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The tiny org built once for the module: the folder (org, site, warehouse, and the cache, report and lock a
    build leaves beside the site) and the site's file hashes."""
    folder = tmp_path_factory.mktemp("built")
    shutil.copytree(FIXTURES / "tiny", folder / "org")
    result = build(folder)
    assert result.exit_code == 0, result.output
    site = hashes(folder / "site")
    assert "index.html" in site
    return folder, site


@pytest.fixture
def built(tmp_path, first_build) -> dict[str, str]:
    """tmp_path as the tiny org's build left it (a copy of first_build's folder, so each test breaks its own);
    returns the site's file hashes."""
    folder, site = first_build
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    assert hashes(tmp_path / "site") == site
    return site


def leftovers(tmp_path: Path) -> list[str]:
    """Scratch folders a build creates beside the output (pipelines/cli.py, site.py); none may survive."""
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".site-build-", ".site-docs-", ".site-old-")))


def rebuild_fails(tmp_path: Path, built: dict[str, str], code: int = 1) -> str:
    """Build again over the site `built` made: it fails with one line (returned), and the site is as it was,
    with no scratch folder left beside it."""
    line = failed_line(build(tmp_path), code)
    assert hashes(tmp_path / "site") == built
    assert leftovers(tmp_path) == []
    return line


def test_too_many_rejected_rows_keep_the_previous_site(tmp_path, built):
    deals = tmp_path / "org" / "opportunities.csv"
    deals.write_text(
        deals.read_text(encoding="utf-8") + "o9,r1,India,India deal,Verbal Yes,1000,2026-04-01,2026-05-01,,,\n",
        encoding="utf-8",
    )
    line = rebuild_fails(tmp_path, built)
    assert line.startswith("too many rejected rows: opportunities.csv: 1 of 9 rows (11.1%) of opportunities were rejected")
    assert "(most common: unknown stage (add it to config stages): 1)" in line


def test_failing_data_test_keeps_the_previous_site(tmp_path, built, monkeypatch):
    real = models.data_tests

    def with_a_failing_test(found, sql_dir=models.SQL_DIR):
        return real(found, sql_dir) + [
            models.DataTest("no rep is named Ann", models.SQL_DIR / "tests", "select * from stg_reps where name like 'Ann%'")
        ]

    monkeypatch.setattr(models, "data_tests", with_a_failing_test)
    line = rebuild_fails(tmp_path, built)
    assert line.startswith("data test failed: ")
    assert "data test no rep is named Ann failed on 1 row(s)" in line


def test_unexpected_error_keeps_the_previous_site(tmp_path, built, monkeypatch):
    from pipelines import pages

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "render", broken)
    line = rebuild_fails(tmp_path, built, code=2)
    assert line == "internal error: RuntimeError: boom (run with --debug for the traceback)"


def test_unexpected_error_of_many_lines_is_still_one_line(tmp_path, built, monkeypatch):
    """DuckDB's own errors run over lines (a hint, the query): the line says the first."""
    from pipelines import pages

    def broken(*args, **kwargs):
        raise RuntimeError("Catalog Error: Table with name x does not exist!\nDid you mean \"y\"?\n\nLINE 1: ...")

    monkeypatch.setattr(pages, "render", broken)
    line = rebuild_fails(tmp_path, built, code=2)
    assert line == ("internal error: RuntimeError: Catalog Error: Table with name x does not exist! "
                    "(run with --debug for the traceback)")


def test_broken_extract_keeps_the_previous_site(tmp_path, built):
    (tmp_path / "org" / "reps.csv").write_bytes(b"rep_id,name\nr1,Jos\x81\n")  # 0x81: neither UTF-8 nor Windows-1252
    line = rebuild_fails(tmp_path, built)
    assert line == (
        "data error: reps.csv: unknown encoding: byte 0x81 on row 2, column name is neither UTF-8 nor Windows-1252; "
        "re-export the file as UTF-8, or set `sources.reps.encoding` to the file's encoding (utf-8, utf-16, "
        "windows-1252 or latin-1)"
    )


def test_config_error_names_the_key(tmp_path, built):
    config = tmp_path / "org" / "config.yml"
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["sources"]["opportunities"]["columns"] = {"owner_id": "Owner Name"}
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    line = rebuild_fails(tmp_path, built)
    assert line.startswith("config error: opportunities.csv: `sources.opportunities.columns.owner_id`: 'Owner Name' is "
                           "neither a column of this file nor a valid expression")
    assert line.endswith("columns present: opportunity_id, owner_id, account, name, stage, amount, created_date, "
                         "close_date, forecast_category, next_step, last_activity_date")


def test_debug_is_read_from_the_command_line_not_sys_argv(tmp_path):
    """Under CliRunner (sys.argv is pytest's): without --debug one red line and exit 1, with it the traceback."""
    args = ["build", "--config", str(tmp_path / "missing.yml"), "--out", str(tmp_path / "site")]
    plain = CliRunner().invoke(main, args, color=True)
    assert plain.exit_code == 1, plain.output
    lines = [line for line in plain.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in plain.output
    assert lines[0] == f"\x1b[31mconfig error: {tmp_path / 'missing.yml'}: config file not found (pass --config FILE)\x1b[0m"

    debug = CliRunner().invoke(main, ["--debug", *args])
    assert isinstance(debug.exception, ScorecardError) and isinstance(debug.exception, ConfigError)
    shown = "".join(traceback.format_exception(*debug.exc_info))
    assert shown.startswith("Traceback") and "load_config" in shown and "config file not found" in shown
    with pytest.raises(ConfigError, match="config file not found"):
        CliRunner().invoke(main, ["--debug", *args], catch_exceptions=False)


def test_a_build_whose_scratch_goes_in_the_background_leaves_the_same_site_and_no_scratch(tmp_path, built,
                                                                                           monkeypatch):
    """With every scratch folder removed by a detached process (as a large org's are), a rebuild gives the
    same site, and the scratch is gone soon after."""
    import time

    from pipelines import atomic

    monkeypatch.setattr(atomic, "BACKGROUND_REMOVAL_PAGES", 1)
    assert build(tmp_path).exit_code == 0
    assert hashes(tmp_path / "site") == built
    deadline = time.monotonic() + 20
    while leftovers(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("args, status, out, err", [
    (["--help"], 0, "Usage: python -m pipelines", ""),
    (["nosuch"], 2, "", "No such command 'nosuch'"),
    (["build", "--config", "/nonexistent/config.yml"], 1, "", "config error: /nonexistent/config.yml"),
])
def test_python_m_pipelines_ends_with_the_commands_status_and_all_it_printed(args, status, out, err):
    """`python -m pipelines` leaves with os._exit once the command is done (pipelines/__main__.py): the status is
    click's, and what was printed to a pipe is all there, flushed before the process went."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "pipelines", *args], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parent.parent)
    assert p.returncode == status
    assert out in p.stdout and err in p.stderr
    if status == 1:
        assert len(p.stderr.strip().splitlines()) == 1


def test_the_exit_status_is_what_sys_exit_gives(capsys):
    from pipelines.__main__ import _exit_status

    assert [_exit_status(c) for c in (None, 0, 1, 2)] == [0, 0, 1, 2]
    assert _exit_status("a message") == 1 and capsys.readouterr().err == "a message\n"


def test_python_m_pipelines_with_stdout_and_stderr_closed_keeps_the_commands_status():
    """A scheduler may start the CLI with its output closed (Python then has no sys.stdout): --help still exits 0."""
    import subprocess
    import sys

    p = subprocess.run(f"{sys.executable} -m pipelines --help >&- 2>&-", shell=True,
                       cwd=Path(__file__).resolve().parent.parent)
    assert p.returncode == 0
