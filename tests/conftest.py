"""Shared fixtures. Built orgs are session-scoped and read-only: each is built once per test run."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

# Re-exported: tests import these from here or from tests.helpers.
from tests.helpers import FIXTURES, ROOT, models_on, one, rows, run_model, tuples  # noqa: F401


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """The hand-written tiny org (tests/fixtures/tiny), every model built; read it, never change it."""
    return models_on(FIXTURES / "tiny" / "config.yml", tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_models(tiny) -> duckdb.DuckDBPyConnection:
    """The same built tiny org (kept as a name for tests that only read model outputs)."""
    return tiny


@pytest.fixture(scope="session")
def metrics(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """The metrics org (tests/fixtures/metrics), every model built, for the hand-worked values of the
    test_metrics_* modules; read it, never change it (test_metrics_flow, which edits a table, builds its own)."""
    return models_on(FIXTURES / "metrics" / "config.yml", tmp_path_factory.mktemp("metrics"))


@pytest.fixture(scope="session")
def tiny_site(tmp_path_factory) -> Path:
    """The tiny org built into a whole site, once per test session."""
    from pipelines.cli import prepare, run_build

    tmp = tmp_path_factory.mktemp("tiny-site")
    out = tmp / "site"
    run_build(prepare(FIXTURES / "tiny" / "config.yml"), out, tmp / "warehouse")
    return out
