"""The `build:` settings: how a build uses the machine, declared and validated like every other key.

They replaced environment variables and a hard-coded DuckDB memory cap; the stages report
what they did (workers, pages reused) in the summary that `build --timings` writes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from pipelines import cli, pages, site, workers
from pipelines.errors import ConfigError
from pipelines.settings import PROJECT_ROOT, Config, parse_config
from tests.conftest import FIXTURES, ROOT


def test_defaults():
    build = Config().build
    assert build.jobs is None and build.page_cache is True and build.duckdb_memory == "800MB"
    assert build.cache_path == ROOT / ".cache" == PROJECT_ROOT / ".cache"


def test_cache_dir_is_relative_to_the_project_not_to_config_yml(tmp_path):
    cfg = parse_config({"build": {"cache_dir": "var/cache"}}, tmp_path / "elsewhere" / "config.yml")
    assert cfg.build.cache_path == ROOT / "var" / "cache"
    cfg = parse_config({"build": {"cache_dir": str(tmp_path / "c")}}, tmp_path / "config.yml")
    assert cfg.build.cache_path == tmp_path / "c"


@pytest.mark.parametrize("value", ["1GB", "512MiB", "1.5 GB", "50%", "2g"])
def test_duckdb_memory_accepts_what_duckdb_reads(value, tmp_path):
    cfg = parse_config({"build": {"duckdb_memory": value}}, tmp_path / "config.yml")
    duckdb.connect(config={"memory_limit": cfg.build.duckdb_memory}).close()


@pytest.mark.parametrize("raw, key", [({"duckdb_memory": "lots"}, "build.duckdb_memory"),
                                      ({"duckdb_memory": "100"}, "build.duckdb_memory"),
                                      ({"jobs": 0}, "build.jobs"),
                                      ({"page_cache": "sometimes"}, "build.page_cache"),
                                      ({"workers": 2}, "build.workers")])
def test_bad_values_name_the_key(raw, key, tmp_path):
    with pytest.raises(ConfigError, match=f"`{key}`"):
        parse_config({"build": raw}, tmp_path / "config.yml")


def test_no_runtime_module_reads_knobs_from_the_environment_or_keeps_figures_for_the_bench():
    for path in sorted((ROOT / "pipelines").glob("*.py")):
        assert "SCORECARDS_" not in path.read_text(encoding="utf-8"), path.name
    assert not hasattr(site, "LAST_BUILD")
    assert not (ROOT / "pipelines" / "render_pool.py").exists() and not (ROOT / "pipelines" / "bench.py").exists()
    assert pages.workers is workers and site.workers is workers  # one pool for both stages


def test_build_settings_reach_the_stages(tmp_path, monkeypatch):
    """jobs, page_cache, duckdb_memory and cache_dir each change what the build does, as the summary shows."""
    org = tmp_path / "org"
    shutil.copytree(FIXTURES / "tiny", org)
    config = yaml.safe_load((org / "config.yml").read_text(encoding="utf-8"))
    cache = tmp_path / "cache"
    config["build"] = {"jobs": 1, "page_cache": False, "duckdb_memory": "256MB", "cache_dir": str(cache)}
    (org / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    # The Vega bundle is read from cache_dir: a marker there proves which folder the build used.
    cache.mkdir()
    site.vega_bundle_file(cache).write_text("/* marker */", encoding="utf-8")
    # The model catalog's parse-only connection (no data, so no limit) is made once per process, by whichever
    # test parses SQL first: made here, before counting, so this test sees only the build's own connections.
    from pipelines.catalog import load_catalog

    load_catalog()
    limits = []
    real_connect = duckdb.connect

    def connect(*args, config=None, **kwargs):
        limits.append((config or {}).get("memory_limit"))
        return real_connect(*args, config=config or {}, **kwargs)

    monkeypatch.setattr(cli.duckdb, "connect", connect)
    summaries = []
    for n in range(2):
        timings = tmp_path / f"timings-{n}.json"
        result = CliRunner().invoke(cli.main, ["build", "--config", str(org / "config.yml"), "--out",
                                               str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh"),
                                               "--timings", str(timings)])
        assert result.exit_code == 0, result.output
        summaries.append(json.loads(timings.read_text(encoding="utf-8")))
    assert limits == ["256MB", "256MB"]
    assert (tmp_path / "site" / "assets" / "vega.js").read_text(encoding="utf-8") == "/* marker */"
    for s in summaries:
        assert s["site"]["workers"] == 1 and s["pages"]["workers"] == 1
        assert s["site"]["rendered"] == s["site"]["pages"] > 0 and s["site"]["reused"] == 0  # no page cache
        assert s["pages"]["chart_calls"] > 0 and s["pages"]["chart_seconds"] >= 0
        assert set(s["seconds"]) == set(s["cpu_seconds"]) >= {"config", "load", "models", "pages", "site"}


def test_warm_cache_makes_what_a_first_build_would_and_nothing_else(tmp_path, monkeypatch):
    """`warm-cache` (make install, site, test and bench run it once) fills build.cache_dir with what a build keeps
    there: the Vega bundle, the theme's and the pages' compiled templates, the tables each model reads. A build of
    another org afterwards finds all of it and writes nothing into the cache (no file added, none rewritten). It
    takes only `build:` from the config (here a relative cache_dir, under the project root as by default, and a
    warehouse it must not make); its scratch (a 4-rep demo org, its site and history) is gone, and nothing is
    written where it ran or elsewhere under the project root."""
    import tempfile

    from pipelines import settings

    root, scratch, here = tmp_path / "root", tmp_path / "scratch", tmp_path / "here"
    for folder in (root, scratch, here):
        folder.mkdir()
    monkeypatch.setattr(settings, "PROJECT_ROOT", root)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(here)
    (here / "config.yml").write_text(yaml.safe_dump({"build": {"cache_dir": "var/cache"}, "warehouse": "wh"}),
                                     encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["warm-cache", "--config", str(here / "config.yml")])
    assert result.exit_code == 0, result.output
    cache = root / "var" / "cache"
    assert f"caches filled in {cache}" in result.output
    assert [p.name for p in here.iterdir()] == ["config.yml"] and list(scratch.iterdir()) == []
    assert [p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_relative_to(cache)] == ["var"]
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        ["page-templates", "theme-templates", "sql-references.json", site.vega_bundle_file(cache).name])

    def files() -> dict[Path, tuple[int, int, int]]:
        return {p: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in cache.rglob("*") if p.is_file()}

    warmed = files()
    for kind in ("page-templates", "theme-templates"):
        assert any(p.is_relative_to(cache / kind) for p in warmed), f"nothing compiled into {kind}"
    org = tmp_path / "org"
    shutil.copytree(FIXTURES / "tiny", org)
    config = yaml.safe_load((org / "config.yml").read_text(encoding="utf-8"))
    config["build"] = {"cache_dir": str(cache)}
    (org / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["build", "--config", str(org / "config.yml"), "--out",
                                           str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    assert files() == warmed  # the same files, none replaced (a rewrite is a new inode)


def test_warm_cache_that_cannot_write_says_so_and_does_not_fail(tmp_path):
    """A cache_dir that cannot be made (under a file) is no cache, as in a build: a yellow note, exit 0."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    (tmp_path / "config.yml").write_text(yaml.safe_dump({"build": {"cache_dir": str(tmp_path / "a-file" / "c")}}),
                                         encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["warm-cache", "--config", str(tmp_path / "config.yml")])
    assert result.exit_code == 0, result.output
    assert "note: nothing could be kept in" in result.output and "caches filled" not in result.output
