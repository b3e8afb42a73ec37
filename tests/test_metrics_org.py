"""Org and team marts (org_pareto, rep_attainment_distribution, team_manager_selling, rep_ramp, org_ramp_curve)
on the metrics fixture, against values worked out by hand.

tests/fixtures/metrics: as_of 2026-05-15; the data window starts 2025-10-01 (o18 was created 2025-12-01).
Won by quarter: 2026-Q1 r1 270,000, m1 60,000, r2 8,000; 2026-Q2 r3 60,000, r2 12,000, r4 10,000.
"""

import pytest

from tests.conftest import tuples


def test_org_pareto(metrics):
    got = tuples(metrics, "select period, reps, top_reps, won_amount, top_won_amount, top_share "
                         "from org_pareto order by period")
    assert got == [
        ("2025-Q4", 3, 1, 0.0, 0.0, None),  # m1, r1, r3 have rows; nothing won
        ("2026-Q1", 5, 1, 338000.0, 270000.0, pytest.approx(270000 / 338000)),  # ceil(0.2 x 5) = 1: r1
        ("2026-Q2", 6, 2, 82000.0, 72000.0, pytest.approx(72000 / 82000)),  # ceil(1.2) = 2: r3 + r2
    ]


def test_rep_attainment_distribution(metrics):
    got = tuples(metrics, "select period, bucket, reps from rep_attainment_distribution "
                         "where period >= '2026-Q1' order by period, bucket_order")
    assert got == [
        # Q1: r2 0.27, r4 0 -> 0-50%; r1 1.35 and m1 exactly 1.2 -> 120%+ (a band includes its lower bound)
        ("2026-Q1", "0-50%", 2), ("2026-Q1", "50-80%", 0), ("2026-Q1", "80-100%", 0),
        ("2026-Q1", "100-120%", 0), ("2026-Q1", "120%+", 2),
        # Q2 to date: r1 0, r2 0.24, r4 0.33 -> 0-50%; r3 0.6 -> 50-80%
        ("2026-Q2", "0-50%", 3), ("2026-Q2", "50-80%", 1), ("2026-Q2", "80-100%", 0),
        ("2026-Q2", "100-120%", 0), ("2026-Q2", "120%+", 0),
    ]
    assert tuples(metrics, "select sum(reps), sum(share_of_reps) from rep_attainment_distribution "
                          "where period = '2025-Q4'") == [(0, None)]


def test_team_manager_selling(metrics):
    got = tuples(metrics, """select team, period, manager_id, manager_won_amount, team_won_amount, manager_share,
                                   is_flagged from team_manager_selling order by period, team""")
    assert got == [
        ("East", "2025-Q4", "m1", 0.0, 0.0, None, False),
        ("West", "2025-Q4", "m2", 0.0, 0.0, None, False),
        # m1 (manager of r1, r2) won o7 60,000 of East's 338,000 = 17.8% > 15% (fixture threshold)
        ("East", "2026-Q1", "m1", 60000.0, 338000.0, pytest.approx(60000 / 338000), True),
        ("West", "2026-Q1", "m2", 0.0, 0.0, None, False),
        ("East", "2026-Q2", "m1", 0.0, 12000.0, 0.0, False),
        ("West", "2026-Q2", "m2", 0.0, 70000.0, 0.0, False),
    ]


def test_rep_ramp(metrics):
    got = tuples(metrics, """select month_since_hire, month_start::varchar, month_end::varchar, is_complete,
                                   won_amount, monthly_quota, attainment
                            from rep_ramp where rep_id = 'r2' order by month_since_hire""")
    a = pytest.approx
    assert got == [
        # hired 2026-01-05: the Q1 quota of 30,000 is prorated to the 86 days from the hire date, 28,666.67,
        # which is 9,555.56 a month; Q2 quota 50,000 -> 16,666.67
        (1, "2026-01-05", "2026-02-04", True, 0.0, a(30000 * 86 / 90 / 3), 0.0),
        (2, "2026-02-05", "2026-03-04", True, 0.0, a(30000 * 86 / 90 / 3), 0.0),
        (3, "2026-03-05", "2026-04-04", True, 8000.0, a(30000 * 86 / 90 / 3), a(8000 / (30000 * 86 / 90 / 3))),
        (4, "2026-04-05", "2026-05-04", True, 0.0, a(50000 / 3), 0.0),
        (5, "2026-05-05", "2026-06-04", False, 12000.0, a(50000 / 3), a(0.72)),  # o14 won 05-12
    ]
    # long-tenured reps get rows only for months starting inside the data window (from 2025-10-01)
    assert tuples(metrics, "select min(month_since_hire), max(month_since_hire), bool_or(is_hired_in_window) "
                          "from rep_ramp where rep_id = 'r1'") == [(56, 63, False)]


def test_org_ramp_curve(metrics):
    # reps hired in the window: r2 (0, 0, 8,000 / 9,555.56 = 0.837, 0 complete) and r4 (hired 02-01: 0, 0, 1.0
    # with o17 on 04-20; month 4 from 05-01 is not complete)
    got = tuples(metrics, "select month_since_hire, reps, median_attainment from org_ramp_curve order by 1")
    month3 = (8000 / (30000 * 86 / 90 / 3) + 1.0) / 2
    assert got == [(1, 2, 0.0), (2, 2, 0.0), (3, 2, pytest.approx(month3)), (4, 1, 0.0)]
