"""Every CSV the project writes is formula-safe: a cell that a spreadsheet would run as a formula gets a
leading ', in the quarantine report (which the error message tells users to open) as in the site's downloads."""

from __future__ import annotations

import csv
import shutil

from click.testing import CliRunner

from pipelines.cli import main
from tests.conftest import FIXTURES

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)", "\t=1"]


def test_quarantined_formulas_are_written_as_text(tmp_path):
    shutil.copytree(FIXTURES / "tiny", tmp_path / "org")
    deals = tmp_path / "org" / "opportunities.csv"
    rows = [f'z{i},r1,Acme,Deal {i},"{f.replace(chr(34), chr(34) * 2)}",1000,2026-04-01,2026-05-01,Pipeline,,\n'
            for i, f in enumerate(FORMULAS)]
    deals.write_text(deals.read_text(encoding="utf-8") + "".join(rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(tmp_path / "org" / "config.yml"),
                                       "--out", str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output  # too many rejected rows: the report is named
    report = tmp_path / ".site-report" / "quarantine.csv"
    assert str(report) in lines[0]
    with open(report, newline="", encoding="utf-8") as fh:
        values = [r["value"] for r in csv.DictReader(fh) if r["column"] == "stage"]
    assert sorted(values) == sorted("'" + f for f in FORMULAS)
    for cell in (c for r in csv.reader(open(report, encoding="utf-8")) for c in r):
        assert not cell[:1] in ("=", "+", "-", "@", "\t", "\r"), cell
