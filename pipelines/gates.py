"""Sanity gates on the day's extracts: an empty deals extract, or one far smaller than yesterday's.

A CRM export that broke half-way still parses: a header-only file, or the first few thousand
rows of a file cut short, are valid CSV. Published, it says "Won this quarter $0" and history
records a day on which every deal vanished. So the build stops before anything is stored or
swapped in, and says how to let a genuine drop through.
"""

from __future__ import annotations

from pipelines.errors import ExtractGateError
from pipelines.schema import TABLES


def check_required(extracted) -> None:
    """A required extract (the deals) that has no rows is a broken export, never an empty org."""
    for name, table in TABLES.items():
        report = extracted.tables.get(name)
        if table.required and report is not None and report.present and report.loaded == 0:
            what = "no data rows (header only, or cut off before the first row)" if report.read == 0 else \
                f"no row that could be loaded ({report.rejected} rejected)"
            raise ExtractGateError(f"the {name} extract has {what}; a required extract cannot be empty",
                                   ", ".join(report.files))


def check_row_drop(plan, extracted, max_drop: float, accept: bool) -> None:
    """Fail when an extract has far fewer rows than the history holds for the day (thresholds.max_row_drop)."""
    if accept or plan is None:
        return
    for name, report in extracted.tables.items():
        part = plan.tables.get(name)
        if part is None or not part.rows_before or TABLES[name].events:  # events pile up; an extract holds few
            continue
        drop = (part.rows_before - part.rows_now) / part.rows_before
        if drop > max_drop:
            raise ExtractGateError(
                f"the {name} extract has {part.rows_now:,} rows, {drop:.0%} fewer than the {part.rows_before:,} stored "
                f"as of {plan.day}, more than thresholds.max_row_drop ({max_drop:.0%}) allows: a broken or partial "
                "export? If the drop is genuine, run again with --accept-row-drop",
                ", ".join(report.files),
            )
