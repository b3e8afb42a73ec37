"""Plan-versus-actual marts on the metrics fixture, against values worked out by hand.

tests/fixtures/metrics: as_of 2026-05-15 (Friday), 2026-Q2 current, 2026-Q1 the previous (closed) quarter.
Targets: config win_rate {default 0.25, AE 0.4}, activities {default 15, Manager 5}, the rest defaults
(pipeline_coverage 3, avg_cycle_days 60, discipline_score 0.9, forecast_accuracy 0.8); targets.csv gives r1
10 activities a week. r3 has no role (default targets); m2 is known only as a manager (role Manager).
"""

import pytest

from pipelines.models import discover
from tests.conftest import rows, tuples

MINE = ("rep_flow", "team_flow", "rep_stage_funnel", "rep_stuck_deals", "rep_hygiene", "rep_hygiene_deals",
        "rep_activity_vs_plan", "rep_forecast_accuracy", "team_forecast_accuracy", "rep_alerts", "team_alerts",
        "rep_balanced_scorecard", "rep_attainment_distribution", "org_pareto", "team_manager_selling",
        "rep_ramp", "org_ramp_curve", "rep_targets", "int_stage_stints")


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
    got = tuples(metrics, "select rep_id, metric, target, source from rep_targets "
                         "where metric in ('activities_per_week', 'win_rate') order by rep_id, metric")
    assert got == [
        ("m1", "activities_per_week", 5.0, "role"), ("m1", "win_rate", 0.25, "role"),
        ("m2", "activities_per_week", 5.0, "role"), ("m2", "win_rate", 0.25, "role"),
        ("r1", "activities_per_week", 10.0, "rep"), ("r1", "win_rate", 0.4, "role"),
        ("r2", "activities_per_week", 15.0, "role"), ("r2", "win_rate", 0.4, "role"),
        ("r3", "activities_per_week", 15.0, "default"), ("r3", "win_rate", 0.25, "default"),
        ("r4", "activities_per_week", 15.0, "role"), ("r4", "win_rate", 0.4, "role"),
    ]
    assert tuples(metrics, "select count(*) from rep_targets") == [(36,)]  # 6 people x 6 metrics


def test_rep_activity_vs_plan(metrics):
    # Last full week: Mon 05-04..Sun 05-10 (as_of is a Friday); 13 weeks back to 02-09. 6 people x 13 weeks.
    assert tuples(metrics, "select min(week_start)::varchar, max(week_start)::varchar, count(*) "
                          "from rep_activity_vs_plan") == [("2026-02-09", "2026-05-04", 78)]
    got = tuples(metrics, """select rep_id, week_start::varchar, calls, emails, meetings, other_activities, activities,
                                   target_per_week, target_source, ratio_to_target
                            from rep_activity_vs_plan where activities > 0 order by rep_id, week_start""")
    assert got == [
        ("r1", "2026-04-27", 1, 0, 0, 0, 1, 10.0, "rep", 0.1),      # a11
        ("r1", "2026-05-04", 2, 1, 1, 0, 4, 10.0, "rep", 0.4),      # a7-a10 (a1-a3 are in the part week)
        ("r2", "2026-03-30", 1, 0, 0, 0, 1, 15.0, "role", 1 / 15),  # a4
        ("r2", "2026-05-04", 0, 0, 0, 1, 1, 15.0, "role", 1 / 15),  # a12 'Demo' -> other
    ]


