"""Everything a user can set or read is documented: config keys, canonical columns, model columns."""

import html as htmllib
import re

import pytest

from pipelines.models import discover
from pipelines.schema import TABLES
from pipelines.settings import iter_settings
from tests.conftest import ROOT


def test_every_config_key_has_help():
    missing = [key for key, _default, help_text in iter_settings() if not help_text.strip()]
    assert missing == []


def test_every_config_key_is_in_the_reference_page(tiny_site):
    html = htmllib.unescape((tiny_site / "reference" / "index.html").read_text())
    for key, _default, _help in iter_settings():
        assert f"<code>{key}</code>" in html, key


def test_every_canonical_column_has_help():
    for table in TABLES.values():
        assert table.help.strip(), table.name
        for col in table.columns:
            assert col.help.strip(), f"{table.name}.{col.name}"


@pytest.mark.parametrize("model", discover(), ids=lambda m: m.name)
def test_every_model_column_is_documented(tiny_models, model):
    """The header documents exactly the columns the model returns (as every build checks), each in words."""
    actual = tiny_models.sql(f"select * from {model.name} limit 0").columns
    assert model.grain.strip(), "header needs a grain line"
    model.check_output(actual)
    assert list(model.columns) == actual
    for name, text in model.columns.items():
        assert len(text.strip()) > 5, f"{model.name}.{name} needs a definition"


@pytest.mark.parametrize("model", [m for m in discover() if m.layer == "marts"], ids=lambda m: m.name)
def test_every_mart_has_a_tested_grain(model):
    assert model.unique, f"{model.path}: marts declare `unique:` so their grain is tested"


def test_glossary_lists_every_mart_column(tiny_site, tiny_models):
    html = htmllib.unescape((tiny_site / "glossary" / "index.html").read_text())
    for model in [m for m in discover() if m.layer == "marts"]:
        assert re.search(rf">{model.name}<", html), model.name
        for col in tiny_models.sql(f"select * from {model.name} limit 0").columns:
            assert f"<code>{col}</code>" in html, (model.name, col)


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    head = text[: text.index("## ")]
    assert "make site" in head and "make test" in head


def test_every_mart_column_has_a_kind(tiny_models):
    """Privacy hides columns by kind (money, quota, attainment, email), so no mart column may be without one."""
    from pipelines.catalog import COLUMN_KINDS, load_catalog

    for model in load_catalog().marts:
        described = tiny_models.execute(f"describe {model.name}").fetchall()
        model.check_output([r[0] for r in described], [r[1] for r in described])
        assert set(model.kinds) == {r[0] for r in described}, model.name
        assert set(model.kinds.values()) <= set(COLUMN_KINDS), model.name
