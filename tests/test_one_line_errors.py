"""Each failure is one clear line on stderr, nothing on stdout, exit 1: checked on a real `python -m pipelines build`
(the other fault tests count lines of CliRunner's output, which mixes both streams).

One workspace: the tiny org built for day 1 (2026-05-15), day 2's extracts waiting. Each fault is made, the build
run, the fault undone; after each, the site is day 1's and day 1's history reads back as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT
from tests.test_history_faults import DAY1, build_args, cli, history_of, to_day2, tree


def run(w) -> tuple[int, list[str], list[str]]:
    p = subprocess.run([sys.executable, "-m", "pipelines", *build_args(w)], cwd=ROOT, capture_output=True, text=True)
    return p.returncode, [x for x in p.stdout.splitlines() if x.strip()], [x for x in p.stderr.splitlines() if x.strip()]


@pytest.fixture(scope="module")
def day1(tmp_path_factory):
    w = tmp_path_factory.mktemp("one-line")
    shutil.copytree(FIXTURES / "tiny", w / "org")
    assert cli(*build_args(w))[0] == 0
    site, history = tree(w / "site"), history_of(w / "wh", (DAY1,))
    to_day2(w / "org")
    return w, site, history


def header_only(w):
    deals = w / "org" / "opportunities.csv"
    text = deals.read_text(encoding="utf-8")
    deals.write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    return lambda: deals.write_text(text, encoding="utf-8")


def hostile_mapping(w):
    config = w / "org" / "config.yml"
    text = config.read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    raw["sources"]["opportunities"]["columns"] = {
        "next_step": f"1); copy (select 1) to '{w / 'pwn.csv'}'; with t as (select 1"}
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return lambda: config.write_text(text, encoding="utf-8")


def truncated_history(w):
    part = w / "wh" / "opportunities" / f"valid_from={DAY1}" / "part-0.parquet"
    good = part.read_bytes()
    part.write_bytes(good[: len(good) // 2])
    return lambda: part.write_bytes(good)


def formulas_in_quarantined_rows(w):
    deals = w / "org" / "opportunities.csv"
    text = deals.read_text(encoding="utf-8")
    deals.write_text(text + "".join(f'z{i},r1,"{f}",Deal,Proposal,1000,2026-04-01,never,Pipeline,,\n'
                                    for i, f in enumerate(["=HYPERLINK(1)", "@SUM(1)", "+1+1"])), encoding="utf-8")
    return lambda: deals.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("fault", "starts"), [
    (header_only, "suspicious extract: opportunities.csv: "),
    (hostile_mapping, "config error: opportunities.csv: `sources.opportunities.columns.next_step`: "),
    (truncated_history, f"history error: opportunities/valid_from={DAY1}/part-0.parquet: damaged"),
    (formulas_in_quarantined_rows, "too many rejected rows: opportunities.csv: "),
])
def test_a_failure_is_one_line_on_stderr_and_keeps_the_last_good_site(day1, fault, starts):
    w, site, history = day1
    undo = fault(w)
    try:
        code, out, err = run(w)
    finally:
        undo()
    assert (code, out, len(err)) == (1, [], 1), (out, err)
    assert err[0].startswith(starts), err[0]
    assert "Traceback" not in err[0] and not (w / "pwn.csv").exists()
    assert tree(w / "site") == site
    assert history_of(w / "wh", (DAY1,)) == history
