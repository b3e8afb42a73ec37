"""Stage 3: run the SQL models in dependency order, then every data test.

Sales-ops change a metric by editing SQL, so the run order is read from the models' own
references (never a hand-kept list), and each model's header comment is the one place its
grain, columns and tests are declared: the glossary and the data tests both read it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.errors import DataTestError, ModelError
from pipelines.settings import Config
from pipelines.sqltext import lit

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LAYERS = ("staging", "intermediate", "marts")
HEADER = re.compile(r"\A\s*/\*(.*?)\*/", re.S)
REF = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", re.I)


@dataclass
class Model:
    name: str
    layer: str
    path: Path
    sql: str
    grain: str = ""
    unique: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    tests: list[str] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)


@dataclass
class DataTest:
    name: str
    file: Path
    sql: str


@dataclass
class ModelsResult:
    models: list[Model]
    tests_run: int
    as_of: dt.date


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    return re.sub(r"--[^\n]*", " ", sql)


def parse_header(text: str, path: Path) -> dict:
    """Parse the header comment: `grain:`, `unique: [a, b]`, `columns:` and `tests:` blocks.

    A deliberately small format rather than YAML, so a description may contain colons,
    quotes or brackets without the sales-ops author having to think about escaping.
    """
    meta: dict = {"grain": "", "unique": [], "columns": {}, "tests": []}
    section = None
    last_col = None
    for lineno, line in enumerate(text.splitlines(), start=2):
        if not line.strip():
            continue
        top = re.match(r"^([a-z_]+):\s*(.*)$", line)
        if top:
            section, value = top.group(1), top.group(2).strip()
            if section not in meta:
                raise ModelError(f"header line {lineno}: unknown key '{section}' (grain, unique, columns, tests)", path)
            if section == "grain":
                meta["grain"] = value
            elif section == "unique":
                meta["unique"] = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
            continue
        if section == "grain":
            meta["grain"] += " " + line.strip()
        elif section == "columns":
            col = re.match(r"^  ([A-Za-z_][A-Za-z0-9_]*):\s*(.*)$", line)
            if col:
                last_col = col.group(1)
                meta["columns"][last_col] = col.group(2).strip()
            elif last_col and line.startswith("    "):
                meta["columns"][last_col] += " " + line.strip()
            else:
                raise ModelError(f"header line {lineno}: expected '  column: description'", path)
        elif section == "tests" and line.strip().startswith("- "):
            meta["tests"].append(line.strip()[2:].strip())
        else:
            raise ModelError(f"header line {lineno}: cannot read '{line.strip()}'", path)
    return meta


def parse_model(path: Path, layer: str) -> Model:
    """Read one model file and its header."""
    sql = path.read_text(encoding="utf-8")
    model = Model(path.stem, layer, path, sql)
    m = HEADER.match(sql)
    if not m:
        raise ModelError("model has no header comment (/* grain: ... */)", path)
    meta = parse_header(m.group(1), path)
    model.grain = meta["grain"]
    model.unique = meta["unique"]
    model.columns = meta["columns"]
    model.tests = meta["tests"]
    model.refs = {r.lower() for r in REF.findall(_strip_comments(sql))}
    return model


def discover(sql_dir: Path = SQL_DIR) -> list[Model]:
    """All models, in an order where every model runs after the models it reads from."""
    models = {}
    for layer in LAYERS:
        for path in sorted((sql_dir / layer).glob("*.sql")):
            model = parse_model(path, layer)
            if model.name in models:
                raise ModelError(f"two models are named {model.name}", path)
            models[model.name] = model
    for m in models.values():
        m.refs = {r for r in m.refs if r in models and r != m.name}
    ordered: list[Model] = []
    state: dict[str, int] = {}

    def visit(m: Model, chain: list[str]) -> None:
        if state.get(m.name) == 2:
            return
        if state.get(m.name) == 1:
            raise ModelError(f"models reference each other in a cycle: {' -> '.join(chain + [m.name])}", m.path)
        state[m.name] = 1
        for r in sorted(m.refs):
            visit(models[r], chain + [m.name])
        state[m.name] = 2
        ordered.append(m)

    for m in models.values():
        visit(m, [])
    return ordered


def data_tests(models: list[Model], sql_dir: Path = SQL_DIR) -> list[DataTest]:
    """Generated grain tests from headers, plus the singular tests in sql/tests/."""
    tests = []
    for m in models:
        if m.unique:
            cols = ", ".join(m.unique)
            tests.append(DataTest(f"unique({m.name}: {cols})", m.path,
                                  f"select {cols}, count(*) as n from {m.name} group by all having count(*) > 1"))
            nulls = " or ".join(f"{c} is null" for c in m.unique)
            tests.append(DataTest(f"not_null({m.name}: {cols})", m.path, f"select * from {m.name} where {nulls}"))
        for expr in m.tests:
            tests.append(DataTest(f"{m.name}: {expr}", m.path, f"select * from {m.name} where not coalesce(({expr}), true)"))
    for path in sorted((sql_dir / "tests").glob("*.sql")):
        tests.append(DataTest(path.stem, path, path.read_text(encoding="utf-8")))
    return tests


def _default_as_of(con) -> dt.date:
    """The latest date the data speaks of, never later than today."""
    row = con.execute(
        """select greatest(
            (select max(close_date) from raw_opportunities where close_date <= current_date),
            (select max(created_date) from raw_opportunities),
            (select max(activity_date) from raw_activities where activity_date <= current_date),
            (select max(cast(changed_at as date)) from raw_opportunity_history))"""
    ).fetchone()[0]
    return row or dt.date.today()


def set_variables(con, cfg: Config, as_of: dt.date) -> None:
    """Settings reach SQL as DuckDB variables, so models stay plain SQL that lints and runs anywhere."""
    t, g = cfg.thresholds, cfg.grades.cutoffs
    values = {
        "as_of": f"date {lit(as_of.isoformat())}",
        "fiscal_start_month": str(cfg.fiscal_year_start_month),
        "fiscal_year_offset": "1" if (cfg.fiscal_year_named_by == "end" and cfg.fiscal_year_start_month != 1) else "0",
        "deviation": str(t.deviation),
        "stuck_stage_multiple": str(t.stuck_stage_multiple),
        "stuck_no_activity_days": str(t.stuck_no_activity_days),
        "untouched_days": str(t.untouched_days),
        "manager_selling_share": str(t.manager_selling_share),
        "new_hire_months": str(t.new_hire_months),
        "grade_cutoffs": "[" + ", ".join(str(float(c)) for c in g) + "]",
    }
    for name, value in values.items():
        con.execute(f"set variable {name} = {value}")
    stages = cfg.stages
    con.execute("create or replace table raw_stages (stage varchar, kind varchar, probability double, stage_order integer)")
    if stages:
        con.executemany(
            "insert into raw_stages values (?, ?, ?, ?)",
            [[s.name, s.kind, s.probability, i + 1] for i, s in enumerate(stages)],
        )
    _targets_table(con, cfg)


def _targets_table(con, cfg: Config) -> None:
    """Per-rep plan: the rep's own row in the targets extract, else the config value for their role."""
    rows = []
    roles = [r[0] for r in con.execute("select distinct coalesce(role, '') from raw_reps").fetchall()] + [""]
    for metric in type(cfg.targets).model_fields:
        for role in roles:
            rows.append([metric, role, cfg.targets.for_role(metric, role or None)])
    con.execute("create or replace table raw_role_targets (metric varchar, role varchar, target double)")
    con.executemany("insert into raw_role_targets values (?, ?, ?)", rows)


