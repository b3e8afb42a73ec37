"""The scorecard metrics, checked on the tiny hand-written org against values worked out by hand.

tests/fixtures/tiny: calendar fiscal year, as_of 2026-05-15 (2026-Q2 is current).
"""

import datetime as dt
import shutil

import duckdb
import pytest

from tests.helpers import FIXTURES, ROOT, models_on, one, org_with, rows, run_model


def test_rep_quarter_closed(tiny):
    r1 = one(tiny, "select * from rep_scorecard where rep_id = 'r1' and period = '2026-Q1'")
    # o1 100,000 + o2 50,000 won; o3 30,000 lost; quota 200,000.
    assert r1["won_amount"] == 150000
    assert r1["quota"] == 200000
    assert r1["attainment"] == pytest.approx(0.75)
    assert r1["gap_to_quota"] == 50000
    assert (r1["deals_won"], r1["deals_lost"]) == (2, 1)
    assert r1["win_rate"] == pytest.approx(2 / 3)
    assert r1["win_rate_value"] == pytest.approx(150000 / 180000)
    assert r1["avg_deal_size"] == 75000
    # o1: Jan 10 -> Feb 20 = 41 days; o2: Feb 1 -> Mar 15 = 42 days.
    assert r1["avg_cycle_days"] == pytest.approx(41.5)


def test_rep_quarter_current_pipeline_and_coverage(tiny):
    r1 = one(tiny, "select * from rep_scorecard where rep_id = 'r1' and period = '2026-Q2'")
    # o4 (Proposal, 80,000, closes 2026-06-10) is the only open deal closing in Q2.
    assert r1["open_pipeline"] == 80000
    assert r1["weighted_pipeline"] == pytest.approx(40000)  # 80,000 x 0.5
    assert r1["pipeline_coverage"] == pytest.approx(80000 / 200000)
    assert r1["projected_amount"] == pytest.approx(40000)
    assert str(r1["pipeline_measured_on"]) == "2026-05-15"


def test_pipeline_at_quarter_start_uses_history(tiny):
    # On 2026-04-01 o4 was open (Proposal since 03-20) with close date 06-10: in Q2.
    start = one(tiny, "select sum(amount) as pipeline, sum(amount) filter (where forecast_category = 'Commit') as "
                      "commit from int_pipeline_at_quarter_start where rep_id = 'r1' and period = '2026-Q2'")
    assert start == {"pipeline": 80000, "commit": 80000}


def test_team_sums_and_ratios(tiny):
    east = one(tiny, "select * from team_scorecard where team = 'East' and period = '2026-Q1'")
    # r1 150,000 + m1 60,000 (a manager who sells); quotas 200,000 + 50,000.
    assert east["won_amount"] == 210000
    assert east["quota"] == 250000
    assert east["attainment"] == pytest.approx(0.84)
    assert east["win_rate"] == pytest.approx(3 / 4)
    # cycle days: 41, 42, and o7 Jan 5 -> Mar 30 = 84.
    assert east["avg_cycle_days"] == pytest.approx((41 + 42 + 84) / 3)


def test_org_is_sum_of_teams(tiny):
    org = one(tiny, "select * from org_scorecard where period = '2026-Q2'")
    assert org["won_amount"] == 40000  # o6 by r3
    assert org["quota"] == 350000


def test_team_resolution(tiny):
    people = {r["rep_id"]: r for r in rows(tiny, "select * from rep_directory")}
    # r2 has no team in the extract: the manager's other reports are in East.
    assert people["r2"]["team"] == "East"
    # m2 is only someone's manager; they still get a team (their report's).
    assert people["m2"]["team"] == "West"
    assert people["m2"]["is_manager"] is True
    assert people["r2"]["is_new_hire"] is True


