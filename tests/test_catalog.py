"""The model graph: references from DuckDB's parser, layers enforced, every loader error is one clear line."""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from pipelines import models
from pipelines.catalog import load_catalog, table_refs
from pipelines.errors import ModelError
from pipelines.settings import Config


def model(sql_dir: Path, layer: str, name: str, body: str, header: str = "grain: one row.\ncolumns:\n  x: An x.") -> Path:
    path = sql_dir / layer / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"/*\n{header}\n*/\n{body}\n", encoding="utf-8")
    return path


@pytest.fixture
def sql(tmp_path) -> Path:
    """A minimal sql/ folder: one staging model over a raw input, one intermediate, one mart."""
    d = tmp_path / "sql"
    model(d, "staging", "stg_reps", "select rep_id as x from raw_reps")
    model(d, "intermediate", "int_a", "select x from stg_reps")
    model(d, "marts", "rep_a", "select x from int_a", "grain: one row.\nunique: [x]\ncolumns:\n  x: An x.")
    return d


def test_references_come_from_the_parse_tree():
    sql = """with rep_scorecard as (select * from int_reps), b as (select * from rep_scorecard, stg_x as s
             where s.id in (select id from int_y))
             select * from b join (select 1) as t on true -- from rep_alerts
             where exists (select 1 from stg_z)"""
    # CTE names are not dependencies; a comma join and subqueries are; comments are not SQL.
    assert table_refs(sql) == {"int_reps", "stg_x", "int_y", "stg_z"}


def test_a_column_or_cte_named_like_a_mart_is_not_a_dependency(sql):
    model(sql, "intermediate", "int_b", "with rep_a as (select x from int_a) select x as rep_a from rep_a")
    catalog = load_catalog(sql)
    assert catalog.model("int_b").refs == {"int_a"}
    order = [m.name for m in catalog.models]
    assert order.index("int_a") < order.index("int_b")


def test_a_model_with_a_cte_named_like_a_mart_builds(sql):
    # were the CTE taken for the mart, an intermediate model reading a mart would be refused
    model(sql, "intermediate", "int_b", "with rep_a as (select x || '!' as x from int_a) select x from rep_a")
    con = duckdb.connect()
    con.execute("create table raw_reps as select 'r1' as rep_id")
    models.run(Config(as_of=dt.date(2026, 5, 15)), con, sql)
    assert con.execute("select x from int_b").fetchall() == [("r1!",)]
    assert con.execute("select x from rep_a").fetchall() == [("r1",)]


def test_a_model_materialized_as_a_view_is_computed_where_it_is_read(sql):
    header = "grain: one row.\nmaterialized: view\ncolumns:\n  x: An x."
    model(sql, "intermediate", "int_b", "select x || '!' as x from int_a", header)
    con = duckdb.connect()
    con.execute("create table raw_reps as select 'r1' as rep_id")
    models.run(Config(as_of=dt.date(2026, 5, 15)), con, sql)
    assert load_catalog(sql).model("int_b").materialized == "view"
    assert con.execute("select table_name, table_type from information_schema.tables where table_name = 'int_b'"
                       ).fetchall() == [("int_b", "VIEW")]
    assert con.execute("select x from int_b").fetchall() == [("r1!",)]


def test_an_intermediate_model_reading_a_mart_fails_naming_it(sql):
    path = model(sql, "intermediate", "int_b", "select x from rep_a")
    with pytest.raises(ModelError) as e:
        load_catalog(sql)
    assert e.value.file == str(path)
    assert "intermediate model int_b reads rep_a, a marts model" in str(e.value)
    assert "\n" not in str(e.value)  # one line: the file, then what is wrong


def test_staging_reads_only_raw_inputs(sql):
    model(sql, "staging", "stg_b", "select x from stg_reps")
    with pytest.raises(ModelError, match="staging model stg_b reads stg_reps, a staging model"):
        load_catalog(sql)
    model(sql, "staging", "stg_b", "select 1 as x")
    model(sql, "intermediate", "int_b", "select rep_id as x from raw_reps")
    with pytest.raises(ModelError, match="only staging models read raw inputs"):
        load_catalog(sql)


