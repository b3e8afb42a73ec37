"""Deal-level marts (rep_hygiene, rep_hygiene_deals, rep_stuck_deals, rep_stage_funnel) on the metrics fixture.

tests/fixtures/metrics: as_of 2026-05-15 (a Friday); thresholds: untouched_days 30, stuck_no_activity_days 14,
stuck_stage_multiple 1.0 (set in the fixture config so every reason shows up).
Open deals today: r1 o4, o11, o13; r2 o5, o10; r3 o8, o9.
"""

import pytest

from tests.conftest import rows


def test_rep_hygiene(metrics):
    got = {r["rep_id"]: r for r in rows(metrics, "select * from rep_hygiene")}
    cols = ("open_deals", "past_close_date", "no_next_step", "no_amount", "untouched", "deals_with_problems",
            "clean_deals")
    # r1: o11 has no next step; o13 last activity 03-20 = 56 days > 30 (untouched); o4 is clean.
    assert tuple(got["r1"][c] for c in cols) == (3, 0, 1, 0, 1, 2, 1)
    assert got["r1"]["discipline_score"] == pytest.approx(1 / 3)
    # r2: o5 closes 04-30 (past), no next step, last activity 04-02 = 43 days; o10 close date 03-31 (past).
    assert tuple(got["r2"][c] for c in cols) == (2, 2, 1, 0, 1, 2, 0)
    assert got["r2"]["discipline_score"] == 0
    # r3: o8 has no amount; o9's last activity 04-15 is exactly 30 days ago: not untouched (> 30 needed).
    assert tuple(got["r3"][c] for c in cols) == (2, 0, 0, 1, 0, 1, 1)
    assert got["r3"]["discipline_score"] == pytest.approx(0.5)
    # no open deals: score is null, not 0 or 1
    assert got["r4"]["open_deals"] == 0 and got["r4"]["discipline_score"] is None
    assert set(got) == {"m1", "m2", "r1", "r2", "r3", "r4"}


def test_rep_hygiene_deals(metrics):
    got = rows(metrics, """select opportunity_id, rep_id, days_since_activity, is_past_close_date, has_no_next_step,
                                  has_no_amount, is_untouched, problems
                           from rep_hygiene_deals order by opportunity_id""")
    assert [tuple(r.values()) for r in got] == [
        ("o10", "r2", 13, True, False, False, False, 1),
        ("o11", "r1", 25, False, True, False, False, 1),
        ("o13", "r1", 56, False, False, False, True, 1),
        ("o5", "r2", 43, True, True, False, True, 3),
        ("o8", "r3", 1, False, False, True, False, 1),
    ]


def test_rep_stuck_deals(metrics):
    # Org-wide medians over completed stays: Prospecting 19, 22, 28, 36, 38, 40, 42, 54, 69 -> 38;
    # Proposal 19, 20, 39, 64, 71, 84 -> 51.5. Multiple 1.0 -> stuck after 38 / 51.5 days.
    got = rows(metrics, """select opportunity_id, rep_id, stage, amount, days_in_stage, stage_median_days,
                                  str_split(cast(last_activity_date as varchar), ' ')[1] as last_activity,
                                  days_since_activity, reason
                           from rep_stuck_deals order by opportunity_id""")
    assert [tuple(r.values()) for r in got] == [
        # o10 in Prospecting since 04-05 (40 > 38), activity 13 days ago
        ("o10", "r2", "Prospecting", 15000.0, 40, 38.0, "2026-05-02", 13, "time in stage"),
        # o11 in Proposal since 04-20 (25 days; the 04-08 close-date change did not restart the clock)
        ("o11", "r1", "Proposal", 25000.0, 25, 51.5, "2026-04-20", 25, "no activity"),
        ("o13", "r1", "Proposal", 60000.0, 120, 51.5, "2026-03-20", 56, "time in stage and no activity"),
        # o4: Proposal since 03-20 (56 > 51.5); linked activity a3 on 05-13 beats the extract's 05-10
        ("o4", "r1", "Proposal", 80000.0, 56, 51.5, "2026-05-13", 2, "time in stage"),
        ("o5", "r2", "Prospecting", 20000.0, 44, 38.0, "2026-04-02", 43, "time in stage and no activity"),
        ("o9", "r3", "Proposal", 50000.0, 30, 51.5, "2026-04-15", 30, "no activity"),
    ]
    # o8 (Proposal 35 days, activity yesterday) is not stuck


def test_stage_funnel_org(metrics):
    got = rows(metrics, """select period, stage, deals_entered, deals_advanced, conversion_rate, stints_ended,
                                  median_days_in_stage
                           from rep_stage_funnel where team = 'All teams' and is_org and period >= '2026-Q1'
                             and stage in ('Prospecting', 'Proposal') order by period, stage_order""")
    assert [tuple(r.values()) for r in got] == [
        # Q1 Prospecting entries o1 o3 o2 o16 o11 o4 o15 o9; all but o3 (lost) reached a later stage.
        # ended in Q1: o1 22, o2 42, o3 40, o4 19, o16 28 days -> median 28.
        ("2026-Q1", "Prospecting", 8, 7, 0.875, 5, 28.0),
        # Q1 Proposal entries o7 o13 o1 o17 o4: o7 o1 o17 won, o13 o4 still open. ended: o18 71, o1 19, o7 84.
        ("2026-Q1", "Proposal", 5, 3, 0.6, 3, 71.0),
        # Q2 Prospecting entries o5 o12 o10: none advanced. ended: o9 36, o11 69, o12 38, o15 54 -> 46.
        ("2026-Q2", "Prospecting", 3, 0, 0.0, 4, 46.0),
        # Q2 Proposal entries o6 o14 o8 o9 o11: o6, o14 won. ended: o6 20, o17 64, o14 39 -> 39.
        ("2026-Q2", "Proposal", 5, 2, 0.4, 3, 39.0),
    ]
    won = rows(metrics, """select deals_entered, deals_advanced, conversion_rate from rep_stage_funnel
                           where is_org and period = '2026-Q2' and stage = 'Closed Won'""")
    assert won == [{"deals_entered": 4, "deals_advanced": None, "conversion_rate": None}]


def test_stage_funnel_team(metrics):
    got = rows(metrics, """select stage, deals_entered, deals_advanced, stints_ended, median_days_in_stage
                           from rep_stage_funnel where team = 'West' and period = '2026-Q2'
                           order by stage_order""")
    # West = r3, r4. Prospecting: o12 entered (lost); o9 36, o12 38, o15 54 ended -> 38.
    # Proposal: o6, o8, o9 entered, o6 won; o6 20 and o17 64 ended -> 42.
    assert [tuple(r.values()) for r in got] == [
        ("Prospecting", 1, 0, 3, 38.0),
        ("Proposal", 3, 1, 2, 42.0),
        ("Closed Won", 3, None, 0, None),
        ("Closed Lost", 1, None, 0, None),
    ]
