"""Plan-versus-actual marts on the metrics fixture, against values worked out by hand.

tests/fixtures/metrics: as_of 2026-05-15 (Friday), 2026-Q2 current, 2026-Q1 the previous (closed) quarter.
Targets: config win_rate {default 0.25, AE 0.4}, activities {default 15, Manager 5}, the rest defaults
(pipeline_coverage 3, avg_cycle_days 60, discipline_score 0.9, forecast_accuracy 0.8); targets.csv gives r1
10 activities a week. r3 has no role (default targets); m2 is known only as a manager (role Manager).
"""

import pytest

from pipelines.models import discover
from tests.conftest import FIXTURES, models_on, rows

MINE = ("rep_flow", "team_flow", "rep_stage_funnel", "rep_stuck_deals", "rep_hygiene", "rep_hygiene_deals",
        "rep_activity_vs_plan", "rep_forecast_accuracy", "team_forecast_accuracy", "rep_alerts", "team_alerts",
        "rep_balanced_scorecard", "rep_attainment_distribution", "org_pareto", "team_manager_selling",
        "rep_ramp", "org_ramp_curve", "rep_targets", "int_stage_stints")


@pytest.fixture(scope="module")
def metrics(tmp_path_factory):
    return models_on(FIXTURES / "metrics" / "config.yml", tmp_path_factory.mktemp("metrics"))


def table(con, sql):
    return [tuple(r.values()) for r in rows(con, sql)]


def test_every_column_documented(metrics):
    models = {m.name: m for m in discover()}
    for name in MINE:
        cols = [d[0] for d in metrics.execute(f"select * from {name} limit 0").description]
        models[name].check_output(cols)  # raises when a column is undocumented (or documented but absent)
        assert list(models[name].columns) == cols, name
        assert all(models[name].columns.values()), name
        money = metrics.execute(f"select column_name from (describe {name}) where column_type like 'DECIMAL%'")
        assert money.fetchall() == [], name


def test_rep_targets(metrics):
    got = table(metrics, "select rep_id, metric, target, source from rep_targets "
                         "where metric in ('activities_per_week', 'win_rate') order by rep_id, metric")
    assert got == [
        ("m1", "activities_per_week", 5.0, "role"), ("m1", "win_rate", 0.25, "role"),
        ("m2", "activities_per_week", 5.0, "role"), ("m2", "win_rate", 0.25, "role"),
        ("r1", "activities_per_week", 10.0, "rep"), ("r1", "win_rate", 0.4, "role"),
        ("r2", "activities_per_week", 15.0, "role"), ("r2", "win_rate", 0.4, "role"),
        ("r3", "activities_per_week", 15.0, "default"), ("r3", "win_rate", 0.25, "default"),
        ("r4", "activities_per_week", 15.0, "role"), ("r4", "win_rate", 0.4, "role"),
    ]
    assert table(metrics, "select count(*) from rep_targets") == [(36,)]  # 6 people x 6 metrics


def test_rep_activity_vs_plan(metrics):
    # Last full week: Mon 05-04..Sun 05-10 (as_of is a Friday); 13 weeks back to 02-09. 6 people x 13 weeks.
    assert table(metrics, "select min(week_start)::varchar, max(week_start)::varchar, count(*) "
                          "from rep_activity_vs_plan") == [("2026-02-09", "2026-05-04", 78)]
    got = table(metrics, """select rep_id, week_start::varchar, calls, emails, meetings, other_activities, activities,
                                   target_per_week, target_source, ratio_to_target
                            from rep_activity_vs_plan where activities > 0 order by rep_id, week_start""")
    assert got == [
        ("r1", "2026-04-27", 1, 0, 0, 0, 1, 10.0, "rep", 0.1),      # a11
        ("r1", "2026-05-04", 2, 1, 1, 0, 4, 10.0, "rep", 0.4),      # a7-a10 (a1-a3 are in the part week)
        ("r2", "2026-03-30", 1, 0, 0, 0, 1, 15.0, "role", 1 / 15),  # a4
        ("r2", "2026-05-04", 0, 0, 0, 1, 1, 15.0, "role", 1 / 15),  # a12 'Demo' -> other
    ]