def test_rep_forecast_accuracy(metrics):
    """The forecast is the CRM's own at the end of day 28 (2026-01-28 for Q1; the fixture has no calls): won to
    date plus open Commit closing in the quarter. commit_at_start keeps the opening pipeline's Commit."""
    got = tuples(metrics, """select rep_id, period, commit_at_start, best_case_at_start, won_amount, forecast,
                                   forecast_source, accuracy, bias, forecast_accuracy
                            from rep_forecast_accuracy order by period, rep_id""")
    a = pytest.approx
    assert got == [
        # 2025-Q4's day 28 (10-28) is before the history does (12-01): no forecast (no data), and nothing won
        ("m1", "2025-Q4", None, None, 0.0, None, None, None, None, None),
        ("r1", "2025-Q4", None, None, 0.0, None, None, None, None, None),
        ("r3", "2025-Q4", None, None, 0.0, None, None, None, None, None),
        # m1: o7 (Commit, 60,000, created 01-05) is not in the opening pipeline but is Commit on 01-28; won
        # 60,000: a perfect forecast
        ("m1", "2026-Q1", 0.0, 0.0, 60000.0, 60000.0, "crm", 1.0, 0.0, 1.0),
        # r1: on 01-28 nothing was won yet and o18 (120,000) was the only Commit; won 270,000
        # -> 1 − 150,000 / 270,000 = 4/9, bias (120,000 − 270,000) / 270,000 = −5/9
        ("r1", "2026-Q1", 120000.0, 120000.0, 270000.0, 120000.0, "crm", a(4 / 9), a(-5 / 9), a(4 / 9)),
        # r2: nothing on 01-28 (o16 was created 02-10), won 8,000: 0, bias −1
        ("r2", "2026-Q1", 0.0, 0.0, 8000.0, 0.0, "crm", 0.0, -1.0, 0.0),
        # nothing forecast and nothing won: no data
        ("r3", "2026-Q1", 0.0, 0.0, 0.0, 0.0, "crm", None, None, None),
        ("r4", "2026-Q1", 0.0, 0.0, 0.0, 0.0, "crm", None, None, None),
    ]
    commit = tuples(metrics, """select rep_id, commit_at_checkpoint, commit_won, commit_slipped, commit_lost,
                                      commit_reliability from rep_forecast_accuracy
                               where period = '2026-Q1' order by rep_id""")
    # o7 and o18 were won in Q1; r2, r3 and r4 committed nothing, so their reliability is no data
    assert commit == [("m1", 60000.0, 60000.0, 0.0, 0.0, 1.0), ("r1", 120000.0, 120000.0, 0.0, 0.0, 1.0),
                      ("r2", 0.0, 0.0, 0.0, 0.0, None), ("r3", 0.0, 0.0, 0.0, 0.0, None),
                      ("r4", 0.0, 0.0, 0.0, 0.0, None)]
    team = tuples(metrics, "select team, commit_at_start, forecast, won_amount, forecast_accuracy "
                          "from team_forecast_accuracy where period = '2026-Q1' order by team")
    # East: CRM forecast 60,000 + 120,000 + 0, won 270,000 + 60,000 + 8,000 = 338,000 -> 1 − 158,000 / 338,000
    assert team == [("East", 120000.0, 180000.0, 338000.0, a(180000 / 338000)), ("West", 0.0, 0.0, 0.0, None)]


# Pace in 2026-Q2 (day 45 of 91): the only closed quarter that won anything is 2026-Q1 (2025-Q4 won nothing),
# fewer than 2, so the calendar decides: 45 / 91 = 0.4945 of the quarter's won amount is expected by now.
PACE = 45 / 91


def test_rep_alerts(metrics):
    """Current quarter, graded people only (m1 and m2 have no Q2 quota: no alert at all), |ratio − 1| > 0.2.

    Activities are per week over the quarter to date: 04-01..05-15 is 45 days = 45/7 weeks.
    """
    got = tuples(metrics, """select rep_id, metric, actual, target, deviation, direction, is_worse, alert_rank
                            from rep_alerts order by rep_id, alert_rank""")
    a = pytest.approx
    assert got == [
        # r1: money at risk ranks them: activity (1 − 8/(45/7)/10) × 200,000 = 175,111; coverage (1 − 0.525/3)
        # × 200,000 = 165,000; discipline (1 − (1/3)/0.9) × 200,000 = 125,926; attainment 0 against pace
        # 0.4945 × 200,000 = 98,901; forecast (1 − (4/9)/0.8) × 200,000 = 88,889
        ("r1", "activities_per_week", a(8 / (45 / 7)), 10.0, -0.8756, "below", True, 1),
        ("r1", "pipeline_coverage", 0.525, 3.0, -0.825, "below", True, 2),
        ("r1", "discipline_score", a(1 / 3), 0.9, -0.6296, "below", True, 3),
        ("r1", "attainment", 0.0, a(PACE), -1.0, "below", True, 4),
        ("r1", "forecast_accuracy", a(4 / 9), 0.8, -0.4444, "below", True, 5),
        # r2 (quota 50,000): discipline 0 and forecast 0 put the whole quota at risk; attainment 12,000 / 50,000
        # = 0.24 against 0.4945 (0.4945 × 50,000 − 12,000 = 12,725 behind pace); cycle 60/39 is better
        ("r2", "discipline_score", 0.0, 0.9, -1.0, "below", True, 1),
        ("r2", "forecast_accuracy", 0.0, 0.8, -1.0, "below", True, 2),
        ("r2", "activities_per_week", a(2 / (45 / 7)), 15.0, -0.9793, "below", True, 3),
        ("r2", "pipeline_coverage", a(20000 / 38000), 3.0, -0.8246, "below", True, 4),
        ("r2", "attainment", 0.24, a(PACE), -0.5147, "below", True, 5),
        ("r2", "avg_cycle_days", 39.0, 60.0, 0.5385, "below", False, 6),
        # r3: won 60,000 of 100,000 = 0.6 is ahead of pace (0.6 / 0.4945 = 1.2133); win rate 2/3 vs 0.25
        ("r3", "activities_per_week", a(2 / (45 / 7)), 15.0, -0.9793, "below", True, 1),
        ("r3", "pipeline_coverage", 1.25, 3.0, -0.5833, "below", True, 2),
        ("r3", "discipline_score", 0.5, 0.9, -0.4444, "below", True, 3),
        ("r3", "attainment", 0.6, a(PACE), 0.2133, "above", False, 4),
        ("r3", "avg_cycle_days", 37.0, 60.0, 0.6216, "below", False, 5),
        ("r3", "win_rate", a(2 / 3), 0.25, 1.6667, "above", False, 6),
        # r4: won 10,000 of 30,000 = 1/3 against 0.4945 (0.674: 32.6% behind); cycle 60/64 is within 20%
        ("r4", "activities_per_week", 0.0, 15.0, -1.0, "below", True, 1),
        ("r4", "pipeline_coverage", 0.0, 3.0, -1.0, "below", True, 2),
        ("r4", "attainment", a(1 / 3), a(PACE), -0.3259, "below", True, 3),
    ]


