"""The chart specs, built with Altair: every chart kind the site draws, as a Vega-Lite spec without data.

They are the same for every site, so they are built here, once, into templates/chart-specs.json, and a build
reads that file (pipelines.charts) instead of importing Altair and building them again, which was a third of a
small org's pages stage. After changing a chart, write the file anew:

    python -m pipelines.chart_specs

(tests/test_chart_specs.py fails while the file is not what this module builds).
"""

from __future__ import annotations

import altair as alt

from pipelines.charts import FORECAST_LABELS, SPECS, specs_json

DATA = alt.NamedData(name="values")


def _finish(chart: alt.Chart, title: str, description: str, height: int = 220) -> dict:
    spec = chart.properties(title=title, description=description, width="container", height=height).to_dict(validate=False)
    spec.pop("datasets", None)
    return spec


MONEY_AXIS = "$,.2s"  # "$20M": d3-format with the org's currency symbol (charts.js sets the locale)
MONEY = "$,.0f"
PCT = ".0%"
GOAL = "#e53935"


def _goal_rule(channel: str) -> alt.Chart:
    """The 100% line; decorative for screen readers (the description mentions it): aria=False."""
    return alt.Chart(DATA).mark_rule(strokeDash=[4, 4], color=GOAL, aria=False).encode(**{channel: alt.datum(1)})


def _attainment_by_quarter() -> alt.LayerChart:
    """Bars capped at 200% (the capped value written above the bar); the current quarter drawn paler and
    named in progress, so a young quarter does not read as a missed one."""
    base = alt.Chart(DATA).encode(x=alt.X("period:O", title="Fiscal quarter"))
    bars = base.mark_bar().encode(
        y=alt.Y("shown:Q", title="Attainment", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 2])),
        color=alt.Color("met:N", title=None, scale=alt.Scale(domain=["quota met", "below quota"],
                                                              range=["#2e7d32", "#5c6bc0"])),
        opacity=alt.Opacity("status:O", title=None, scale=alt.Scale(domain=["closed", "in progress"],
                                                                   range=[1.0, 0.45]),
                            # the bars' own colour: the default black swatch vanished on the dark theme
                            legend=alt.Legend(symbolFillColor="#5c6bc0", symbolStrokeColor="#5c6bc0")),
        tooltip=[alt.Tooltip("period:O", title="Quarter"), alt.Tooltip("attainment:Q", title="Attainment", format=PCT),
                 alt.Tooltip("status:N", title="Quarter is")],
    ).transform_calculate(met="datum.attainment >= 1 ? 'quota met' : 'below quota'")
    labels = base.mark_text(dy=-6, aria=False).encode(y="shown:Q", text="label:N")
    return alt.layer(bars, labels, _goal_rule("y"))


def _quarter_and_pipeline_charts() -> dict[str, dict]:
    """Attainment by quarter and by rep, open pipeline by stage, activities by week."""
    pipeline = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("open_amount:Q", title="Open amount", axis=alt.Axis(format=MONEY_AXIS)),
        y=alt.Y("stage:N", sort=alt.EncodingSortField("stage_order"), title="Stage"),
        tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("open_amount:Q", title="Open amount", format=MONEY),
                 alt.Tooltip("open_deals:Q", title="Open deals")],
    )
    # Weeks are Monday-to-Sunday: an ordinal axis of Monday labels, so ticks sit on the bars' week starts.
    activities = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("week:O", title="Week starting", sort=alt.EncodingSortField("week_start")),
        y=alt.Y("sum(activities):Q", title="Activities"),
        color=alt.Color("activity_type:N", title="Type"),
        tooltip=[alt.Tooltip("week:O", title="Week starting"), alt.Tooltip("activity_type:N", title="Type"),
                 alt.Tooltip("activities:Q", title="Activities")],
    )
    team_attainment = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("attainment:Q", title="Attainment", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 2], clamp=True)),
        y=alt.Y("name:N", sort="-x", title=None),
        tooltip=[alt.Tooltip("name:N", title="Rep"), alt.Tooltip("attainment:Q", title="Attainment", format=PCT)],
    )
    return {
        "attainment_by_quarter": _finish(_attainment_by_quarter(), "", ""),
        "pipeline_by_stage": _finish(pipeline, "", ""),
        "activities_by_week": _finish(activities, "", ""),
        "attainment_by_rep": _finish(alt.layer(team_attainment, _goal_rule("x")), "", ""),
    }