def test_quota_proration():
    """The quotas extract is the plan of record, prorated by day and from the hire date; targets.quota fills gaps.

    x: a yearly quota of 365 over 2026: Q1 has 90 days, Q2 91, Q3 92 (Q4 is not in the data).
    y: hired 2026-02-15 with a Q1 quota of 9,000: only the 45 days from the hire date count, 9,000 × 45/90.
    z: hired 2026-04-16 with no quota row and targets.quota 91,000 ramped [0.5]: in Q2, 04-16..05-15 (30 days,
       0 completed months) at 50% and 05-16..06-30 (46 days) at 100%: 91,000 × (15 + 46) / 91 = 61,000.
    """
    d = dt.date.fromisoformat
    quarters = [{"period": f"2026-Q{n}", "period_start": d(start), "period_end": d(end), "quarter_days": days}
                for n, start, end, days in ((1, "2026-01-01", "2026-03-31", 90), (2, "2026-04-01", "2026-06-30", 91),
                                            (3, "2026-07-01", "2026-09-30", 92))]
    quotas = [{"rep_id": "x", "period_start": d("2026-01-01"), "period_end": d("2026-12-31"), "quota_amount": 365.0},
              {"rep_id": "y", "period_start": d("2026-01-01"), "period_end": d("2026-03-31"), "quota_amount": 9000.0}]
    reps = [{"rep_id": r, "hire_date": h, "is_active": True}
            for r, h in (("x", d("2020-01-01")), ("y", d("2026-02-15")), ("z", d("2026-04-16")))]
    targets = [{"rep_id": "z", "metric": "quota", "target": 91000.0, "source": "role"}]
    got = run_model("int_quota_by_quarter", config={"targets": {"ramp": [0.5]}},
                    given={"stg_quotas": quotas, "int_fiscal_quarters": quarters, "int_reps": reps,
                           "int_rep_targets": targets})
    assert {(r["rep_id"], r["period"]): (r["quota"], r["quota_source"]) for r in got} == {
        ("x", "2026-Q1"): (90.0, "extract"), ("x", "2026-Q2"): (91.0, "extract"), ("x", "2026-Q3"): (92.0, "extract"),
        ("y", "2026-Q1"): (4500.0, "extract"),
        ("z", "2026-Q2"): (61000.0, "config"), ("z", "2026-Q3"): (91000.0, "config"),
    }


def test_velocity(tiny):
    r1 = one(tiny, "select * from rep_velocity where rep_id = 'r1'")
    # Last four closed quarters hold 2026-Q1 only: 2 won (avg 75,000, cycle 41.5 d), 1 lost.
    # Qualified open deals today: o4 (Proposal, past the first open stage Prospecting).
    assert r1["qualified_open_deals"] == 1
    assert r1["velocity_per_day"] == pytest.approx(1 * 75000 * (2 / 3) / 41.5)
    r2 = one(tiny, "select * from rep_velocity where rep_id = 'r2'")
    assert r2["qualified_open_deals"] == 0  # o5 is still in the first stage
    assert r2["velocity_per_day"] is None  # nothing closed: no data, not zero


def test_deal_events_last_35_days(tiny):
    events = rows(tiny, "select opportunity_id, event, event_date::varchar as d from rep_deal_events order by d")
    # as_of 2026-05-15: only o6's win on 04-21 falls inside (04-10, 05-15]; o8 was created exactly 35 days ago.
    assert events == [{"opportunity_id": "o6", "event": "won", "d": "2026-04-21"}]


