"""config.yml at its edges: a file that cannot be read or parsed is one line naming it; an empty one is the
demo org, which every page then says, and which --no-demo refuses."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main, prepare


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


@pytest.mark.parametrize("content, message", [
    ("# org\norg_name: Jos\xe9\n".encode("latin-1"), "is not UTF-8 text (first invalid byte on line 2); save it as UTF-8"),
    (("a:\n" + "".join("  " * i + "b:\n" for i in range(1, 3000))).encode(), "is nested too deeply to be a config file"),
    (b"[" * 20000, "is nested too deeply to be a config file"),
    (b"- one\n- two\n", "must be a YAML mapping of keys to values, not a list"),
    (b"just text\n", "must be a YAML mapping of keys to values, not a str"),
    (b"[]\n", "must be a YAML mapping of keys to values, not a list"),
    (b"base_dir: /etc\n", "unknown key `base_dir`"),
    (b"preset: salesforce\nsources: [1, 2]\n", "`sources`: Input should be a valid dictionary"),
])
def test_unreadable_config_is_one_line_naming_it(tmp_path, content, message):
    config = tmp_path / "config.yml"
    config.write_bytes(content)
    code, lines = run("build", "--config", str(config), "--out", str(tmp_path / "site"))
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"config error: {config}: {message}"), lines[0]


def test_a_folder_as_config_is_one_line(tmp_path):
    code, lines = run("build", "--config", str(tmp_path), "--out", str(tmp_path / "site"))
    assert code == 1 and len(lines) == 1 and lines[0].startswith(f"config error: {tmp_path}: cannot be read")


@pytest.mark.parametrize("content", ["", "# sources come later\n", "---\n"])
def test_an_empty_config_is_the_demo_org(tmp_path, content):
    config = tmp_path / "config.yml"
    config.write_text(content, encoding="utf-8")
    assert prepare(config).is_demo


def test_no_demo_refuses_a_config_without_sources(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("", encoding="utf-8")
    for command in ("build", "load"):
        code, lines = run(command, "--config", str(config), "--no-demo", "--warehouse", str(tmp_path / "wh"))
        assert code == 1 and len(lines) == 1, lines
        assert lines[0].startswith(f"config error: {config}: configures no `sources:`")
    assert not (tmp_path / "wh").exists()


def test_every_page_of_the_demo_says_demo_data(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("demo: {reps: 4}\n", encoding="utf-8")
    code, lines = run("build", "--config", str(config), "--out", str(tmp_path / "site"),
                      "--warehouse", str(tmp_path / "wh"))
    assert code == 0, lines
    pages = [p for p in Path(tmp_path / "site").rglob("index.html")]
    assert len(pages) > 10
    for page in pages:
        assert "Demo data</strong>: a generated demo org" in html.unescape(page.read_text(encoding="utf-8")), page


def test_a_configured_org_has_no_demo_banner(tiny_site):
    assert "Demo data" not in (tiny_site / "index.html").read_text(encoding="utf-8")
