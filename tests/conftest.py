"""Shared test helpers: run the pipeline's first three stages on a fixture config."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines.extract import extract
from pipelines.load import load
from pipelines.models import run
from pipelines.settings import load_config

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


def models_on(config_path: Path, tmp_path: Path, snapshot_date: dt.date | None = None) -> duckdb.DuckDBPyConnection:
    """Extract, load (into a throwaway warehouse) and run every model and data test."""
    cfg = load_config(config_path)
    con = duckdb.connect()
    result = extract(cfg, con)
    load(con, result, tmp_path / "warehouse", snapshot_date or cfg.as_of or dt.date.today(), cfg=cfg)
    run(cfg, con)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params=None) -> list[dict]:
    rel = con.execute(sql, params or [])
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r)) for r in rel.fetchall()]


@pytest.fixture
def tiny(tmp_path) -> duckdb.DuckDBPyConnection:
    """The hand-written tiny org (tests/fixtures/tiny), every model built."""
    return models_on(FIXTURES / "tiny" / "config.yml", tmp_path)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """The tiny org with every model built, once per session: for tests that only read."""
    return models_on(FIXTURES / "tiny" / "config.yml", tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory) -> Path:
    """The tiny org built into a whole site, once per test session."""
    from pipelines.cli import prepare, run_build

    tmp = tmp_path_factory.mktemp("tiny-site")
    out = tmp / "site"
    run_build(prepare(FIXTURES / "tiny" / "config.yml"), out, tmp / "warehouse")
    return out
