"""Compare the marts of two built sites, so a metric change is reviewed by its effect on the numbers.

Each site carries its marts as CSV plus `data/marts.json` (each mart's grain and columns);
the diff joins base and head on the grain and reports every metric that moved, with the
largest before/after changes, and any mart or column that appeared or went away.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipelines.errors import ScorecardError
from pipelines.sqltext import lit, q

REL_TOL = 1e-9


def _manifest(site: Path) -> dict:
    path = site / "data" / "marts.json"
    if not path.exists():
        raise ScorecardError("not a built site (no data/marts.json); build it with `python -m pipelines build`", site)
    return json.loads(path.read_text(encoding="utf-8"))


def _fmt(v) -> str:
    if v is None:
        return "∅"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 10 else f"{v:,.2f}"
    return str(v).replace("|", "\\|")


def _changed(a: str, b: str, numeric: bool) -> str:
    if numeric:
        return (
            f"(({a} is null) <> ({b} is null) or abs({a} - {b}) > {REL_TOL} * greatest(abs({a}), abs({b}), 1))"
        )
    return f"({a} is distinct from {b})"


def diff_sites(base: Path, head: Path, limit: int = 10) -> str:
    """A markdown summary of every difference between the marts of two builds."""
    mb, mh = _manifest(base), _manifest(head)
    con = duckdb.connect()
    lines = ["## Metric changes", "", f"Base: `{base}` · head: `{head}`", ""]
    added = sorted(set(mh) - set(mb))
    removed = sorted(set(mb) - set(mh))
    summary: list[str] = []
    details: list[str] = []
    for name in sorted(set(mb) & set(mh)):
        key = mh[name]["unique"]
        if not key or key != mb[name]["unique"]:
            details.append(f"- `{name}`: grain changed from {mb[name]['unique']} to {key}; rows not compared.")
            continue
        cols_b, cols_h = mb[name]["columns"], mh[name]["columns"]
        for c in sorted(set(cols_h) - set(cols_b)):
            details.append(f"- `{name}.{c}`: column added.")
        for c in sorted(set(cols_b) - set(cols_h)):
            details.append(f"- `{name}.{c}`: column removed.")
        con.execute(f"create or replace table b as select * from read_csv({lit(str(base / 'data' / (name + '.csv')))}, header = true)")
        con.execute(f"create or replace table h as select * from read_csv({lit(str(head / 'data' / (name + '.csv')))}, header = true)")
        types_b = dict(con.execute("select column_name, column_type from (describe b)").fetchall())
        types_h = dict(con.execute("select column_name, column_type from (describe h)").fetchall())
        on = " and ".join(f"b.{q(k)} is not distinct from h.{q(k)}" for k in key)
        only_h = con.execute(f"select count(*) from h anti join b on {on}").fetchone()[0]
        only_b = con.execute(f"select count(*) from b anti join h on {on}").fetchone()[0]
        if only_h or only_b:
            summary.append(f"| `{name}` | *rows* | +{only_h} / −{only_b} | | | |")
        for c in [c for c in cols_h if c in cols_b and c not in key]:
            numeric = all(
                t.split("(")[0] in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "DECIMAL", "HUGEINT", "SMALLINT")
                for t in (types_b.get(c, ""), types_h.get(c, ""))
            )
            a, bb = f"b.{q(c)}", f"h.{q(c)}"
            changed = _changed(a, bb, numeric)
            n = con.execute(f"select count(*) from b join h on {on} where {changed}").fetchone()[0]
            if not n:
                continue
            reps = teams = ""
            if "rep_id" in key:
                reps = con.execute(f"select count(distinct b.rep_id) from b join h on {on} where {changed}").fetchone()[0]
            if "team" in key:
                teams = con.execute(f"select count(distinct b.team) from b join h on {on} where {changed}").fetchone()[0]
            order = f"abs(coalesce({bb}, 0) - coalesce({a}, 0)) desc" if numeric else "1"
            keys_sql = ", ".join(f"b.{q(k)}" for k in key)
            top = con.execute(
                f"select {keys_sql}, {a}, {bb} from b join h on {on} where {changed} order by {order}, {keys_sql} limit {limit}"
            ).fetchall()
            first = top[0]
            summary.append(
                f"| `{name}` | `{c}` | {n} | {reps} | {teams} | "
                f"{' / '.join(_fmt(v) for v in first[: len(key)])}: {_fmt(first[-2])} → {_fmt(first[-1])} |"
            )
            details.append(f"\n#### `{name}.{c}`: {n} row(s) changed\n")
            details.append("| " + " | ".join(key) + " | before | after |")
            details.append("|" + " --- |" * (len(key) + 2))
            for row in top:
                details.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    if not (summary or added or removed or details):
        return "\n".join(lines + ["No metric changed between the two builds."]) + "\n"
    if summary:
        lines += ["| mart | metric | rows changed | reps | teams | largest change |", "| --- | --- | --- | --- | --- | --- |"]
        lines += summary
    else:
        lines.append("No metric value changed.")
    for name in added:
        lines.append(f"- mart `{name}` added ({len(mh[name]['columns'])} columns).")
    for name in removed:
        lines.append(f"- mart `{name}` removed.")
    if details:
        lines += ["", "### Details", ""] + details
    return "\n".join(lines) + "\n"
