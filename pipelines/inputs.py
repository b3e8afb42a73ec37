"""The contract between the stages: which tables each stage hands to the next.

extract -> load -> models -> pages -> site run in one direction on one DuckDB connection.
This module is the one place that says what crosses each boundary, so a newcomer can see
where a table is made without reading the code, and `pipelines.catalog` can refuse a staging
model that reads anything but a declared raw input.

* extract writes `extract_<table>` (typed rows that passed every rule), `quarantine` (every
  rejected or flagged row), `extract_notes` (what the build should say about the files) and
  `extract_stages` (the stages, configured or described by the export).
* load writes the `raw_*` inputs below, and nothing else: they are the models' only inputs. It reads
  from the history store only the deal versions (`raw_opportunity_versions`), never a copy per day.
* models write one table per `.sql` model; pages read marts only.
"""

from __future__ import annotations

from pipelines.schema import TABLES

# Made by the extract stage, read only by the load stage.
EXTRACT_OUTPUTS = {
    **{f"extract_{t}": f"Typed, accepted rows of the {t} extract, with _file and _row." for t in TABLES},
    "quarantine": "Every rejected or flagged input row: table, file, row, column, value, reason, action, owner_id.",
    "extract_notes": "One row per note on how the extracts were read (fallbacks, renamed columns).",
    "extract_stages": "The stages every rule and model uses, in order (stage, kind, probability, stage_order): "
    "config `stages`, or those the export describes.",
}

# Made by the load stage; the staging models read these and nothing else.
RAW_INPUTS = {
    **{f"raw_{t}": f"Today's {t} extract, canonical columns (pipelines/schema.py)." for t in TABLES},
    "raw_forecast_calls": "Every forecast call up to the load day, once per (rep_id, period_start, submitted_at): "
    "today's extract and every stored day's (an event table, see Table.events), submitted_at the load day where "
    "the extract gave none.",
    "raw_opportunity_versions": "The deal versions of the history store (pipelines/history): every stored "
    "version up to as_of, and the load day's own versions (today's extract against the day before), without "
    "the volatile last_activity_date (valid_from, the canonical columns, is_removed for a deal that left).",
    "raw_columns": "Which canonical columns some file of each table gives values for (table_name, column_name).",
    "raw_sources": "Per canonical table: whether it was extracted, from how many files, and its rows read, "
    "loaded, rejected and flagged (table_name, present, files, rows_read, rows_loaded, rows_rejected, rows_flagged).",
    "raw_stages": "The stages in order (stage, kind, probability, stage_order): config `stages`, or those the "
    "export describes (extract_stages).",
    "raw_role_targets": "The config targets per role, '' for the default (metric, role, target).",
    "raw_quarantine": "Every rejected or flagged input row (table_name, file, row_number, column_name, value, "
    "reason, action, owner_id).",
    "raw_extract_notes": "The extract stage's notes (table_name, note).",
}