def test_a_rep_with_a_quota_and_no_deal_in_the_quarter_counts_against_coverage(tmp_path):
    """tiny, plus r9 in East with a 2026-Q2 quota of 60,000 and no deal at all. r9 has won nothing, so all 60,000 is
    still to close, none of it covered: coverage 0, 180,000 of pipeline needed at 3×, under the target; projected 0.
    East (m1, r1, r2, r9) then covers 80,000 + 20,000 of 200,000 + 50,000 + 60,000 still to close: 100,000 ÷ 310,000,
    with 3 reps under the target (r1, r2, r9). (A rep without a deal row once read as 0 to close, and so dropped out
    of the coverage and of the count: East showed 0.4× with 2 reps under it.)"""
    config = org_with("tiny", tmp_path / "org", {
        "reps.csv": ["r9,Nina New,East,m1,AE,2021-01-01,nina@tiny.example,true"],
        "quotas.csv": ["r9,2026-04-01,2026-06-30,60000"],
    })
    con = models_on(config, tmp_path)
    r9 = one(con, "select * from rep_scorecard where rep_id = 'r9' and is_current")
    assert (r9["open_pipeline"], r9["pipeline_coverage"], r9["pipeline_needed"], r9["projected_amount"]) == (
        0, 0, 180000, 0)
    assert one(con, "select is_under_coverage_target from int_rep_quarters where rep_id = 'r9' and is_current") == {
        "is_under_coverage_target": True}
    east = one(con, "select * from team_scorecard where team = 'East' and is_current")
    assert east["pipeline_coverage"] == pytest.approx(100000 / 310000)
    assert east["reps_under_coverage_target"] == 3


def test_no_quota_is_no_amount_to_close():
    """quota_to_close without a quota is null, not 0 (greatest() would skip the null and give 0)."""
    con = duckdb.connect()
    con.execute(open(ROOT / "sql" / "macros" / "quota_to_close.sql", encoding="utf-8").read())
    assert con.execute("select quota_to_close(null, 0, true), quota_to_close(100, 30, true), "
                       "quota_to_close(100, 130, true), quota_to_close(100, 30, false)").fetchone() == (None, 70, 0, 100)


def test_a_deal_first_seen_closed_is_won_on_its_close_date(tmp_path):
    """tiny, plus o9: r1's deal won on 2026-05-13 for 30,000 that opportunity_history has no row for, and o10:
    r1's deal entered already lost on 05-12 (its only history row is Closed Lost). Neither has a change of state
    to show when it closed, so neither was an event: the Monday pack said "Won last week $0 · 0 deals". Their close
    dates say when: o9 is won on 05-13, o10 lost on 05-12 (and created then). East (r1's team) won 30,000 last week,
    in 1 deal; the history reaches back to January, so its slips and new deals are known (0 slipped, o10 created
    with 5,000)."""
    config = org_with("tiny", tmp_path / "org", {
        "opportunities.csv": [
            "o9,r1,Ivy,Ivy deal,Closed Won,30000,2026-03-02,2026-05-13,Closed,,2026-05-13",
            "o10,r1,Jet,Jet deal,Closed Lost,5000,2026-05-12,2026-05-12,Omitted,,2026-05-12",
        ],
        "opportunity_history.csv": ["o10,2026-05-12 09:00:00,Closed Lost,5000,2026-05-12,Omitted"],
    })
    con = models_on(config, tmp_path)
    events = rows(con, "select opportunity_id, event, event_date::varchar as d, amount from rep_deal_events "
                       "where opportunity_id in ('o9', 'o10') order by opportunity_id, event")
    assert events == [
        {"opportunity_id": "o10", "event": "created", "d": "2026-05-12", "amount": 5000.0},
        {"opportunity_id": "o10", "event": "lost", "d": "2026-05-12", "amount": 5000.0},
        {"opportunity_id": "o9", "event": "won", "d": "2026-05-13", "amount": 30000.0},
    ]
    east = one(con, "select * from team_monday where team = 'East'")
    assert (east["won_last_week"], east["deals_won_last_week"], east["week_known"]) == (30000, 1, True)
    assert (east["slipped_last_week"], east["created_last_week"], east["deals_created_last_week"]) == (0, 5000, 1)


