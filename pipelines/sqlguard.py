"""A column mapping is one scalar SQL expression, and this module makes sure of it before DuckDB runs it.

`sources.<table>.columns` may map a canonical column to a DuckDB expression over the file's
columns (`a || ' / ' || coalesce(b, '?')`). Pasted into a select, text such as
`x); copy (select * from extract_reps) to 'out.csv'; select (1` or `read_text('/etc/passwd')`
would run statements or read files. So the expression is parsed by DuckDB's own parser, as the
exact text the mapping code will run (`select (<expression>` and a newline `)`: the newline ends a trailing
`--` comment, so the closing parenthesis is never commented away), and its parse tree is walked:
operators, comparisons, CASE, casts, column references, constants and scalar functions
(macros included) pass; a second statement, a FROM, a subquery, a window or aggregate, a table
function, or a function that reads the environment, the session or a random source is refused
with one line naming the key. Text that does not parse alone is never run: `syntax_error` gives the
mapping code DuckDB's reason, which it reports (or, in a list of candidates, it tries the next one). Running it
with more SQL after it would let that SQL complete a fragment the guard never saw as a whole
(`1); copy (…) to 'x'; with t as (select 1` becomes three statements once `) from <file>` follows).
"""

from __future__ import annotations

import json

import duckdb

from pipelines.errors import ConfigError

# Expression node classes of DuckDB's parse tree that compute a value from a row and nothing else.
ALLOWED_CLASSES = {
    "COLUMN_REF", "CONSTANT", "FUNCTION", "OPERATOR", "CASE", "CAST", "COMPARISON", "CONJUNCTION",
    "BETWEEN", "COLLATE", "TYPE", "LAMBDA", "LAMBDA_REF",
}
# Scalar functions that look outside the row: the environment, the session, the clock's randomness, SQL itself.
REFUSED_FUNCTIONS = {
    "getenv", "current_setting", "current_query", "current_query_id", "current_connection_id",
    "current_transaction_id", "txid_current", "json_serialize_sql", "json_deserialize_sql", "json_execute_serialized_sql",
    "random", "uuid", "uuidv4", "uuidv7", "gen_random_uuid", "setseed", "version", "query", "query_table",
    "read_text", "read_blob", "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto", "glob",
    "parquet_scan", "sniff_csv", "load", "install", "attach", "copy", "sql_auto_complete", "duckdb_settings",
    # A build that hangs, and DuckDB's own log and internals: nothing a mapping needs.
    "sleep_ms", "pg_sleep", "write_log",
}
INTERNAL_PREFIX = "__internal"
_SCHEMAS = {"", "main", "pg_catalog", "system"}
HOW = ("a mapping is one scalar expression over the file's columns: operators, CASE, casts and scalar "
       "functions; no statements, subqueries, table functions, or file, network or shell access")


def _functions(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    """Every function DuckDB knows here -> whether it is a harmless scalar function (or macro)."""
    kinds: dict[str, bool] = {}
    for name, kind in con.execute("select lower(function_name), function_type from duckdb_functions()").fetchall():
        kinds[name] = kinds.get(name, False) or kind in ("scalar", "macro")
    return {n: ok and n not in REFUSED_FUNCTIONS and not n.startswith(INTERNAL_PREFIX) for n, ok in kinds.items()} \
        | dict.fromkeys(REFUSED_FUNCTIONS, False)


def wrapped(expression: str) -> str:
    """The expression as the mapping code runs it: in parentheses, a newline before the closing one."""
    return f"({expression}\n)"


def syntax_error(con: duckdb.DuckDBPyConnection, expression: str) -> str | None:
    """DuckDB's one-line reason when `expression` does not parse on its own as `select <wrapped>`, else None."""
    try:
        con.extract_statements(f"select {wrapped(expression)}")
    except duckdb.Error as e:
        return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return None


def refusal(con: duckdb.DuckDBPyConnection, expression: str) -> str | None:
    """Why `expression` may not be a mapping, or None when it is harmless (or does not parse at all: the mapping
    code then runs nothing, see `syntax_error`)."""
    text = f"select {wrapped(expression)}"
    try:
        statements = con.extract_statements(text)
    except duckdb.Error:
        return None  # not SQL: the mapping code runs nothing and says so
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        return "a second statement"
    tree = json.loads(con.execute("select json_serialize_sql(?)", [text]).fetchone()[0])
    if tree.get("error"):
        return "a statement other than one expression"
    node = tree["statements"][0]["node"]
    shape = (node.get("type") == "SELECT_NODE" and len(node.get("select_list", [])) == 1
             and (node.get("from_table") or {}).get("type") == "EMPTY" and not node.get("modifiers")
             and not (node.get("cte_map") or {}).get("map") and not node.get("group_expressions")
             and all(node.get(k) is None for k in ("where_clause", "having", "qualify", "sample")))
    if not shape:
        return "a query (FROM, WHERE, GROUP BY, a set operation)"
    return _walk(node["select_list"][0], _functions(con))


def _walk(node, functions: dict[str, bool]) -> str | None:
    """The first thing in the expression tree that is not allowed, or None."""
    if isinstance(node, list):
        return next((why for why in (_walk(n, functions) for n in node) if why), None)
    if not isinstance(node, dict):
        return None
    kind = node.get("class")
    if kind is not None and kind not in ALLOWED_CLASSES:
        return {"SUBQUERY": "a subquery", "WINDOW": "a window function", "STAR": "*",
                "PARAMETER": "a parameter"}.get(kind, f"a {kind.lower()} expression")
    if kind == "FUNCTION":
        why = _function(node, functions)
        if why:
            return why
    return next((why for why in (_walk(v, functions) for v in node.values()) if why), None)


def _function(node: dict, functions: dict[str, bool]) -> str | None:
    name = str(node.get("function_name", "")).lower()
    if node.get("is_operator"):
        return None
    if node.get("schema", "") not in _SCHEMAS or node.get("catalog", ""):
        return f"{node.get('schema')}.{name}()"
    if node.get("filter") is not None or (node.get("order_bys") or {}).get("orders") or node.get("distinct"):
        return f"the aggregate {name}()"
    if functions.get(name, True):
        return None  # a scalar function, or none at all (DuckDB then says the function does not exist)
    listed = name in REFUSED_FUNCTIONS or name.startswith(INTERNAL_PREFIX)
    return f"{name}()" + ("" if listed else " (not a scalar function)")


def check_mapping(con: duckdb.DuckDBPyConnection, expression: str, key: str, file: str) -> None:
    """Raise a ConfigError naming `key` unless `expression` is one harmless scalar expression."""
    why = refusal(con, expression)
    if why:
        raise ConfigError(f"`{key}`: {why} is not allowed here; {HOW}", file)
