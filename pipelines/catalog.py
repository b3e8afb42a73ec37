"""What is in `sql/`: the models with their headers, the macros, the column dictionary, the graph.

Sales-ops change a metric by editing SQL, so nothing here is registered by hand: every `.sql`
file in a layer folder (`sql/staging/`, `sql/intermediate/`, `sql/marts/`) is a model named
after its file, its header comment declares its grain, columns and tests, and the run order
comes from the tables each model reads. Those references are taken from DuckDB's own parse
tree (`json_serialize_sql`), not from a regular expression: a CTE named like a model is not a
dependency, and a comma join is. The layers are enforced, so the graph stays one a newcomer can
read: staging reads only the raw inputs (`pipelines.inputs`), intermediate reads staging and
intermediate, marts read any model below them and other marts.
"""

from __future__ import annotations

import graphlib
import hashlib
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from pipelines.atomic import write_cache
from pipelines.errors import ModelError
from pipelines.inputs import RAW_INPUTS

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("staging", "intermediate", "marts")
# Which layers each layer may read: a model reading a layer to its right is refused.
MAY_READ = {
    "staging": (),
    "intermediate": ("staging", "intermediate"),
    "marts": ("staging", "intermediate", "marts"),
}
HEADER = re.compile(r"\A\s*/\*(.*?)\*/", re.S)
HEADER_KEYS = ("grain", "unique", "columns", "dictionary", "columns_from", "materialized", "tests")
# How a model is kept: a table (the default) is computed once; a view is computed inside every query that reads it,
# for a cheap rename over a large input whose readers each filter or aggregate it anyway.
MATERIALIZATIONS = ("table", "view")
COLUMN_KINDS = ("id", "text", "email", "date", "money", "quota", "count", "ratio", "attainment", "at_risk", "days",
                "number", "bool")
# What a column's DuckDB type says of its kind when neither the header nor the dictionary does; a number
# with decimals could be money, a ratio or days, so a mart must say which.
KIND_OF_TYPE = {"VARCHAR": "text", "BOOLEAN": "bool", "DATE": "date", "TIMESTAMP": "date", "BIGINT": "count",
                "INTEGER": "count", "HUGEINT": "count"}


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    grain: str = ""
    unique: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # every documented column -> its definition
    kinds: dict[str, str] = field(default_factory=dict)  # column -> kind, where the dictionary gives one
    tests: list[str] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)
    columns_from: str | None = None  # documented as this model is (a mart that shows an intermediate model)
    materialized: str = "table"  # or "view" (MATERIALIZATIONS)

    def check_output(self, output: list[str], types: list[str] | None = None) -> None:
        """The header documents exactly the columns the model returns, each with a kind a mart must give
        where its type cannot; keep the docs in output order."""
        missing = [c for c in output if c not in self.columns]
        if missing:
            raise ModelError(
                f"model {self.name} returns {', '.join(missing)}, which its header does not document "
                "(add them under `columns:`, or to sql/columns.yml and `dictionary:`)", self.path,
            )
        extra = [c for c in self.columns if c not in output]
        if extra and not self.columns_from:
            raise ModelError(f"the header of {self.name} documents {', '.join(extra)}, which the model does not return",
                             self.path)
        self.columns = {c: self.columns[c] for c in output}
        self.kinds = {c: k for c, k in self.kinds.items() if c in self.columns}
        for c, t in zip(output, types or []):
            kind = self.kinds.get(c) or KIND_OF_TYPE.get(t.split("(")[0])
            if kind == "text" and (c.endswith("_id") or c == "subject"):
                kind = "id"
            if kind is None and self.layer == "marts":
                raise ModelError(
                    f"mart {self.name}: give column {c} ({t}) a kind in its header, e.g. '  {c} (money): ...' "
                    f"(kinds: {', '.join(COLUMN_KINDS)})", self.path,
                )
            self.kinds[c] = kind or "number"


@dataclass
class Macro:
    name: str
    signature: str
    help: str
    path: Path
    sql: str