def test_a_deal_won_reopened_and_won_again_is_won_once(tmp_path):
    """tiny, plus:
    - o9 (r1, 30,000): entered already won on 05-10 (close date 05-10), reopened 05-11, won again 05-13. It was
      seen open, so only its change of state on 05-13 makes it won (taking its first state's close date too made
      it won twice: "Won last week $60,000 · 2 deals").
    - o12 (r1, 20,000): open from 05-08, won 05-10, reopened 05-11, won 05-13: two won events, one standing win.
    - o17 (r1, 12,000): open from 02-01, lost 03-01; today's extract has it won. A change from lost to won is a
      win too (it had no event at all), dated when it was seen: today, 05-15.
    - o11 (r1, 7,000): created 05-12 with no row in opportunity_history, which had started in January: created on
      05-12, at the amount first known for it (it was missing from "New pipeline last week").
    East won 30,000 + 20,000 + 12,000 = 62,000 in 3 deals last week, and created o9 (30,000) and o11 (7,000)."""
    config = org_with("tiny", tmp_path / "org", {
        "opportunities.csv": [
            "o9,r1,Ivy,Ivy deal,Closed Won,30000,2026-05-10,2026-05-13,Closed,,2026-05-13",
            "o11,r1,Kit,Kit deal,Proposal,7000,2026-05-12,2026-06-30,Pipeline,Call,2026-05-12",
            "o12,r1,Lux,Lux deal,Closed Won,20000,2026-05-08,2026-05-13,Closed,,2026-05-13",
            "o17,r1,Max,Max deal,Closed Won,12000,2026-02-01,2026-05-12,Closed,,2026-05-12",
        ],
        "opportunity_history.csv": [
            "o9,2026-05-10 09:00:00,Closed Won,30000,2026-05-10,Closed",
            "o9,2026-05-11 09:00:00,Proposal,30000,2026-05-31,Commit",
            "o9,2026-05-13 09:00:00,Closed Won,30000,2026-05-13,Closed",
            "o12,2026-05-08 09:00:00,Proposal,20000,2026-05-31,Commit",
            "o12,2026-05-10 09:00:00,Closed Won,20000,2026-05-10,Closed",
            "o12,2026-05-11 09:00:00,Proposal,20000,2026-05-31,Commit",
            "o12,2026-05-13 09:00:00,Closed Won,20000,2026-05-13,Closed",
            "o17,2026-02-01 09:00:00,Proposal,12000,2026-03-31,Pipeline",
            "o17,2026-03-01 09:00:00,Closed Lost,12000,2026-03-01,Omitted",
        ],
    })
    con = models_on(config, tmp_path)
    events = rows(con, "select opportunity_id, event, event_date::varchar as d, amount, is_standing "
                       "from rep_deal_events where opportunity_id in ('o9', 'o11', 'o12', 'o17') "
                       "and event in ('won', 'created') order by d, opportunity_id, event")
    assert events == [
        {"opportunity_id": "o12", "event": "created", "d": "2026-05-08", "amount": 20000.0, "is_standing": None},
        {"opportunity_id": "o12", "event": "won", "d": "2026-05-10", "amount": 20000.0, "is_standing": False},
        {"opportunity_id": "o9", "event": "created", "d": "2026-05-10", "amount": 30000.0, "is_standing": None},
        {"opportunity_id": "o11", "event": "created", "d": "2026-05-12", "amount": 7000.0, "is_standing": None},
        {"opportunity_id": "o12", "event": "won", "d": "2026-05-13", "amount": 20000.0, "is_standing": True},
        {"opportunity_id": "o9", "event": "won", "d": "2026-05-13", "amount": 30000.0, "is_standing": True},
        {"opportunity_id": "o17", "event": "won", "d": "2026-05-15", "amount": 12000.0, "is_standing": True},
    ]
    east = one(con, "select * from team_monday where team = 'East'")
    assert (east["won_last_week"], east["deals_won_last_week"]) == (62000, 3)
    assert (east["created_last_week"], east["deals_created_last_week"]) == (37000, 2)  # o12 was created 7 days ago
    won = one(con, "select deals, amount from rep_recent_changes where rep_id = 'r1' and event = 'won'")
    assert won == {"deals": 3, "amount": 62000.0}  # o12 once, at its latest win