def test_team_alerts(metrics):
    got = tuples(metrics, "select metric, actual, target, deviation, direction from team_alerts "
                         "where team = 'East' order by metric")
    a = pytest.approx
    assert got == [
        # 10 activities over 3 people × 45/7 weeks, against the mean target (10 + 15 + 5) / 3
        ("activities_per_week", a(10 / (3 * 45 / 7)), 10.0, -0.9481, "below"),
        ("attainment", a(12000 / 250000), a(PACE), -0.9029, "below"),  # r1 and r2's quotas; only r2 won
        ("avg_cycle_days", 39.0, 60.0, 0.5385, "below"),
        ("discipline_score", a(0.2), 0.9, -0.7778, "below"),  # 1 clean of 5 open
        # 2026-Q1's accuracy: the CRM forecast on 01-28, 180,000, against 338,000 won
        ("forecast_accuracy", a(180000 / 338000), a(0.8), -0.3343, "below"),
        # the pipeline of reps with a gap over what they still have to close:
        # (105,000 + 20,000) / (200,000 + 38,000)
        ("pipeline_coverage", a(125000 / 238000), 3.0, -0.8249, "below"),
    ]
    # West won (60,000 + 10,000) / 130,000 = 0.538: ahead of the 0.4945 pace, so no attainment alert.
    assert tuples(metrics, "select count(*) from team_alerts where team = 'West' and metric = 'attainment'") == [(0,)]


