"""A build reads the chart specs from templates/chart-specs.json instead of building them with Altair: the file
must be exactly what pipelines.chart_specs builds (after changing a chart: `python -m pipelines.chart_specs`)."""

import subprocess
import sys

from pipelines import chart_specs, charts
from tests.conftest import ROOT


def test_the_specs_file_is_what_altair_builds():
    assert charts._specs_text() == charts.specs_json(chart_specs.build()), "run: python -m pipelines.chart_specs"
    assert set(charts._templates()) == set(chart_specs.build())


def test_the_specs_script_holds_the_specs_and_the_currency():
    script = charts.specs_script("CHF ")
    assert script == (f"window.SCORECARD_CHART_SPECS = {charts.specs_json(chart_specs.build())};\n"
                      'window.SCORECARD_CURRENCY = "CHF ";\n')


def test_a_build_does_not_import_altair():
    """Importing Altair cost a small org's build a quarter of a second; the pages stage reads the specs' file."""
    code = "import sys; import pipelines.cli, pipelines.pages, pipelines.site; print('altair' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_trend_day_that_is_not_known_breaks_the_line_instead_of_joining_its_neighbours():
    """Three days of an export without forecast categories (commit, best case and pipeline are always null): on
    04-05 a deal the history leaves out is not known, so Closed is null that day. It is a null point, which
    Vega-Lite draws as a gap (left out, the line would run straight from 03-31 to 04-12 as if 04-05 were known);
    the columns never drawn get no points at all."""
    import datetime as dt
    day = dt.date.fromisoformat
    trend = [
        {"snapshot_day": day("2026-03-31"), "closed": 0.0, "commit": None, "best_case": None, "pipeline": None,
         "unseen_deals": 0},
        {"snapshot_day": day("2026-04-05"), "closed": None, "commit": None, "best_case": None, "pipeline": None,
         "unseen_deals": 1},
        {"snapshot_day": day("2026-04-12"), "closed": 5000.0, "commit": None, "best_case": None, "pipeline": None,
         "unseen_deals": 0},
    ]
    assert charts.forecast_trend_values(trend) == [
        {"day": "2026-03-31", "column": "Closed", "value": 0.0},
        {"day": "2026-04-05", "column": "Closed", "value": None},
        {"day": "2026-04-12", "column": "Closed", "value": 5000.0},
    ]