@dataclass
class Catalog:
    models: list[Model]  # in run order
    macros: list[Macro]
    dictionary: dict[str, dict]

    def metrics(self) -> dict[str, list[tuple[str, dict]]]:
        """Dictionary entries with a business term, grouped by it: the glossary's first part."""
        groups: dict[str, list[tuple[str, dict]]] = {}
        for name, entry in self.dictionary.items():
            if entry.get("group"):
                groups.setdefault(entry["group"], []).append((name, entry))
        return groups

    def model(self, name: str) -> Model:
        return next(m for m in self.models if m.name == name)

    @property
    def marts(self) -> list[Model]:
        return [m for m in self.models if m.layer == "marts"]


# --- headers -----------------------------------------------------------------------------------


def _bracket_list(value: str) -> list[str]:
    return [v.strip() for v in value.strip().strip("[]").split(",") if v.strip()]


def parse_header(text: str, path: Path) -> dict:
    """Parse the header comment: `grain:`, `unique: [a, b]`, `columns:`, `dictionary: [...]`, `tests:`.

    A deliberately small format rather than YAML, so a description may contain colons,
    quotes or brackets without the sales-ops author having to think about escaping.
    """
    meta: dict = {"grain": "", "unique": [], "columns": {}, "kinds": {}, "dictionary": [], "columns_from": None,
                  "materialized": "table", "tests": []}
    section, last_col = None, None
    for lineno, line in enumerate(text.splitlines(), start=1):  # the text starts on the line of "/*"
        if not line.strip():
            continue
        top = re.match(r"^([a-z_]+):\s*(.*)$", line)
        if top:
            section, value = top.group(1), top.group(2).strip()
            if section not in meta:
                raise ModelError(f"header line {lineno}: unknown key '{section}' ({', '.join(HEADER_KEYS)})", path)
            if section == "grain":
                meta["grain"] = value
            elif section == "columns_from":
                meta["columns_from"] = value
            elif section == "materialized":
                if value not in MATERIALIZATIONS:
                    raise ModelError(f"header line {lineno}: materialized is one of {', '.join(MATERIALIZATIONS)}",
                                     path)
                meta["materialized"] = value
            elif section in ("unique", "dictionary"):
                meta[section] = _bracket_list(value)
            continue
        last_col = _header_line(meta, section, last_col, line, lineno, path)
    return meta


def _header_line(meta: dict, section: str | None, last_col: str | None, line: str, lineno: int, path: Path):
    """One indented line of a header section; returns the column a continuation line belongs to."""
    if section == "grain":
        meta["grain"] += " " + line.strip()
    elif section == "columns":
        col = re.match(r"^  ([A-Za-z_][A-Za-z0-9_]*)(?:\s*\(([a-z_]+)\))?:\s*(.*)$", line)
        if col:
            if col.group(2) and col.group(2) not in COLUMN_KINDS:
                raise ModelError(f"header line {lineno}: kind '{col.group(2)}' is not one of {', '.join(COLUMN_KINDS)}",
                                 path)
            meta["columns"][col.group(1)] = col.group(3).strip()
            if col.group(2):
                meta["kinds"][col.group(1)] = col.group(2)
            return col.group(1)
        if last_col and line.startswith("    "):
            meta["columns"][last_col] += " " + line.strip()
            return last_col
        raise ModelError(f"header line {lineno}: expected '  column: description'", path)
    elif section == "dictionary" and line.startswith("  "):
        meta["dictionary"] += _bracket_list(line)
    elif section == "tests" and line.strip().startswith("- "):
        meta["tests"].append(line.strip()[2:].strip())
    else:
        raise ModelError(f"header line {lineno}: cannot read '{line.strip()}'", path)
    return last_col


def load_dictionary(sql_dir: Path = SQL_DIR) -> dict[str, dict]:
    """sql/columns.yml: one definition per shared column name, with its kind."""
    path = sql_dir / "columns.yml"
    if not path.exists():
        return {}
    try:
        # libyaml's safe loader where PyYAML has it: the same data, read in 3 ms instead of 22 (every build reads it)
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as e:
        raise ModelError(f"not valid YAML: {e}".replace("\n", " "), path) from e
    out = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or not str(entry.get("help", "")).strip():
            raise ModelError(f"column '{name}' needs `help:` text", path)
        if entry.get("kind") not in COLUMN_KINDS:
            raise ModelError(f"column '{name}': kind must be one of {', '.join(COLUMN_KINDS)}", path)
        out[str(name)] = {"kind": entry["kind"], "help": str(entry["help"]).strip(),
                          "group": entry.get("group"), "label": entry.get("label")}
    return out


