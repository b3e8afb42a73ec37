"""The demo's forecast calls: opt-in, deterministic, and spread the way real forecasters are.

Without the option the demo must keep writing exactly what it wrote before (tests/test_demo.py checks its
files); with it, the same files plus forecast_calls.csv and one config line.
"""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from datetime import date, datetime

import pytest
import yaml

from pipelines.demo import DEMO_AS_OF, generate_demo
from pipelines.demo_forecast import HEADER
from tests.helpers import models_on, rows

FILES = ("reps", "opportunities", "opportunity_history", "activities", "quotas")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    plain, calls = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("calls")
    generate_demo(plain, reps=40, seed=42)
    generate_demo(calls, reps=40, seed=42, forecast_calls=True)
    return plain, calls


def read(folder, name: str) -> list[dict]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_calls(folder) -> list[dict]:
    return read(folder, "forecast_calls")


def test_opt_in_adds_the_calls_and_changes_nothing_else(demo, tmp_path):
    plain, calls = demo
    for name in FILES:
        assert (calls / f"{name}.csv").read_bytes() == (plain / f"{name}.csv").read_bytes(), name
    assert not (plain / "forecast_calls.csv").exists()
    added = set((calls / "config.yml").read_text().splitlines()) - set((plain / "config.yml").read_text().splitlines())
    assert added == {"  forecast_calls: {path: forecast_calls.csv}"}
    assert yaml.safe_load((calls / "config.yml").read_text())["sources"]["forecast_calls"] == {
        "path": "forecast_calls.csv"}
    generate_demo(tmp_path, reps=40, seed=42, forecast_calls=True)
    assert (tmp_path / "forecast_calls.csv").read_bytes() == (calls / "forecast_calls.csv").read_bytes()


def test_calls_are_well_formed(demo):
    _, folder = demo
    assert (folder / "forecast_calls.csv").read_text().split("\n", 1)[0] == HEADER
    calls = read_calls(folder)
    reps = {r["rep_id"]: r for r in read(folder, "reps")}
    keys = [(c["rep_id"], c["period_start"], c["submitted_at"]) for c in calls]
    assert len(keys) == len(set(keys))
    for c in calls:
        assert c["rep_id"] in reps
        assert date.fromisoformat(c["period_start"]).day == 1
        assert datetime.fromisoformat(c["submitted_at"]).date() <= DEMO_AS_OF
        assert float(c["amount"]) >= 0 and c["scope"] in ("self", "team")
        assert (c["scope"] == "team") == (reps[c["rep_id"]]["role"] == "Manager")


def test_people_forecast_like_people(demo):
    _, folder = demo
    calls = read_calls(folder)
    reps = read(folder, "reps")
    callers = {c["rep_id"] for c in calls}
    sellers = [r["rep_id"] for r in reps if r["role"] in ("AE", "Senior AE")]
    assert 0 < len(set(sellers) - callers) < len(sellers) / 3  # some never call: the CRM's forecast is scored
    assert {r["rep_id"] for r in reps if r["role"] == "Manager"} & callers  # managers call their team
    # one team calls by month: three periods of one quarter submitted at once
    per_submission = defaultdict(set)
    for c in calls:
        per_submission[(c["rep_id"], c["submitted_at"])].add(c["period_start"])
    assert any(len(p) == 3 for p in per_submission.values())
    assert any(len(p) == 1 for p in per_submission.values())


@pytest.fixture(scope="module")
def built(demo, tmp_path_factory):
    _, folder = demo
    return models_on(folder / "config.yml", tmp_path_factory.mktemp("built"))


def test_the_grade_separates_accurate_from_inaccurate_forecasters(built):
    bias = defaultdict(list)
    for r in rows(built, "select rep_id, bias from rep_forecast_accuracy where forecast_source = 'call' "
                         "and bias is not null"):
        bias[r["rep_id"]].append(r["bias"])
    typical = [statistics.median(b) for b in bias.values()]
    assert min(typical) < -0.2 and max(typical) > 0.25  # sandbaggers and optimists, not one crowd
    grades = [r["forecast_grade"] for r in rows(built, "select forecast_grade from rep_balanced_scorecard "
                                                        "where is_current and forecast_grade is not null")]
    assert len(set(grades)) >= 4 and grades.count(1) < len(grades) / 2
    called_nothing_won = rows(built, "select accuracy from rep_forecast_accuracy where won = 0 and forecast > 0")
    assert called_nothing_won and {r["accuracy"] for r in called_nothing_won} == {0}


def test_the_embedded_demo_can_include_the_calls(tmp_path):
    from pipelines.cli import with_demo
    from pipelines.settings import parse_config

    cfg = parse_config({"demo": {"reps": 8, "seed": 3, "forecast_calls": True},
                        "build": {"cache_dir": str(tmp_path / "cache")}}, tmp_path / "config.yml")
    demo = with_demo(cfg)
    assert "forecast_calls" in demo.sources
    assert (tmp_path / "cache" / "demo-8-3-calls" / "forecast_calls.csv").is_file()
    plain = with_demo(cfg.model_copy(update={"demo": cfg.demo.model_copy(update={"forecast_calls": False})}))
    assert "forecast_calls" not in plain.sources  # cached apart: the plain demo is the one it always was