def test_rep_forecast_accuracy(metrics):
    got = table(metrics, """select rep_id, period, commit_at_start, best_case_at_start, won_amount,
                                   forecast_accuracy from rep_forecast_accuracy order by period, rep_id""")
    assert got == [
        # 2025-Q4 began on 10-01, before the history does (12-01): the commit then is unknown (no data),
        # and nothing was won, so accuracy is undefined too
        ("m1", "2025-Q4", None, None, 0.0, None), ("r1", "2025-Q4", None, None, 0.0, None),
        ("r3", "2025-Q4", None, None, 0.0, None),
        ("m1", "2026-Q1", 0.0, 0.0, 60000.0, 0.0),  # won without commit: 1 - 60,000/60,000 = 0
        # r1: o18 (Commit, 120,000) was the only commit on 01-01; won 270,000 -> 1 - 150,000/270,000
        ("r1", "2026-Q1", 120000.0, 120000.0, 270000.0, pytest.approx(4 / 9)),
        ("r2", "2026-Q1", 0.0, 0.0, 8000.0, 0.0),
        ("r3", "2026-Q1", 0.0, 0.0, 0.0, None), ("r4", "2026-Q1", 0.0, 0.0, 0.0, None),
    ]
    team = table(metrics, "select team, commit_at_start, won_amount, forecast_accuracy from team_forecast_accuracy "
                          "where period = '2026-Q1' order by team")
    # East: commit 120,000, won 270,000 + 60,000 + 8,000 = 338,000 -> 120,000 / 338,000
    assert team == [("East", 120000.0, 338000.0, pytest.approx(120000 / 338000)), ("West", 0.0, 0.0, None)]


def test_rep_alerts(metrics):
    got = table(metrics, """select rep_id, metric, actual, target, deviation, direction, is_worse
                            from rep_alerts order by rep_id, metric""")
    a = pytest.approx
    assert got == [
        ("m1", "activities_per_week", 0.0, 5.0, -1.0, "below", True),
        ("m2", "activities_per_week", 0.0, 5.0, -1.0, "below", True),
        # r1: last 4 full weeks (04-13..05-10) 0 + 0 + 1 + 4 activities = 1.25 a week vs 10
        ("r1", "activities_per_week", 1.25, 10.0, a(-0.875), "below", True),
        # projected (won 0 + weighted o4 40,000 + o11 12,500) / 200,000 = 0.2625
        ("r1", "attainment", 0.2625, 1.0, a(-0.7375), "below", True),
        ("r1", "discipline_score", a(1 / 3), 0.9, a(1 / 3 / 0.9 - 1), "below", True),
        # open in Q2 105,000 / (200,000 - 0)
        ("r1", "pipeline_coverage", 0.525, 3.0, a(-0.825), "below", True),
        ("r2", "activities_per_week", 0.25, 15.0, a(0.25 / 15 - 1), "below", True),
        ("r2", "attainment", 0.28, 1.0, a(-0.72), "below", True),  # (12,000 + 2,000) / 50,000
        # o14 cycle 04-03 -> 05-12 = 39 days vs 60: lower is better, so +0.35 (not worse)
        ("r2", "avg_cycle_days", 39.0, 60.0, a(0.35), "below", False),
        ("r2", "discipline_score", 0.0, 0.9, -1.0, "below", True),
        ("r2", "pipeline_coverage", a(20000 / 38000), 3.0, a(20000 / 38000 / 3 - 1), "below", True),
        ("r2", "win_rate", 1.0, 0.4, a(1.5), "above", False),
        ("r3", "activities_per_week", 0.0, 15.0, -1.0, "below", True),
        # r3's attainment 0.85 is within 20%: no alert. cycle (20 + 54) / 2 = 37
        ("r3", "avg_cycle_days", 37.0, 60.0, a(1 - 37 / 60), "below", False),
        ("r3", "discipline_score", 0.5, 0.9, a(0.5 / 0.9 - 1), "below", True),
        ("r3", "pipeline_coverage", 1.25, 3.0, a(1.25 / 3 - 1), "below", True),
        ("r3", "win_rate", a(2 / 3), 0.25, a(2 / 3 / 0.25 - 1), "above", False),
        ("r4", "activities_per_week", 0.0, 15.0, -1.0, "below", True),
        ("r4", "attainment", a(1 / 3), 1.0, a(-2 / 3), "below", True),
        ("r4", "pipeline_coverage", 0.0, 3.0, -1.0, "below", True),
        # r4 cycle 64 days vs 60 is only 6.7% off: no alert
        ("r4", "win_rate", 1.0, 0.4, a(1.5), "above", False),
    ]