def parse_model(path: Path, layer: str, dictionary: dict[str, dict] | None = None,
                known_refs: _KnownRefs | None = None) -> Model:
    """Read one model file, its header and the tables it reads (from `known_refs` when its text was read before)."""
    sql = path.read_text(encoding="utf-8")
    model = Model(path.stem, layer, path, sql)
    m = HEADER.match(sql)
    if not m:
        raise ModelError("model has no header comment (/* grain: ... columns: ... */)", path)
    meta = parse_header(m.group(1), path)
    if not meta["grain"]:
        raise ModelError("the header has no `grain:` line (what one row of this model is)", path)
    dictionary = dictionary or {}
    unknown = [c for c in meta["dictionary"] if c not in dictionary]
    if unknown:
        raise ModelError(f"`dictionary:` names {', '.join(unknown)}, which sql/columns.yml does not define", path)
    model.grain, model.unique, model.tests = meta["grain"], meta["unique"], meta["tests"]
    model.columns_from, model.materialized = meta["columns_from"], meta["materialized"]
    model.columns = {c: dictionary[c]["help"] for c in meta["dictionary"]} | meta["columns"]
    model.kinds = {c: dictionary[c]["kind"] for c in model.columns if c in dictionary} | meta["kinds"]
    model.refs = known_refs.refs(sql, path) if known_refs is not None else table_refs(sql, path)
    return model


# --- references from the parse tree ------------------------------------------------------------


_PARSER: duckdb.DuckDBPyConnection | None = None