def test_an_unknown_table_is_named(sql):
    model(sql, "marts", "rep_b", "select x from int_missing", "grain: one row.\nunique: [x]\ncolumns:\n  x: An x.")
    with pytest.raises(ModelError, match="reads int_missing, which is neither a model nor a raw input"):
        load_catalog(sql)


def test_a_cycle_is_named(sql):
    model(sql, "intermediate", "int_a", "select x from int_b")
    model(sql, "intermediate", "int_b", "select x from int_a")
    with pytest.raises(ModelError, match=r"models read each other in a cycle: int_\w -> int_\w -> int_\w"):
        load_catalog(sql)


def test_two_models_with_one_name(sql):
    model(sql, "marts", "int_a", "select x from stg_reps", "grain: one row.\nunique: [x]\ncolumns:\n  x: An x.")
    with pytest.raises(ModelError, match="two models are named int_a"):
        load_catalog(sql)


@pytest.mark.parametrize(
    "header, message",
    [
        ("grain: one row.\ncolour: red", "header line 3: unknown key 'colour'"),
        ("grain: one row.\ncolumns:\n  x: An x.\ntests:\n  x > 0", "header line 6: cannot read 'x > 0'"),
        ("grain: one row.\ncolumns:\n   - x", "header line 4: expected '  column: description'"),
        ("columns:\n  x: An x.", "the header has no `grain:` line"),
        ("grain: one row.\ndictionary: [no_such_column]", "sql/columns.yml does not define"),
        ("grain: one row.\ncolumns_from: int_missing", "`columns_from: int_missing` names no model"),
        ("grain: one row.\ncolumns_from: stg_reps", "`columns_from: stg_reps` must name a model that rep_b reads"),
        ("grain: one row.\nmaterialized: ephemeral", "header line 3: materialized is one of table, view"),
    ],
)
def test_header_errors_name_the_line(sql, header, message):
    path = model(sql, "marts", "rep_b", "select x from int_a", header)
    with pytest.raises(ModelError, match=message.replace("[", r"\[").replace("(", r"\(")) as e:
        load_catalog(sql)
    assert e.value.file == str(path)


def test_a_model_without_a_header_or_with_bad_sql(sql):
    (sql / "marts" / "rep_b.sql").write_text("select 1 as x\n")
    with pytest.raises(ModelError, match="model has no header comment"):
        load_catalog(sql)
    model(sql, "marts", "rep_b", "select from where")
    with pytest.raises(ModelError, match="cannot parse the SQL"):
        load_catalog(sql)


def test_a_model_named_like_a_raw_input_or_with_two_statements(sql):
    model(sql, "staging", "raw_reps", "select rep_id as x from raw_reps")
    with pytest.raises(ModelError, match="raw_reps is the name of a raw input"):
        load_catalog(sql)
    (sql / "staging" / "raw_reps.sql").unlink()
    model(sql, "marts", "rep_b", "select x from int_a; select 1 as x", "grain: one row.\ncolumns:\n  x: An x.")
    with pytest.raises(ModelError, match="a model is exactly one select statement"):
        load_catalog(sql)


def test_column_dictionary_errors_name_the_file(sql):
    for text, message in [
        ("x: [unclosed", "not valid YAML"),
        ("x: {kind: money}", "column 'x' needs `help:` text"),
        ("x: {kind: euros, help: An x.}", "column 'x': kind must be one of"),
    ]:
        (sql / "columns.yml").write_text(text + "\n", encoding="utf-8")
        with pytest.raises(ModelError, match=message) as e:
            load_catalog(sql)
        assert e.value.file == str(sql / "columns.yml")


def test_the_column_dictionary_reads_as_the_pure_python_safe_loader_reads_it(monkeypatch):
    """load_dictionary uses libyaml's loader when PyYAML has one; it must give what yaml.safe_load gives."""
    import yaml

    from pipelines.catalog import load_dictionary

    fast = load_dictionary()
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    assert load_dictionary() == fast
    assert len(fast) > 100


