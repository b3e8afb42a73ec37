"""site.url makes the 404 page find its styles when the site is served under a sub-path."""

import yaml

from pipelines.cli import prepare, run_build
from tests.conftest import FIXTURES


def test_404_page_uses_the_configured_sub_path(tmp_path):
    raw = yaml.safe_load((FIXTURES / "tiny" / "config.yml").read_text())
    raw["extracts_dir"] = str(FIXTURES / "tiny")
    raw["site"] = {"url": "https://example.github.io/scorecards/"}
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(raw))
    out = tmp_path / "site"
    run_build(prepare(config), out, tmp_path / "warehouse")
    page = (out / "404.html").read_text()
    assert 'href="/scorecards/assets/stylesheets/' in page
    assert 'href="/assets/' not in page