def test_team_alerts(metrics):
    got = table(metrics, "select metric, actual, target, deviation, direction from team_alerts "
                         "where team = 'East' order by metric")
    a = pytest.approx
    assert got == [
        # 6 activities over 12 rep-weeks vs mean target (10 + 15 + 5) / 3
        ("activities_per_week", 0.5, 10.0, a(-0.95), "below"),
        ("attainment", a(0.266), 1.0, a(-0.734), "below"),  # (52,500 + 14,000 + 0) / 250,000
        ("avg_cycle_days", 39.0, 60.0, a(0.35), "below"),
        ("discipline_score", a(0.2), 0.9, a(0.2 / 0.9 - 1), "below"),  # 1 clean of 5 open
        ("pipeline_coverage", a(125000 / 238000), 3.0, a(125000 / 238000 / 3 - 1), "below"),
        ("win_rate", 1.0, a(0.35), a(1 / 0.35 - 1), "above"),  # mean of 0.4, 0.4, 0.25
    ]
    # West's attainment (85,000 + 10,000 + 0) / 130,000 = 0.73 is 27% below: alerted
    west = table(metrics, "select actual, deviation from team_alerts where team = 'West' and metric = 'attainment'")
    assert west == [(pytest.approx(95000 / 130000), pytest.approx(95000 / 130000 - 1))]


def test_rep_balanced_scorecard(metrics):
    # cut-offs 0.5 / 0.8 / 1.0 / 1.2. Columns: results, pipeline, conversion, activity, discipline, forecast,
    # cycle grades, graded_dimensions, overall.
    got = table(metrics, """select rep_id, period, results_grade, pipeline_grade, conversion_grade, activity_grade,
                                   discipline_grade, forecast_grade, cycle_grade, graded_dimensions, overall_grade
                            from rep_balanced_scorecard order by period, rep_id""")
    assert got == [
        # m1 Q1: attainment 1.2 (5), coverage 0 (1), win 1/0.25 (5), no activities (1), forecast 0 (1),
        # cycle 60/84 = 0.71 (2): mean 15/6 = 2.5 rounds to 3.
        ("m1", "2026-Q1", 5, 1, 5, 1, None, 1, 2, 6, 3),
        # r1 Q1: 1.35 (5), 0.6/3 = 0.2 (1), 0.75/0.4 (5), 0 (1), (4/9)/0.8 = 0.56 (2), 60/51.3 = 1.17 (4) -> 3
        ("r1", "2026-Q1", 5, 1, 5, 1, None, 2, 4, 6, 3),
        # r2 Q1: 8,000/30,000 (1), 0 (1), 1/0.4 (5), 0 (1), 0 (1), 60/28 (5) -> 14/6 = 2.33 -> 2
        ("r2", "2026-Q1", 1, 1, 5, 1, None, 1, 5, 6, 2),
        ("r3", "2026-Q1", None, None, None, 1, None, None, None, 1, 1),
        ("r4", "2026-Q1", 1, 1, None, 1, None, None, None, 3, 1),
        # current quarter: forecast = 2026-Q1 accuracy; discipline from today's hygiene
        ("m1", "2026-Q2", None, None, None, 1, None, 1, None, 2, 1),
        ("m2", "2026-Q2", None, None, None, 1, None, None, None, 1, 1),
        # r1: 0.2625 (1), 0.525/3 (1), nothing closed, 8 acts / (45/7) / 10 = 0.12 (1), (1/3)/0.9 (1), 0.56 (2)
        ("r1", "2026-Q2", 1, 1, None, 1, 1, 2, None, 5, 1),
        # r2: 0.28, 0.18, 2.5, 0.02, 0, 0, 60/39 -> 1,1,5,1,1,1,5 = 15/7 -> 2
        ("r2", "2026-Q2", 1, 1, 5, 1, 1, 1, 5, 7, 2),
        # r3: 0.85 (3), 1.25/3 (1), (2/3)/0.25 (5), 0.02 (1), 0.5/0.9 = 0.56 (2), no Q1 win, 60/37 (5) -> 17/6 -> 3
        ("r3", "2026-Q2", 3, 1, 5, 1, 2, None, 5, 6, 3),
        # r4: 1/3 (1), 0 (1), 2.5 (5), 0 (1), no open deals, no Q1 win, 60/64 = 0.94 (3) -> 11/5 -> 2
        ("r4", "2026-Q2", 1, 1, 5, 1, None, None, 3, 5, 2),
    ]
    r1 = rows(metrics, "select activity_ratio, forecast_ratio from rep_balanced_scorecard "
                       "where rep_id = 'r1' and period = '2026-Q2'")[0]
    assert r1["activity_ratio"] == pytest.approx(8 / (45 / 7) / 10)  # Q2 to date: 04-01..05-15 = 45 days
    assert r1["forecast_ratio"] == pytest.approx((4 / 9) / 0.8)
