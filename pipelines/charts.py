"""Charts: each page embeds its rows and words; the spec of each chart kind is written once for the site.

Building an Altair chart object per rep costs milliseconds each, which is minutes at
5,000 reps; a spec built once and given new `datasets` per page costs microseconds. The
specs are built with Altair by pipelines.chart_specs into templates/chart-specs.json, which
a build reads. The site's charts.js renders every embedded spec with the bundled vega-embed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

# Every chart kind's Vega-Lite spec, built with Altair by pipelines.chart_specs.
SPECS = Path(__file__).resolve().parent.parent / "templates" / "chart-specs.json"
FORECAST_LABELS = {"closed": "Closed", "commit": "Commit", "best_case": "Best Case", "pipeline": "Pipeline"}


def specs_json(specs: dict[str, dict]) -> str:
    """The specs as chart-specs.js holds them: compact, keys sorted."""
    return json.dumps(specs, separators=(",", ":"), sort_keys=True)


@lru_cache(maxsize=None)
def _specs_text() -> str:
    return SPECS.read_text(encoding="utf-8").strip()  # the file ends in a newline; the JSON has none at its ends


@lru_cache(maxsize=None)
def _templates() -> dict[str, dict]:
    """Every chart kind the site draws, as a Vega-Lite spec without data (built by pipelines.chart_specs)."""
    return json.loads(_specs_text())


def chart(kind: str, values: list[dict], title: str, description: str) -> dict:
    """What a page embeds for one chart: its kind, words and rows; the spec itself is site-wide."""
    if kind not in _templates():
        raise KeyError(f"unknown chart kind {kind!r}")
    return {"kind": kind, "title": title, "description": description, "values": values}


def specs_script(currency: str = "$") -> str:
    """assets/chart-specs.js: every chart kind's spec once for the whole site, not once per page, and the
    currency symbol the axes and tooltips write money with."""
    return f"window.SCORECARD_CHART_SPECS = {_specs_text()};\nwindow.SCORECARD_CURRENCY = {json.dumps(currency)};\n"


FLOW_STEPS = [
    ("opening_pipeline", "Opening", "total"),
    ("created", "Created", "into pipeline"),
    ("pulled_in", "Pulled in", "into pipeline"),
    ("other_in", "Other in", "into pipeline"),
    ("amount_up", "Amount up", "into pipeline"),
    ("amount_down", "Amount down", "out of pipeline"),
    ("won", "Won", "out of pipeline"),
    ("lost", "Lost", "out of pipeline"),
    ("pushed_out", "Slipped", "out of pipeline"),
    ("other_out", "Other out", "out of pipeline"),
    ("closing_pipeline", "Closing", "total"),
]


def waterfall_values(flow: dict) -> list[dict]:
    """Bars of a pipeline waterfall: totals from zero, each movement from the running level."""
    values, level = [], 0.0
    for order, (key, label, kind) in enumerate(FLOW_STEPS):
        amount = float(flow.get(key) or 0)
        if kind == "total":
            start, end, level = 0.0, amount, amount
        else:
            start = level
            level = level + amount if kind == "into pipeline" else level - amount
            end = level
        values.append({"step": label, "order": order, "start": start, "end": end, "amount": amount, "kind": kind})
    return values


def flow_chart_values(flow: dict | None) -> list[dict]:
    """A rep's or team's waterfall bars, or none when there is no flow row or it is zero at every step (the page
    then says why instead of drawing an empty chart)."""
    values = waterfall_values(flow) if flow else []
    return values if any(v["amount"] for v in values) else []


FORECAST_STEPS = [
    ("opening", "Opening"), ("added", "Added"), ("upgraded", "Upgraded"), ("downgraded", "Downgraded"),
    ("amount_changed", "Amount changed"), ("won", "Won"), ("lost", "Lost"), ("slipped", "Slipped out"),
    ("other", "Other"), ("closing", "Closing"),
]


def forecast_waterfall_values(movement: dict) -> list[dict]:
    """Bars of one roll-up column's week (a forecast movement row): the opening and closing from zero, each signed
    movement from the running level, green when it adds and red when it takes away."""
    values, level = [], 0.0
    for order, (key, label) in enumerate(FORECAST_STEPS):
        change = float(movement.get(key) or 0)
        if key in ("opening", "closing"):
            start, end, level, kind = 0.0, change, change, "total"
        else:
            start, level = level, level + change
            end, kind = level, "in" if change >= 0 else "out"
        values.append({"step": label, "order": order, "start": start, "end": end, "change": change, "kind": kind})
    return values


def forecast_trend_values(trend: list[dict]) -> list[dict]:
    """Points of the trend line: one per day and roll-up column that has a value (no data is never 0).

    A day that is not known (a deal the history leaves out, `unseen_deals`) is a null point of each column drawn
    on other days: Vega-Lite breaks the line there, where leaving the day out would join its neighbours as if
    the days between them were known. A column the export never has (no forecast categories) gets no points.
    """
    drawn = {key for r in trend for key in FORECAST_LABELS if r.get(key) is not None}
    return [{"day": r["snapshot_day"].isoformat(), "column": label, "value": r.get(key)}
            for r in trend for key, label in FORECAST_LABELS.items()
            if r.get(key) is not None or (key in drawn and r.get("unseen_deals"))]


def embed(spec: dict, description: str) -> str:
    """HTML for one chart: its payload as inert JSON, rendered by charts.js; the text is for screen readers."""
    payload = json.dumps(spec, separators=(",", ":"), default=str)
    # Escape so the JSON can never close its <script> element, whatever a CRM field holds.
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    # One line: a CRM name holding blank lines must not end the raw-HTML block in the markdown.
    desc = Markup(" ".join(str(escape(description)).split()))  # split as str: Markup.split makes a Markup a word
    return (
        f'<figure class="scorecard-chart"><div class="vega-chart" role="img" aria-label="{desc}"></div>'
        f'<script type="application/json" class="vega-spec">{payload}</script>'
        f"<figcaption>{desc}</figcaption></figure>"
    )


@dataclass
class Timing:
    """Seconds and calls spent making chart payloads, so the pages stage can report charts apart from pages.

    One per pages render; a forked worker adds to its own copy, and reports what it added.
    """

    seconds: float = 0.0
    calls: int = 0

    def figure(self, kind: str, values: list[dict], title: str, description: str) -> str:
        """`embed(chart(...))`, timed."""
        start = time.perf_counter()
        try:
            return embed(chart(kind, values, title, description), description)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1
