"""Very long ids and names (issue 12: a 300-character rep id or team name crashed with "File name too long").

The tiny org with r1 renamed to 'R' + 299 × 'é' (300 characters, 599 bytes in UTF-8, mixed case), m1 to 300 × 'm'
(a plain lower-case id, too long to be its own slug), o4 to 'o' + 299 × '4', and team East to 'East ' + 295 × 'Ü'.
Expected: the build succeeds; every file and folder name it writes, in the site and in the warehouse, stays far
below the 255-byte limit of common file systems; each rep and team still has its page; the downloads and the
history keep the ids whole.
"""

from __future__ import annotations

import csv
import re
import shutil

from click.testing import CliRunner

from pipelines.cli import main
from pipelines.slugs import rep_slug, team_slug
from tests.conftest import FIXTURES

R1 = "R" + "é" * 299
M1 = "m" * 300
O4 = "o" + "4" * 299
TEAM = "East " + "Ü" * 295


def test_a_300_character_id_or_team_name_builds_with_short_file_names(tmp_path):
    org = tmp_path / "org"
    shutil.copytree(FIXTURES / "tiny", org)
    for path in org.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\br1\b", R1, text)
        text = re.sub(r"\bm1\b", M1, text)
        text = re.sub(r"\bo4\b", O4, text)
        path.write_text(text.replace(",East,", f",{TEAM},"), encoding="utf-8")
    assert len(R1) == len(M1) == len(O4) == len(TEAM) == 300
    result = CliRunner().invoke(main, ["build", "--config", str(org / "config.yml"), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    names = [p.name for p in (tmp_path / "site").rglob("*")] + [p.name for p in (tmp_path / "wh").rglob("*")]
    assert max(len(n.encode("utf-8")) for n in names) <= 100
    for rep in (R1, M1, "r2", "r3"):
        assert (tmp_path / "site" / "reps" / rep_slug(rep) / "index.html").is_file(), rep[:10]
    assert (tmp_path / "site" / "teams" / team_slug(TEAM) / "index.html").is_file()
    with open(tmp_path / "site" / "data" / "rep_directory.csv", encoding="utf-8", newline="") as fh:
        people = {r["rep_id"]: r for r in csv.DictReader(fh)}
    assert {R1, M1} <= people.keys()
    assert people[R1]["team"] == TEAM and people[R1]["manager_id"] == M1
    with open(tmp_path / "site" / "data" / "rep_open_deals.csv", encoding="utf-8", newline="") as fh:
        assert O4 in {r["opportunity_id"] for r in csv.DictReader(fh)}