def _waterfall(y_title: str, kinds: list[str], tip_field: str, tip_title: str, label_angle: int,
               legend: bool) -> alt.Chart:
    """Bars from `start` to `end` per step, in `order`, coloured total / in / out (the `kinds`, in that order)."""
    return alt.Chart(DATA).mark_bar().encode(
        x=alt.X("step:N", sort=alt.EncodingSortField("order"), title=None, axis=alt.Axis(labelAngle=label_angle)),
        y=alt.Y("start:Q", title=y_title, axis=alt.Axis(format=MONEY_AXIS)),
        y2="end:Q",
        color=alt.Color("kind:N", title=None, legend=alt.Undefined if legend else None,
                        scale=alt.Scale(domain=kinds, range=["#5c6bc0", "#2e7d32", "#c62828"])),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip(f"{tip_field}:Q", title=tip_title, format=MONEY)],
    )


def _flow_and_trend_charts() -> dict[str, dict]:
    """The pipeline waterfall, attainment bands, the ramp curve and activity against plan."""
    waterfall = _waterfall("Pipeline amount", ["total", "into pipeline", "out of pipeline"], "amount", "Amount",
                           label_angle=-30, legend=True)
    buckets = alt.Chart(DATA).mark_bar().encode(
        x=alt.X("bucket:N", sort=alt.EncodingSortField("bucket_order"), title="Attainment"),
        y=alt.Y("reps:Q", title="Reps"),
        tooltip=[alt.Tooltip("bucket:N", title="Attainment"), alt.Tooltip("reps:Q", title="Reps")],
    )
    ramp = alt.Chart(DATA).mark_line(point=True).encode(
        x=alt.X("month:Q", title="Months since hire"),
        y=alt.Y("attainment:Q", title="Attainment", axis=alt.Axis(format="%")),
        color=alt.Color("series:N", title=None),
        tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("month:Q", title="Month since hire"),
                 alt.Tooltip("attainment:Q", title="Attainment", format=PCT)],
    )
    vs_plan = alt.Chart(DATA).mark_line(point=True).encode(
        x=alt.X("week:O", title="Week starting", sort=alt.EncodingSortField("week_start")),
        y=alt.Y("value:Q", title="Activities"),
        color=alt.Color("series:N", title=None),
        strokeDash=alt.StrokeDash("series:N", legend=None),
        tooltip=[alt.Tooltip("week:O", title="Week starting"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("value:Q", title="Activities")],
    )
    return {
        "flow_waterfall": _finish(waterfall, "", ""),
        "attainment_buckets": _finish(buckets, "", ""),
        "ramp_curve": _finish(ramp, "", ""),
        "activity_vs_plan": _finish(vs_plan, "", ""),
    }


def _forecast_charts() -> dict[str, dict]:
    """The forecast roll-up: a small waterfall of one column's week, and every column's trend over the quarter."""
    waterfall = _waterfall("Amount", ["total", "in", "out"], "change", "Change", label_angle=-40, legend=False)
    trend = alt.Chart(DATA).mark_line(point=True).encode(
        # The trend's points are Sundays (each week's end) and today: one tick a week, on the Sundays.
        x=alt.X("day:T", title=None, timeUnit="yearmonthdate", axis=alt.Axis(tickCount="week", format="%d %b")),
        y=alt.Y("value:Q", title="Amount", axis=alt.Axis(format=MONEY_AXIS)),
        color=alt.Color("column:N", title=None, scale=alt.Scale(domain=list(FORECAST_LABELS.values()))),
        tooltip=[alt.Tooltip("day:T", title="Day", format="%d %b %Y"), alt.Tooltip("column:N", title="Category"),
                 alt.Tooltip("value:Q", title="Amount", format=MONEY)],
    )
    return {"forecast_waterfall": _finish(waterfall, "", "", height=160), "forecast_trend": _finish(trend, "", "")}


def build() -> dict[str, dict]:
    """Every chart kind the site draws, as a Vega-Lite spec without data."""
    return _quarter_and_pipeline_charts() | _flow_and_trend_charts() | _forecast_charts()


if __name__ == "__main__":
    SPECS.write_text(specs_json(build()) + "\n", encoding="utf-8")
    print(f"wrote {SPECS}")