def test_the_monday_pack_does_not_count_slips_the_history_cannot_see(tmp_path):
    """no_amounts has no opportunity_history: today's extract is the first deal state known (history_starts_on is
    as_of, 2026-05-15), so what slipped or was created in the 7 days is not known, not 0. Its won deals closed in
    April, outside the 7 days: 0 won is known from their close dates."""
    con = models_on(FIXTURES / "no_amounts" / "config.yml", tmp_path)
    got = rows(con, "select won_last_week, deals_won_last_week, slipped_last_week, deals_slipped_last_week, "
                    "created_last_week, deals_created_last_week, week_known from team_monday")
    assert got == [{"won_last_week": 0, "deals_won_last_week": 0, "slipped_last_week": None,
                    "deals_slipped_last_week": None, "created_last_week": None, "deals_created_last_week": None,
                    "week_known": False}]


def test_the_leaderboard_ranks_only_reps_with_a_value(tmp_path):
    """tiny, plus r9 in East with no quota. The contest (defaults: attainment over the quarter, managers left out):
    East's r1 and r2 have quotas and won nothing yet in 2026-Q2, so both are at 0% and share rank 1; r9 has no
    quota, so no attainment: no rank (it was ranked 3rd, below two reps at 0%), listed after them. r8 starts on
    2026-06-01, after as_of: not on the board yet. West's r3 won 40,000 of 100,000: rank 1."""
    config = org_with("tiny", tmp_path / "org", {
        "reps.csv": [
            "r9,Nina New,East,m1,AE,2021-01-01,nina@tiny.example,true",
            "r8,Otto Later,East,m1,AE,2026-06-01,otto@tiny.example,true",
        ],
    })
    con = models_on(config, tmp_path)
    got = rows(con, "select team, rep_id, value, contest_rank from team_leaderboard order by team, contest_rank, rep_id")
    assert got == [
        {"team": "East", "rep_id": "r1", "value": 0.0, "contest_rank": 1},
        {"team": "East", "rep_id": "r2", "value": 0.0, "contest_rank": 1},
        {"team": "East", "rep_id": "r9", "value": None, "contest_rank": None},
        {"team": "West", "rep_id": "r3", "value": pytest.approx(0.4), "contest_rank": 1},
    ]


def test_a_weekly_contest_on_new_pipeline_needs_the_history_to_cover_the_week(tmp_path):
    """no_amounts has no deal history before today's extract: the deals created in the 7 days are not known, so
    nobody has a value or a rank (each was at 0, sharing rank 1). Won amounts are known from close dates: over the
    week nobody won, 0 each, all rank 1."""
    shutil.copytree(FIXTURES / "no_amounts", tmp_path / "org")
    config = tmp_path / "org" / "config.yml"
    base = config.read_text(encoding="utf-8")
    config.write_text(base + "site: {contest_period: week, contest_metric: pipeline_created}\n", encoding="utf-8")
    con = models_on(config, tmp_path)
    assert rows(con, "select distinct value, contest_rank from team_leaderboard") == [
        {"value": None, "contest_rank": None}]
    config.write_text(base + "site: {contest_period: week, contest_metric: won_amount}\n", encoding="utf-8")
    con = models_on(config, tmp_path / "again")
    assert rows(con, "select distinct value, contest_rank from team_leaderboard") == [
        {"value": 0.0, "contest_rank": 1}]


@pytest.mark.parametrize("starts, covered", [("2026-05-08", True), ("2026-05-09", False)])
def test_the_week_is_covered_from_the_day_before_it(starts, covered):
    """as_of 2026-05-15: the 7 days to it are 05-09..05-15. A slip on 05-09 shows only against the deal's state on
    05-08, so the history must start by 05-08 (as_of − 7); one starting 05-09 does not cover the week."""
    got = run_model("int_data_coverage", {
        "stg_source_columns": "select 'opportunities' as table_name, 'stage' as column_name",
        "stg_opportunity_history": f"select date '{starts}' as changed_date",
        "stg_opportunity_versions": "select date '2026-05-15' as valid_from",
    })
    assert [(str(r["history_starts_on"]), r["history_covers_week"]) for r in got] == [(starts, covered)]
