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


NUMERIC = ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "DECIMAL", "HUGEINT", "SMALLINT")


def _load_pair(con, base: Path, head: Path, name: str) -> tuple[dict, dict]:
    """Tables b and h: the mart's CSV in each build; returns their column types."""
    for alias, site in (("b", base), ("h", head)):
        csv = lit(str(site / "data" / (name + ".csv")))
        con.execute(f"create or replace table {alias} as select * from read_csv({csv}, header = true)")
    return tuple(dict(con.execute(f"select column_name, column_type from (describe {t})").fetchall()) for t in "bh")


def _column_change(con, name: str, key: list[str], c: str, numeric: bool, limit: int) -> tuple[str, list[str]] | None:
    """The summary row and detail lines of one column that moved, or None when it did not."""
    on = " and ".join(f"b.{q(k)} is not distinct from h.{q(k)}" for k in key)
    a, bb = f"b.{q(c)}", f"h.{q(c)}"
    changed = _changed(a, bb, numeric)
    n = con.execute(f"select count(*) from b join h on {on} where {changed}").fetchone()[0]
    if not n:
        return None
    counts = {
        k: con.execute(f"select count(distinct b.{k}) from b join h on {on} where {changed}").fetchone()[0]
        if k in key else ""
        for k in ("rep_id", "team")
    }
    order = f"abs(coalesce({bb}, 0) - coalesce({a}, 0)) desc" if numeric else "1"
    keys_sql = ", ".join(f"b.{q(k)}" for k in key)
    top = con.execute(
        f"select {keys_sql}, {a}, {bb} from b join h on {on} where {changed} order by {order}, {keys_sql} limit {limit}"
    ).fetchall()
    first = top[0]
    row = (f"| `{name}` | `{c}` | {n} | {counts['rep_id']} | {counts['team']} | "
           f"{' / '.join(_fmt(v) for v in first[: len(key)])}: {_fmt(first[-2])} → {_fmt(first[-1])} |")
    details = [f"\n#### `{name}.{c}`: {n} row(s) changed\n", "| " + " | ".join(key) + " | before | after |",
               "|" + " --- |" * (len(key) + 2)]
    return row, details + ["| " + " | ".join(_fmt(v) for v in r) + " |" for r in top]


def _diff_mart(con, base: Path, head: Path, name: str, mb: dict, mh: dict, limit: int) -> tuple[list[str], list[str]]:
    """(summary rows, detail lines) for one mart present in both builds."""
    key = mh["unique"]
    if not key or key != mb["unique"]:
        return [], [f"- `{name}`: grain changed from {mb['unique']} to {key}; rows not compared."]
    cols_b, cols_h = mb["columns"], mh["columns"]
    details = [f"- `{name}.{c}`: column added." for c in sorted(set(cols_h) - set(cols_b))]
    details += [f"- `{name}.{c}`: column removed." for c in sorted(set(cols_b) - set(cols_h))]
    types_b, types_h = _load_pair(con, base, head, name)
    on = " and ".join(f"b.{q(k)} is not distinct from h.{q(k)}" for k in key)
    only_h = con.execute(f"select count(*) from h anti join b on {on}").fetchone()[0]
    only_b = con.execute(f"select count(*) from b anti join h on {on}").fetchone()[0]
    summary = [f"| `{name}` | *rows* | +{only_h} / −{only_b} | | | |"] if only_h or only_b else []
    for c in [c for c in cols_h if c in cols_b and c not in key]:
        numeric = all(t.split("(")[0] in NUMERIC for t in (types_b.get(c, ""), types_h.get(c, "")))
        moved = _column_change(con, name, key, c, numeric, limit)
        if moved:
            summary.append(moved[0])
            details += moved[1]
    return summary, details


def whole_site(site: Path) -> Path:
    """The site to compare: the build itself, or with audiences the first audience that sees everything
    (access.json lists them), since only it holds every mart row."""
    access = site / "access.json"
    if (site / "data").exists() or not access.exists():
        return site
    entries = json.loads(access.read_text(encoding="utf-8")).get("audiences", [])
    whole = next((e["audience"] for e in entries if e.get("scope") == "all"), None)
    if whole is None:
        raise ScorecardError("a build with audiences but none with scope: all; compare one audience's folder", site)
    return site / whole


def diff_sites(base: Path, head: Path, limit: int = 10) -> str:
    """A markdown summary of every difference between the marts of two builds."""
    base, head = whole_site(base), whole_site(head)
    mb, mh = _manifest(base), _manifest(head)
    con = duckdb.connect()
    lines = ["## Metric changes", "", f"Base: `{base}` · head: `{head}`", ""]
    added, removed = sorted(set(mh) - set(mb)), sorted(set(mb) - set(mh))
    summary: list[str] = []
    details: list[str] = []
    for name in sorted(set(mb) & set(mh)):
        rows, more = _diff_mart(con, base, head, name, mb[name], mh[name], limit)
        summary += rows
        details += more
    if not (summary or added or removed or details):
        return "\n".join(lines + ["No metric changed between the two builds."]) + "\n"
    if summary:
        lines += ["| mart | metric | rows changed | reps | teams | largest change |", "| --- | --- | --- | --- | --- | --- |"]
        lines += summary
    else:
        lines.append("No metric value changed.")
    lines += [f"- mart `{name}` added ({len(mh[name]['columns'])} columns)." for name in added]
    lines += [f"- mart `{name}` removed." for name in removed]
    if details:
        lines += ["", "### Details", ""] + details
    return "\n".join(lines) + "\n"
