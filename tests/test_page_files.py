"""Rep and team pages are docs files beside each other (`reps/<slug>.md`), served at the same URLs as before.

The tiny org with rep r1 renamed `index` and team East renamed `Index`: their slugs are `index`, the name of the
reps and teams folders' own index pages. Expected: both index pages are still the lists of reps and teams, and the
rep and team have their pages at reps/index/ and teams/index/ (with the coaching and Monday pages below them), as
every other rep and team at reps/<slug>/ and teams/<slug>/.
"""

from __future__ import annotations

import re
import shutil

from click.testing import CliRunner

from pipelines.cli import main
from pipelines.pages import page_file
from tests.conftest import FIXTURES


def test_page_file_is_beside_its_siblings_except_for_the_slug_index():
    assert page_file("reps", "r0001") == "reps/r0001.md"
    assert page_file("teams", "east") == "teams/east.md"
    assert page_file("reps", "index") == "reps/index/index.md"


def test_a_rep_and_a_team_whose_slug_is_index_keep_their_pages_and_the_indexes(tmp_path):
    org = tmp_path / "org"
    shutil.copytree(FIXTURES / "tiny", org)
    for path in org.glob("*.csv"):
        text = re.sub(r"\br1\b", "index", path.read_text(encoding="utf-8"))
        path.write_text(text.replace(",East,", ",Index,"), encoding="utf-8")
    site = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", "--config", str(org / "config.yml"), "--out", str(site),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    reps_index = (site / "reps" / "index.html").read_text(encoding="utf-8")
    assert '<h1 id="reps">Reps' in reps_index and 'href="../reps/index/"' in reps_index
    teams_index = (site / "teams" / "index.html").read_text(encoding="utf-8")
    assert '<h1 id="teams">Teams' in teams_index and 'href="../teams/index/"' in teams_index
    rep = (site / "reps" / "index" / "index.html").read_text(encoding="utf-8")
    assert '<h1 id="ann-ace">Ann Ace' in rep and 'href="../../teams/index/"' in rep
    team = (site / "teams" / "index" / "index.html").read_text(encoding="utf-8")
    assert '<h1 id="team-index">Team Index' in team and 'href="../../reps/index/"' in team
    assert (site / "reps" / "index" / "coaching" / "index.html").is_file()
    assert (site / "reps" / "r2" / "index.html").is_file()
    assert (site / "teams" / "index" / "monday" / "index.html").is_file()