def run(cfg: Config, con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> ModelsResult:
    """Run every model, then every data test; a failing test raises with sample rows."""
    as_of = cfg.as_of or _default_as_of(con)
    set_variables(con, cfg, as_of)
    models = discover(sql_dir)
    for m in models:
        try:
            con.execute(f"create or replace table {m.name} as {m.sql}")
        except duckdb.Error as e:
            raise ModelError(f"model {m.name} failed: {str(e).splitlines()[0]}", m.path) from e
    tests = data_tests(models, sql_dir)
    failures = []
    for t in tests:
        try:
            rel = con.sql(t.sql)
            cols = rel.columns
            rows = rel.limit(5).fetchall()
        except duckdb.Error as e:
            raise ModelError(f"data test {t.name} could not run: {str(e).splitlines()[0]}", t.file) from e
        if rows:
            n = con.execute(f"select count(*) from ({t.sql})").fetchone()[0]
            failures.append((t, n, [dict(zip(cols, r)) for r in rows]))
    if failures:
        t, n, sample = failures[0]
        others = f"; {len(failures) - 1} more test(s) failed" if len(failures) > 1 else ""
        raise DataTestError(f"data test {t.name} failed on {n} row(s), e.g. {sample[0]}{others}", t.file, sample)
    return ModelsResult(models, len(tests), as_of)
