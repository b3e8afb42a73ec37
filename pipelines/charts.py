"""Chart specs: built once with Altair, then filled with each page's rows.

Building an Altair chart object per rep costs milliseconds each, which is minutes at
5,000 reps; a spec built once and given new `datasets` per page costs microseconds.
The site's charts.js renders every embedded spec with the bundled vega-embed.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache

import altair as alt
from markupsafe import escape

DATA = alt.NamedData(name="values")


def _finish(chart: alt.Chart, title: str, description: str) -> dict:
    spec = chart.properties(title=title, description=description, width="container", height=220).to_dict(validate=False)
    spec.pop("datasets", None)
    return spec


@lru_cache(maxsize=None)
def _templates() -> dict[str, dict]:
    """Every chart kind the site draws, as a Vega-Lite spec without data."""
    attainment = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("period:O", title="Fiscal quarter"),
        y=alt.Y("attainment:Q", title="Attainment", axis=alt.Axis(format="%")),
        color=alt.condition("datum.attainment >= 1", alt.value("#2e7d32"), alt.value("#5c6bc0")),
        tooltip=[alt.Tooltip("period:O"), alt.Tooltip("attainment:Q", format=".0%")],
    )
    goal = alt.Chart(DATA).mark_rule(strokeDash=[4, 4], color="#e53935").encode(y=alt.datum(1))
    pipeline = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("open_amount:Q", title="Open amount"),
        y=alt.Y("stage:N", sort=alt.EncodingSortField("stage_order"), title="Stage"),
        tooltip=["stage:N", alt.Tooltip("open_amount:Q", format=",.0f"), "open_deals:Q"],
    )
    activities = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("week_start:T", title="Week", timeUnit="yearmonthdate"),
        y=alt.Y("sum(activities):Q", title="Activities"),
        color=alt.Color("activity_type:N", title="Type"),
        tooltip=["week_start:T", "activity_type:N", "activities:Q"],
    )
    team_attainment = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("attainment:Q", title="Attainment", axis=alt.Axis(format="%")),
        y=alt.Y("name:N", sort="-x", title=None),
        tooltip=["name:N", alt.Tooltip("attainment:Q", format=".0%")],
    )
    team_goal = alt.Chart(DATA).mark_rule(strokeDash=[4, 4], color="#e53935").encode(x=alt.datum(1))
    return {
        "attainment_by_quarter": _finish(alt.layer(attainment, goal), "", ""),
        "pipeline_by_stage": _finish(pipeline, "", ""),
        "activities_by_week": _finish(activities, "", ""),
        "attainment_by_rep": _finish(alt.layer(team_attainment, team_goal), "", ""),
    }


def chart(kind: str, values: list[dict], title: str, description: str) -> dict:
    """A ready-to-embed spec of `kind` holding `values`."""
    spec = copy.copy(_templates()[kind])
    spec["title"] = title
    spec["description"] = description
    spec["datasets"] = {"values": values}
    return spec


def embed(spec: dict, description: str) -> str:
    """HTML for one chart: the spec as inert JSON, rendered by charts.js; the text is for screen readers."""
    payload = json.dumps(spec, separators=(",", ":"), default=str)
    # Escape so the JSON can never close its <script> element, whatever a CRM field holds.
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    desc = escape(description)
    return (
        f'<figure class="scorecard-chart"><div class="vega-chart" role="img" aria-label="{desc}"></div>'
        f'<script type="application/json" class="vega-spec">{payload}</script>'
        f"<figcaption>{desc}</figcaption></figure>"
    )