def test_rep_balanced_scorecard(metrics):
    """Cut-offs 0.5 / 0.8 / 1.0 / 1.2 (discipline 0.6 / 0.8 / 1.0 / 1.1); overall needs 4 graded dimensions.

    Graded: people with a quota in the quarter (r3 has none in Q1, m1 and m2 none in Q2). The Q1 quotas of the
    new hires are prorated to their hire date: r2 (01-05) 30,000 × 86/90, r4 (02-01) 15,000 × 59/90.
    The fixture lowers the sample minimums to 2 closed and 1 won deal.
    """
    got = tuples(metrics, """select rep_id, period, results_grade, pipeline_grade, conversion_grade, activity_grade,
                                   discipline_grade, forecast_grade, cycle_grade, graded_dimensions, overall_grade
                            from rep_balanced_scorecard order by period, rep_id""")
    assert got == [
        # m1 Q1: attainment 60,000 / 50,000 = 1.2 exactly (5), coverage 0 (1), 1 closed deal (none), no activity
        # (1), forecast 1.0 / 0.8 (5: the Commit of day 28 was won exactly), cycle 60/84 = 0.71 (2): 14 / 5 -> 3
        ("m1", "2026-Q1", 5, 1, None, 1, None, 5, 2, 5, 3),
        # r1 Q1: 1.35 (5), 0.6/3 = 0.2 (1), 0.75/0.4 (5), 0 (1), (4/9)/0.8 = 0.56 (2), 60/51.3 = 1.17 (4) -> 3
        ("r1", "2026-Q1", 5, 1, 5, 1, None, 2, 4, 6, 3),
        # r2 Q1: 8,000 / 28,667 = 0.28 (1), 0 (1), 1 closed deal (none), 0 (1), 0 (1), 60/28 (5) -> 9 / 5 -> 2
        ("r2", "2026-Q1", 1, 1, None, 1, None, 1, 5, 5, 2),
        ("r3", "2026-Q1", None, None, None, None, None, None, None, 0, None),  # no quota: not graded
        # r4 Q1: 0 won (1), 0 (1), nothing closed, 0 (1), nothing won: 3 dimensions, not enough for an overall
        ("r4", "2026-Q1", 1, 1, None, 1, None, None, None, 3, None),
        ("m1", "2026-Q2", None, None, None, None, None, None, None, 0, None),
        ("m2", "2026-Q2", None, None, None, None, None, None, None, 0, None),
        # r1 Q2: 0 won (1), 0.525/3 (1), nothing closed, 8 acts / (45/7) / 10 = 0.12 (1), (1/3)/0.9 = 0.37 (1),
        # 0.56 (2), nothing won: 6 / 5 -> 1
        ("r1", "2026-Q2", 1, 1, None, 1, 1, 2, None, 5, 1),
        # r2 Q2: 0.24 / 0.4945 = 0.49 (1), 0.18 (1), 1 closed, 0.02 (1), 0 (1), 0 (1), 60/39 (5): 10 / 6 -> 2
        ("r2", "2026-Q2", 1, 1, None, 1, 1, 1, 5, 6, 2),
        # r3 Q2: 0.6 / 0.4945 = 1.21 (5), 1.25/3 (1), (2/3)/0.25 (5), 0.02 (1), 0.5/0.9 = 0.56 (1), no Q1
        # forecast, 60/37 (5): 18 / 6 -> 3
        ("r3", "2026-Q2", 5, 1, 5, 1, 1, None, 5, 6, 3),
        # r4 Q2: (1/3) / 0.4945 = 0.67 (2), 0 (1), 1 closed, 0 (1), no open deals, no Q1 forecast, 60/64 (3):
        # 7 / 4 -> 2
        ("r4", "2026-Q2", 2, 1, None, 1, None, None, 3, 4, 2),
    ]
    notes = dict(tuples(metrics, "select rep_id || ' ' || period, overall_note from rep_balanced_scorecard "
                                "where overall_note is not null"))
    assert notes["r4 2026-Q1"] == "not enough data: 3 of 7 dimensions graded (grades.min_dimensions is 4)"
    assert notes["m2 2026-Q2"].startswith("not graded")
    why = tuples(metrics, "select conversion_note, forecast_note from rep_balanced_scorecard "
                         "where rep_id = 'r4' and period = '2026-Q2'")
    assert why == [("1 closed deal, fewer than the 2 a win rate needs (thresholds.min_closed_deals)",
                    "nothing forecast and nothing won")]  # no call; the CRM forecast on day 28 was 0
    r1 = rows(metrics, "select activity_ratio, forecast_ratio from rep_balanced_scorecard "
                       "where rep_id = 'r1' and period = '2026-Q2'")[0]
    assert r1["activity_ratio"] == pytest.approx(8 / (45 / 7) / 10)  # Q2 to date: 04-01..05-15 = 45 days
    assert r1["forecast_ratio"] == pytest.approx((4 / 9) / 0.8)


def test_activity_is_not_graded_on_too_few_days(tmp_path):
    """metrics with thresholds.min_activity_days 46: 2026-Q2 to date is 04-01..05-15, 45 days, so no rep or team is
    graded on activity there (a rate over so few days says nothing yet), and the note says why; the rate itself is
    still shown (r1: 8 activities in 45/7 weeks). 2026-Q1 is closed, 90 days: graded as before."""
    import shutil

    from tests.conftest import FIXTURES, models_on

    shutil.copytree(FIXTURES / "metrics", tmp_path / "org")
    config = tmp_path / "org" / "config.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("thresholds:", "thresholds:\n  min_activity_days: 46", 1) if "thresholds:" in text
                      else text + "\nthresholds: {min_activity_days: 46}\n", encoding="utf-8")
    con = models_on(config, tmp_path)
    r1 = rows(con, "select activity_ratio, activity_grade, activity_note from rep_balanced_scorecard "
                   "where rep_id = 'r1' and period = '2026-Q2'")[0]
    assert rows(con, "select actual from int_plan_measures where rep_id = 'r1' and period = '2026-Q2' "
                     "and dimension = 'activity'")[0]["actual"] == pytest.approx(8 / (45 / 7))
    assert (r1["activity_ratio"], r1["activity_grade"]) == (None, None)
    assert r1["activity_note"] == ("only 45 days of the quarter so far, fewer than the 46 an activity rate needs "
                                   "(thresholds.min_activity_days)")
    assert not tuples(con, "select * from rep_alerts where metric = 'activities_per_week' and period = '2026-Q2'")
    assert tuples(con, "select distinct activity_ratio is null from team_balanced_scorecard "
                       "where period = '2026-Q2'") == [(True,)]
    assert tuples(con, "select count(*) from rep_balanced_scorecard where period = '2026-Q1' "
                       "and activity_ratio is not null") != [(0,)]
