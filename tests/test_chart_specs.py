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