def parse_tree(sql: str, path: Path | None = None) -> dict:
    """DuckDB's parse tree of one SELECT statement, or a ModelError with the parser's message.

    Parsing needs no data, so one private in-memory connection serves every call.
    """
    global _PARSER
    if _PARSER is None:
        _PARSER = duckdb.connect()
    tree = json.loads(_PARSER.execute("select json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise ModelError(f"cannot parse the SQL: {tree.get('error_message', 'unknown error')}", path)
    if len(tree["statements"]) != 1:
        raise ModelError("a model is exactly one select statement", path)
    return tree["statements"][0]["node"]


def table_refs(sql: str, path: Path | None = None) -> set[str]:
    """Names of the tables and views a query reads, without its own CTEs (lexically scoped)."""
    refs: set[str] = set()

    def walk(node, scope: frozenset[str]) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, scope)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "BASE_TABLE" and "table_name" in node:
            name = node["table_name"].lower()
            if node.get("schema_name") or name not in scope:
                refs.add(name)
        ctes = (node.get("cte_map") or {}).get("map") or []
        if ctes:
            scope = scope | {c["key"].lower() for c in ctes}
        for value in node.values():
            walk(value, scope)

    walk(parse_tree(sql, path), frozenset())
    return refs


class _KnownRefs:
    """The tables each model's SQL reads, as found before, kept in build.cache_dir between builds.

    Asking DuckDB's parser for a hundred models' parse trees and walking them cost about 0.2 s of every
    build. A model's references depend only on its text, the parser and the code that reads the tree, so
    they are looked up by a hash of all three: an edited model, another DuckDB, or a change to `parse_tree`
    or `table_refs` parses again (a model that does not parse is never stored, so it fails as before). A
    malformed file or entry is ignored. The file keeps only the texts of the last catalog read, so it does
    not grow with edits; a cache that cannot be read or written is no cache.
    """

    FILE = "sql-references.json"

    def __init__(self, path: Path | None, stored: dict[str, list[str]]):
        self.path, self.stored, self.used = path, stored, {}

    @classmethod
    def read(cls, cache_dir: Path | None) -> _KnownRefs:
        if cache_dir is None:
            return cls(None, {})
        path = cache_dir / cls.FILE
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        return cls(path, stored if isinstance(stored, dict) else {})

    def refs(self, sql: str, path: Path | None = None) -> set[str]:
        key = hashlib.sha256(f"{_READER}\0{sql}".encode("utf-8")).hexdigest()
        found = self.stored.get(key)
        if not (isinstance(found, list) and all(isinstance(r, str) for r in found)):
            found = sorted(table_refs(sql, path))
        self.used[key] = found
        return set(found)

    def save(self) -> None:
        if self.path is not None and self.used != self.stored:
            write_cache(self.path, json.dumps(self.used, sort_keys=True).encode("utf-8"))


# What reads a model's references: DuckDB's parser, and this module's two functions that ask it and walk the tree.
_READER = "\0".join([duckdb.__version__, inspect.getsource(parse_tree), inspect.getsource(table_refs)])


# --- the graph ---------------------------------------------------------------------------------


def _check_refs(model: Model, models: dict[str, Model]) -> None:
    """Every reference is a raw input (staging only) or a model of a layer this one may read."""
    for ref in sorted(model.refs - {model.name}):
        if ref in models:
            other = models[ref]
            if other.layer not in MAY_READ[model.layer]:
                raise ModelError(
                    f"{model.layer} model {model.name} reads {ref}, a {other.layer} model; "
                    f"{model.layer} may read {', '.join(MAY_READ[model.layer]) or 'only the raw inputs'}",
                    model.path,
                )
        elif ref in RAW_INPUTS:
            if model.layer != "staging":
                raise ModelError(
                    f"{model.layer} model {model.name} reads the raw input {ref}; only staging models read "
                    "raw inputs (add a staging model for it)", model.path,
                )
        else:
            raise ModelError(f"model {model.name} reads {ref}, which is neither a model nor a raw input", model.path)


def order(models: dict[str, Model]) -> list[Model]:
    """Models in an order where each runs after those it reads; a cycle is named."""
    graph = {name: {r for r in m.refs if r in models and r != name} for name, m in models.items()}
    sorter = graphlib.TopologicalSorter({name: sorted(deps) for name, deps in sorted(graph.items())})
    try:
        return [models[name] for name in sorter.static_order()]
    except graphlib.CycleError as e:
        cycle = e.args[1]
        raise ModelError(f"models read each other in a cycle: {' -> '.join(reversed(cycle))}", models[cycle[0]].path) from e


def load_macros(sql_dir: Path = SQL_DIR) -> list[Macro]:
    """sql/macros/*.sql: repeated formulas as DuckDB macros, each with a `macro:` and `help:` header."""
    macros = []
    for path in sorted((sql_dir / "macros").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        m = HEADER.match(text)
        meta = dict(re.findall(r"^(macro|help):\s*(.*(?:\n(?![a-z_]+:).*)*)", m.group(1), re.M)) if m else {}
        if not meta.get("macro") or not meta.get("help"):
            raise ModelError("a macro file starts with a header giving `macro: name(args)` and `help:`", path)
        signature = meta["macro"].strip()
        macros.append(Macro(signature.split("(")[0].strip(), signature, " ".join(meta["help"].split()), path, text))
    return macros


def discover(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models, in run order (see `load_catalog` for the macros and dictionary too)."""
    return load_catalog(sql_dir).models


def load_catalog(sql_dir: Path = SQL_DIR, cache_dir: Path | None = None) -> Catalog:
    """Read sql/: the dictionary, the macros and every model, check the layers, order the graph.

    With a `cache_dir` (a build passes build.cache_dir), what each model reads is kept there between calls
    (`_KnownRefs`)."""
    dictionary = load_dictionary(sql_dir)
    models: dict[str, Model] = {}
    known = _KnownRefs.read(cache_dir)
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            model = parse_model(path, layer, dictionary, known)
            if model.name in models:
                raise ModelError(f"two models are named {model.name} ({models[model.name].path})", path)
            if model.name in RAW_INPUTS:
                raise ModelError(f"{model.name} is the name of a raw input; name the model differently", path)
            models[model.name] = model
    known.save()
    for model in models.values():
        _check_refs(model, models)
        _inherit_columns(model, models)
    return Catalog(order(models), load_macros(sql_dir), dictionary)


def _inherit_columns(model: Model, models: dict[str, Model], seen: tuple[str, ...] = ()) -> None:
    """`columns_from: int_x`: the model's columns mean what they mean in int_x (its own `columns:` win)."""
    source = models.get(model.columns_from) if model.columns_from else None
    if model.columns_from and source is None:
        raise ModelError(f"`columns_from: {model.columns_from}` names no model", model.path)
    if source is None:
        return
    if source.name in seen or source.name not in model.refs:
        raise ModelError(f"`columns_from: {source.name}` must name a model that {model.name} reads", model.path)
    _inherit_columns(source, models, seen + (model.name,))
    model.columns = source.columns | model.columns
    model.kinds = source.kinds | model.kinds
