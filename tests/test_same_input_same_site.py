"""The same input gives the same site, byte for byte: every sort has a total order, float figures are rounded
before they are written, and ids of any length make bounded file names."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from pipelines.cli import prepare, run_build
from pipelines.demo import generate_demo
from tests.conftest import FIXTURES, models_on, rows


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path):
    config = generate_demo(tmp_path / "org", reps=30, seed=11)
    sites = []
    for n, jobs in ((1, 1), (2, 2)):
        cfg = prepare(config)
        cfg = cfg.model_copy(update={"build": cfg.build.model_copy(update={"jobs": jobs})})
        run_build(cfg, tmp_path / f"site{n}", tmp_path / f"wh{n}")
        sites.append(tree(tmp_path / f"site{n}"))
    # The settings page shows the values in force, build.jobs among them; every other file is the same.
    settings = "reference/index.html"
    assert sites[0].pop(settings) != sites[1].pop(settings)
    assert sites[0] == sites[1]


def test_history_rows_at_the_same_instant_give_the_same_states_in_any_row_order(tmp_path):
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    history = tmp_path / "org" / "opportunity_history.csv"
    # o5 moved twice within the same second: which row a build keeps must not depend on the file's row order.
    history.write_text(history.read_text(encoding="utf-8") + "o5,2026-04-01 09:00:00,Proposal,25000,2026-04-30,Commit\n",
                       encoding="utf-8")
    query = "select * from int_opportunity_states where opportunity_id = 'o5' order by valid_from"
    first = rows(models_on(tmp_path / "org" / "config.yml", tmp_path / "a"), query)
    header, *lines = history.read_text(encoding="utf-8").splitlines(keepends=True)
    history.write_text(header + "".join(reversed(lines)), encoding="utf-8")
    assert rows(models_on(tmp_path / "org" / "config.yml", tmp_path / "b"), query) == first


def test_a_300_character_rep_id_and_team_name_build(tmp_path):
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    rep, team = "R" * 300, "Team " + "x" * 295
    for name in ("reps.csv", "opportunities.csv", "activities.csv", "quotas.csv"):
        path = tmp_path / "org" / name
        text = "\n".join(",".join(rep if f == "r1" else f for f in line.split(",")) for line in
                         path.read_text(encoding="utf-8").splitlines())
        path.write_text(text.replace(",East,", f",{team},") + "\n", encoding="utf-8")
    out = tmp_path / "site"
    summary = run_build(prepare(tmp_path / "org" / "config.yml"), out, tmp_path / "wh")
    assert summary["rep_pages"] == 5 and summary["team_pages"] == 2
    for root, dirs, files in os.walk(out):
        for name in dirs + files:
            assert len(name.encode("utf-8")) <= 100, name
    assert team in (out / "teams" / "index.html").read_text(encoding="utf-8")