def test_macro_errors_name_the_file(sql):
    macros = sql / "macros"
    macros.mkdir()
    (macros / "twice.sql").write_text("create or replace macro twice(x) as 2 * x;\n", encoding="utf-8")
    with pytest.raises(ModelError, match="a macro file starts with a header giving `macro: name\\(args\\)`"):
        load_catalog(sql)
    (macros / "twice.sql").write_text(
        "/*\nmacro: twice(x)\nhelp: 2 × x.\n*/\ncreate or replace macro twice(x) as 2 * ;\n", encoding="utf-8"
    )
    catalog = load_catalog(sql)
    assert [(m.name, m.help) for m in catalog.macros] == [("twice", "2 × x.")]
    with pytest.raises(ModelError, match="macro twice failed: Parser Error") as e:
        models.prepare(duckdb.connect(), Config(), catalog, dt.date(2026, 5, 15))
    assert e.value.file == str(macros / "twice.sql")


def test_a_new_model_needs_no_registration(sql):
    model(sql, "marts", "rep_new", "select x from rep_a", "grain: one row.\nunique: [x]\ncolumns:\n  x: An x.")
    catalog = load_catalog(sql)
    assert [m.name for m in catalog.marts] == ["rep_a", "rep_new"]
    assert catalog.model("rep_new").refs == {"rep_a"}


def test_the_shipped_models_respect_the_layers():
    """No staging or intermediate model reads a mart (the graph of sql/ itself)."""
    catalog = load_catalog()
    marts = {m.name for m in catalog.marts}
    for m in catalog.models:
        if m.layer != "marts":
            assert not (m.refs & marts), (m.name, m.refs & marts)


def test_references_found_before_are_read_from_the_cache(sql, tmp_path, monkeypatch):
    """What each model reads is kept in the cache folder: the second read of the same sql/ parses nothing; an edited
    model is parsed again (its new reference counts), and the file then holds only the current texts; a damaged file
    or a malformed entry is parsed again; a model that does not parse fails every time. The key holds the code of
    parse_tree and table_refs too (a fix to either must not wait for every model's text to change)."""
    from pipelines import catalog

    parsed: list[str] = []
    parse = catalog.parse_tree
    monkeypatch.setattr(catalog, "parse_tree", lambda text, path=None: parsed.append(text) or parse(text, path))
    cache = tmp_path / "cache"

    def refs() -> dict[str, set[str]]:
        return {m.name: m.refs for m in load_catalog(sql, cache).models}

    first = refs()
    assert len(parsed) == 3 and first["rep_a"] == {"int_a"}
    parsed.clear()
    assert refs() == first and parsed == []
    assert "def table_refs" in catalog._READER and "def parse_tree" in catalog._READER

    model(sql, "intermediate", "int_b", "select x from stg_reps where true")
    model(sql, "marts", "rep_a", "select a.x from int_a as a, int_b", "grain: one row.\nunique: [x]\ncolumns:\n  x: An x.")
    assert refs()["rep_a"] == {"int_a", "int_b"} and len(parsed) == 2
    stored = json.loads((cache / "sql-references.json").read_text(encoding="utf-8"))
    assert sorted(stored.values()) == [["int_a", "int_b"], ["raw_reps"], ["stg_reps"], ["stg_reps"]]

    parsed.clear()
    (cache / "sql-references.json").write_text(json.dumps({k: [1] for k in stored}), encoding="utf-8")
    assert refs()["rep_a"] == {"int_a", "int_b"} and len(parsed) == 4
    parsed.clear()
    (cache / "sql-references.json").write_text("{not json", encoding="utf-8")
    assert refs()["rep_a"] == {"int_a", "int_b"} and len(parsed) == 4

    # Without a cache folder (tests, scripts) every model is parsed, and nothing is written anywhere.
    parsed.clear()
    assert {m.name: m.refs for m in load_catalog(sql).models}["rep_a"] == {"int_a", "int_b"} and len(parsed) == 4

    model(sql, "marts", "rep_a", "select x frm int_a", "grain: one row.\nunique: [x]\ncolumns:\n  x: An x.")
    for _ in range(2):
        with pytest.raises(ModelError, match="cannot parse"):
            refs()
