"""The stages a build knows: the ones config.yml lists, or the ones the export itself describes.

Every quality rule that depends on what a stage means (a closed deal needs a close date, a won deal
should carry an amount) and every model reads one table, `extract_stages` (stage, kind, probability,
stage_order), so the stages are decided once, before the deals are checked.
"""

from __future__ import annotations

import duckdb

from pipelines.settings import Config

STAGE_COLUMNS = "stage varchar, kind varchar, probability double, stage_order integer"


def configured_stages(con: duckdb.DuckDBPyConnection, cfg: Config) -> None:
    """`extract_stages` from config `stages`, in their order (empty when config lists none)."""
    con.execute(f"create or replace table extract_stages ({STAGE_COLUMNS})")
    if cfg.stages:
        con.executemany(
            "insert into extract_stages values (?, ?, ?, ?)",
            [[s.name, s.kind, s.probability, i + 1] for i, s in enumerate(cfg.stages)],
        )


def kind_of(stage_sql: str, kinds: str) -> str:
    """SQL: whether the stage named by `stage_sql` is of one of `kinds` (e.g. "'won', 'lost'")."""
    return f"{stage_sql} in (select s.stage from extract_stages as s where s.kind in ({kinds}))"
