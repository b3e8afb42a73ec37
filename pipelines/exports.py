"""The CSV downloads: every mart as `data/<mart>.csv`, plus `marts.json` for `pipelines diff`.

Mart names, their CSV files and their columns are a public interface (users' own scripts
read them), so every mart is exported, in its grain's order, with the columns privacy
settings allow. CRM text that starts like a spreadsheet formula gets a leading ' so that
opening a download never runs it, and floating-point figures are written to 12 significant
digits so that the same input gives the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import duckdb

from pipelines.audiences import Audience, person_columns, row_filter
from pipelines.catalog import Model
from pipelines.settings import CONTEST_VALUE_KINDS, QUOTA_DIMENSION, Config
from pipelines.sqltext import FLOAT_TYPES, lit, q, steady_float

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_START = "^[=+@\\t\\r-]"


def hidden_columns(cfg: Config, mart: Model, privacy=None) -> set[str]:
    """Columns a download leaves out, by their kind (sql/columns.yml and the headers), never by name.

    Emails go everywhere unless privacy.publish_emails; in a mart about single reps or deals (its grain
    names rep_id or opportunity_id), hide_amounts takes out every money column and hide_quotas every
    quota and attainment column; both take out money at risk (at_risk). Team and org sums stay.
    """
    privacy = privacy or cfg.privacy
    kinds = kinds_of(cfg, mart)
    hidden = set() if privacy.publish_emails else {c for c, k in kinds.items() if k == "email"}
    if {"rep_id", "opportunity_id"} & set(mart.unique):
        # Money at risk is an amount and a share of the quota (a gap × the quota): either switch hides it.
        if privacy.hide_amounts:
            hidden |= {c for c, k in kinds.items() if k in ("money", "at_risk")}
        if privacy.hide_quotas:
            hidden |= {c for c, k in kinds.items() if k in ("quota", "attainment", "at_risk")}
    return hidden


def kinds_of(cfg: Config, mart: Model) -> dict[str, str]:
    """The mart's column kinds, with a contest's `value` of the kind of the metric it ranks (site.contest_metric):
    an attainment, an amount or a count, which its header cannot say for every setting."""
    if "contest_metric" in mart.columns and "value" in mart.columns:
        return mart.kinds | {"value": CONTEST_VALUE_KINDS[cfg.site.contest_metric]}
    return mart.kinds


def hidden_rows(mart: Model, privacy) -> str:
    """The WHERE clause that leaves out the rows privacy hides whole: with hide_quotas, a per-rep mart's rows of the
    attainment dimension (rep_alerts: the attainment alert, whose actual and deviation are attainment)."""
    if privacy.hide_quotas and "rep_id" in mart.unique and "dimension" in mart.columns:
        return f"dimension is distinct from {lit(QUOTA_DIMENSION)}"
    return "true"


def formula_safe(column: str, type_name: str) -> str:
    """A select item that prefixes formula-looking text with ' (other types pass through)."""
    if type_name != "VARCHAR":
        return q(column)
    return f"case when regexp_matches({q(column)}, {lit(FORMULA_START)}) then '''' || {q(column)} else {q(column)} end as {q(column)}"


def csv_cell(column: str, type_name: str) -> str:
    """A select item for a CSV download: formula-safe text, and floats to 12 significant digits (`steady_float`)."""
    if type_name in FLOAT_TYPES:
        return steady_float(column)
    return formula_safe(column, type_name)


def export_csvs(con: duckdb.DuckDBPyConnection, cfg: Config, marts: list[Model], data_dir: Path,
                audience: Audience | None = None, people: set[str] | None = None) -> None:
    """Every mart as a CSV download, plus marts.json (grain and columns) for `pipelines diff`.

    For an audience, only the rows its scope may see (pipelines.audiences), and the columns its privacy allows.
    """
    for step in export_steps(con, cfg, marts, data_dir, audience, people):
        step()


def export_steps(con: duckdb.DuckDBPyConnection, cfg: Config, marts: list[Model], data_dir: Path,
                 audience: Audience | None = None, people: set[str] | None = None) -> list[Callable[[], None]]:
    """`export_csvs` as steps to run in order: one per mart, then marts.json. The pages stage runs a few of them
    while each batch of pages renders, so that no batch's workers wait for all of them at once."""
    manifest: dict[str, dict] = {}

    def mart_csv(mart: Model) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        hidden = hidden_columns(cfg, mart, audience.privacy if audience else None)
        rel = con.sql(f"select * from {mart.name}")
        types = dict(zip(rel.columns, (str(t) for t in rel.types)))
        cols = [c for c in rel.columns if c not in hidden]
        where, blank = hidden_rows(mart, audience.privacy if audience else cfg.privacy), {}
        if audience is not None:
            where += f" and {row_filter(rel.columns, audience, people or set())}"
            blank = person_columns(rel.columns, audience, people or set())
        select = [f"{blank[c]} as {q(c)}" if c in blank else csv_cell(c, types[c]) for c in cols]
        order = ", ".join(mart.unique) if mart.unique else "all"
        con.execute(
            f"copy (select {', '.join(select)} from {mart.name} where {where} order by {order}) "
            f"to {lit(str(data_dir / (mart.name + '.csv')))} (header, delimiter ',')"
        )
        manifest[mart.name] = {"unique": mart.unique, "columns": cols, "grain": mart.grain}

    def write_manifest() -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "marts.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")

    return [functools.partial(mart_csv, mart) for mart in marts] + [write_manifest]
