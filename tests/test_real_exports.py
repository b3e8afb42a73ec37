"""Generic CRM exports as they come: the traps every CRM's export has, each with a small hand-made fixture.

Each test names its fixture (tests/fixtures/<name>) and works its expected values out by hand in its docstring.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.extract.currencies import currency_sql
from pipelines.extract import extract
from pipelines.settings import load_config
from tests.browser_support import visible_text
from tests.conftest import FIXTURES, models_on, rows
from tests.helpers import org_with


def extracted(name: str):
    con = duckdb.connect()
    return con, extract(load_config(FIXTURES / name / "config.yml"), con)


def test_placeholder_ids_read_as_empty():
    """placeholders: o2's owner is 000000000000000AAA and o3's is 0, so both have no owner and are rejected
    ("missing owner_id", the report showing the value as written); r00 is a real id (it is not all zeros); an
    account named like a placeholder is text."""
    con, result = extracted("placeholders")
    assert con.execute('select "row", value, reason from quarantine order by "row"').fetchall() == [
        (3, "000000000000000AAA", "missing owner_id"), (4, "0", "missing owner_id")
    ]
    assert con.execute("select opportunity_id, owner_id, account from extract_opportunities order by 1").fetchall() == [
        ("o1", "r1", "000000000000000AAA"), ("o4", "r00", "Delta")
    ]


def test_deals_load_whatever_dates_they_lack():
    """undated: every row is loaded, flagged or rejected with its reason (rows are file rows; the header is row 1).

    d2 (row 3) and d4 (row 5) are open without a close date; d3 (row 4) and d4 without a created date; d5 (row 6)
    is won without a close date, and its history says it moved to Closed Won on 2026-03-03; d6 (row 7) is lost
    without a close date and has no history: the only row rejected; d7 (row 8) is won without an amount.
    """
    con, result = extracted("undated")
    file = "deals.csv"
    assert con.execute('select file, "row", "column", reason, action from quarantine order by "row", "column"').fetchall() == [
        (file, 3, "close_date", "no close date (shown as undated pipeline, outside every quarter)", "flagged"),
        (file, 4, "created_date", "no created date (cycle time and age of the deal are unknown)", "flagged"),
        (file, 5, "close_date", "no close date (shown as undated pipeline, outside every quarter)", "flagged"),
        (file, 5, "created_date", "no created date (cycle time and age of the deal are unknown)", "flagged"),
        (file, 6, "close_date", "closed deal without a close date: dated 2026-03-03, its last stage change (history)",
         "flagged"),
        (file, 7, "close_date", "closed deal without a close date, and no history says when it closed", "rejected"),
        (file, 8, "amount", "won deal without an amount (counted beside the won amount, not in it or in the average "
         "deal size)", "flagged"),
    ]
    report = result.tables["opportunities"]
    assert (report.read, report.loaded, report.rejected, report.flagged) == (7, 6, 1, 5)
    assert con.execute("select close_date from extract_opportunities where opportunity_id = 'd5'").fetchall() == [
        (dt.date(2026, 3, 3),)
    ]


def test_undated_pipeline_is_shown_beside_the_quarter_not_in_it(tmp_path):
    """undated: r1's 2026-Q1 won amount is d1 1000 + d5 2000 (dated from its history) = 3000 from 2 deals.

    In the current quarter (2026-Q2) r1's open pipeline is d3's 700 (closing 2026-05-30); d2 (500) and d4 (no
    amount) have no close date: undated_pipeline 500 from 2 undated deals. Hygiene: 3 open deals, 2 without a
    close date, 1 (d4) without an amount; d4 has no activity and no created date, so its age is unknown and it is
    not called untouched.
    """
    con = models_on(FIXTURES / "undated" / "config.yml", tmp_path)
    card = rows(con, """select period, won_amount, deals_won, open_pipeline, undated_pipeline, undated_deals
                        from rep_scorecard where rep_id = 'r1' and period in ('2026-Q1', '2026-Q2') order by period""")
    assert card == [
        {"period": "2026-Q1", "won_amount": 3000.0, "deals_won": 2, "open_pipeline": None, "undated_pipeline": None,
         "undated_deals": None},
        {"period": "2026-Q2", "won_amount": 0.0, "deals_won": 0, "open_pipeline": 700.0, "undated_pipeline": 500.0,
         "undated_deals": 2},
    ]
    hygiene = rows(con, "select open_deals, no_close_date, no_amount, untouched from rep_hygiene where rep_id = 'r1'")
    assert hygiene == [{"open_deals": 3, "no_close_date": 2, "no_amount": 1, "untouched": None}]
    d4 = rows(con, "select days_since_activity, is_untouched, has_no_close_date, problems from rep_hygiene_deals "
                   "where opportunity_id = 'd4'")
    assert d4 == [{"days_since_activity": None, "is_untouched": False, "has_no_close_date": True, "problems": 2}]


def test_a_closed_deal_without_a_close_date_is_dated_from_the_stored_history(tmp_path):
    """undated, loaded twice: on 2026-05-14 d6 is still open (Proposal); on 2026-05-15 it is Closed Lost with no
    close date and no history. The stored versions say it changed stage between the two loads: dated 2026-05-15."""
    from pipelines.load import load

    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "undated", folder)
    deals = folder / "deals.csv"
    final = deals.read_text(encoding="utf-8")
    deals.write_text(final.replace("d6,r1,Closed Lost,300,2026-01-05,", "d6,r1,Proposal,300,2026-01-05,"), encoding="utf-8")
    cfg = load_config(folder / "config.yml")
    con = duckdb.connect()
    load(con, extract(cfg, con, tmp_path / "wh", dt.date(2026, 5, 14)), tmp_path / "wh", dt.date(2026, 5, 14), cfg=cfg)
    deals.write_text(final, encoding="utf-8")
    con = duckdb.connect()
    result = extract(cfg, con, tmp_path / "wh", dt.date(2026, 5, 15))
    assert con.execute("""select reason, action from quarantine where "row" = 7""").fetchall() == [
        ("closed deal without a close date: dated 2026-05-15, its last stage change (stored history)", "flagged")
    ]
    assert result.tables["opportunities"].rejected == 0


# --- several currencies --------------------------------------------------------------------------------------


SCORE = "select won_amount, deals_won, deals_lost, win_rate, avg_deal_size, currency from rep_scorecard " \
        "where rep_id = 'r1' and period = '2026-Q1'"


def test_fixed_rates_convert_every_deal_into_the_corporate_currency(tmp_path):
    """currency_generic, corporate EUR, fixed rates USD 1.1 and GBP 0.85 (units per euro):
    c1 1100 USD ÷ 1.1 = 1000, c2 850 GBP ÷ 0.85 = 1000, c3 500 EUR, c4 700 with no currency (EUR): won 3200
    from 4 deals; c5 (2200 USD = 2000) is lost. Win rate 4 ÷ 5 = 0.8, average deal 3200 ÷ 4 = 800."""
    con = models_on(FIXTURES / "currency_generic" / "config.yml", tmp_path)
    assert rows(con, SCORE) == [{"won_amount": pytest.approx(3200.0), "deals_won": 4, "deals_lost": 1, "win_rate": 0.8,
                                 "avg_deal_size": pytest.approx(800.0), "currency": "EUR"}]
    deal = rows(con, "select deal_currency, deal_amount, conversion_rate, amount from int_opportunities "
                     "where opportunity_id = 'c1'")
    assert deal == [{"deal_currency": "USD", "deal_amount": 1100, "conversion_rate": 1.1, "amount": pytest.approx(1000.0)}]


def test_currencies_written_as_names_are_read_as_their_codes(tmp_path):
    """currency_generic as Dynamics 365 writes currencies: c1 'US Dollar', c2 'Pound Sterling', c3 'euro', c5
    'USD - US Dollar'. Each is read as its ISO code, so the same 3200 is won as with codes (see above). Each name
    was a currency of its own with no rate: the build stopped, suggesting `currency.rates.US Dollar`."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "currency_generic", folder)
    deals = folder / "deals.csv"
    text = deals.read_text(encoding="utf-8")
    for deal, written in {"c1": "US Dollar", "c2": "Pound Sterling", "c3": "euro", "c5": "USD - US Dollar"}.items():
        head, _, tail = next(line for line in text.splitlines() if line.startswith(deal + ",")).partition(",")
        fields = tail.split(",")
        fields[3] = written
        text = text.replace(f"{head},{tail}", ",".join([head, *fields]))
    deals.write_text(text, encoding="utf-8")
    con = models_on(folder / "config.yml", tmp_path)
    assert rows(con, SCORE) == [{"won_amount": pytest.approx(3200.0), "deals_won": 4, "deals_lost": 1, "win_rate": 0.8,
                                 "avg_deal_size": pytest.approx(800.0), "currency": "EUR"}]


@pytest.mark.parametrize("written, code", [
    ("USD", "USD"), ("usd", "USD"), ("US Dollar", "USD"), ("USD - US Dollar", "USD"), ("US Dollar (USD)", "USD"),
    ("Yen (JPY)", "JPY"), ("Won (KRW)", "KRW"), ("AUD (Aus)", "AUD"), ("USD (old)", "USD"), ("EUR (Euro)", "EUR"),
    ("Pound Sterling", "GBP"), ("Rand", "ZAR"), ("Dollar", "Dollar"), (None, None),
])
def test_how_a_currency_value_is_read(written, code):
    """A code in parentheses, in capitals, wins over three leading letters that are a word ('Yen (JPY)' is JPY, not
    YEN), but not over a leading code ('AUD (Aus)' is AUD); a name several currencies share stays as written, for
    the rate check to name."""
    con = duckdb.connect()
    assert con.execute(f"select {currency_sql('v')} from (select ?::varchar as v)", [written]).fetchone()[0] == code


def test_a_config_that_names_currencies_as_the_export_does_still_converts(tmp_path):
    """currency_generic with its deals' USD written 'US Dollar (USD)' and config written in names too:
    currency.code 'Euro', rates {'US Dollar': 1.1, 'Pound Sterling': 0.85}. The deals are read as USD, and config is
    read the same way, so the same 3200 EUR is won. (Reading only the deals broke a config that had worked.)"""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "currency_generic", folder)
    deals = folder / "deals.csv"
    deals.write_text(deals.read_text(encoding="utf-8").replace(",USD,", ",US Dollar (USD),"), encoding="utf-8")
    config = folder / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  code: EUR\n  rates: {USD: 1.1, GBP: 0.85}", "  code: Euro\n  rates: {US Dollar: 1.1, Pound Sterling: 0.85}"),
        encoding="utf-8")
    con = models_on(config, tmp_path)
    assert rows(con, SCORE) == [{"won_amount": pytest.approx(3200.0), "deals_won": 4, "deals_lost": 1, "win_rate": 0.8,
                                 "avg_deal_size": pytest.approx(800.0), "currency": "EUR"}]


def test_a_rates_table_converts_at_the_rate_in_force_on_the_close_date(tmp_path):
    """currency_generic with config_rates_table.yml: USD is 1.25 until 2026-02-12 and 1.1 from then on, so c1 (closed
    2026-02-10) is 1100 ÷ 1.25 = 880 and c5 (2026-03-05) 2200 ÷ 1.1 = 2000; GBP has one undated rate, 0.85. Won:
    880 + 1000 + 500 + 700 = 3080, average 770."""
    con = models_on(FIXTURES / "currency_generic" / "config_rates_table.yml", tmp_path)
    assert rows(con, SCORE) == [{"won_amount": pytest.approx(3080.0), "deals_won": 4, "deals_lost": 1, "win_rate": 0.8,
                                 "avg_deal_size": pytest.approx(770.0), "currency": "EUR"}]


def test_config_rates_add_to_a_rates_table(tmp_path):
    """config_rates_table.yml plus `currency.rates: {CHF: 0.9}` and a deal c6 of 900 CHF won 2026-03-10: the table's
    rates as before (won 3080 from 4 deals) and c6 at config's rate, 900 ÷ 0.9 = 1000. Won 4080 from 5 deals, one
    lost: win rate 5 ÷ 6, average deal 4080 ÷ 5 = 816. Config's rate is a row of the rates, from config.yml."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "currency_generic", folder)
    with open(folder / "deals.csv", "a", encoding="utf-8") as fh:
        fh.write("c6,r1,Won,900,CHF,2026-01-05,2026-03-10\n")
    config = folder / "config_rates_table.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("currency: {code: EUR}",
                                                                 "currency: {code: EUR, rates: {CHF: 0.9}}"),
                      encoding="utf-8")
    con = models_on(config, tmp_path)
    assert rows(con, SCORE) == [{"won_amount": pytest.approx(4080.0), "deals_won": 5, "deals_lost": 1,
                                 "win_rate": pytest.approx(5 / 6), "avg_deal_size": pytest.approx(816.0),
                                 "currency": "EUR"}]
    assert rows(con, "select currency, rate, _file from extract_currency_rates where currency = 'CHF'") == [
        {"currency": "CHF", "rate": 0.9, "_file": "config_rates_table.yml"}]


def build_line(tmp_path, config) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


@pytest.mark.parametrize("currency, hint", [
    ("CHF", "set `currency.rates.CHF` in config.yml (units of CHF per one EUR)"),
    # several currencies are dollars, so it is not guessed; the hint is config.yml as it can hold the rate, not
    # `currency.rates.Dollar` as a dotted path
    ("Dollar", 'map the column to an expression that gives ISO codes, or set `currency: {rates: {"Dollar": '
               '<units per one EUR>}}` in config.yml'),
])
def test_a_currency_without_a_rate_is_one_error_naming_file_row_and_column(tmp_path, currency, hint):
    """currency_generic plus a deal (row 7) in a currency for which no rate is given."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "currency_generic", folder)
    with open(folder / "deals.csv", "a", encoding="utf-8") as fh:
        fh.write(f"c6,r1,Won,900,{currency},2026-01-05,2026-03-10\n")
    code, lines = build_line(tmp_path, folder / "config.yml")
    assert (code, lines) == (1, [
        f"data error: deals.csv: row 7, column Currency: no conversion rate for currency '{currency}' (the corporate "
        f"currency is EUR); add it to the currency rates extract, or {hint}"
    ])


def test_several_currencies_without_a_corporate_one_is_an_error(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "currency_generic", folder)
    config = folder / "config.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("currency:\n  code: EUR\n  rates: {USD: 1.1, GBP: 0.85}\n", ""),
                      encoding="utf-8")
    code, lines = build_line(tmp_path, config)
    assert (code, lines) == (1, [
        f"config error: {config}: the deals are in several currencies (EUR, GBP, USD) and no corporate currency is "
        "known; set `currency.code` (the currency to report in) and `currency.rates` in config.yml, or give a "
        "currency_rates extract"
    ])


def test_pages_show_the_corporate_currency(tmp_path):
    """currency_generic reports in EUR and sets no currency_symbol: amounts are shown with €, and the page says so."""
    code, lines = build_line(tmp_path, FIXTURES / "currency_generic" / "config.yml")
    assert code == 0, lines
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "amounts in <strong>EUR</strong>" in home
    assert "€3.2k" in (tmp_path / "site" / "reps" / "r1" / "index.html").read_text(encoding="utf-8")


# --- HubSpot -------------------------------------------------------------------------------------------------


def test_hubspot_deal_owners_given_by_name_are_matched_to_the_owners_export(tmp_path):
    """hubspot_names: "Deal owner" is Ann Ace (9001), ann ace (9002, other case), Bob Builder (9003, 9004) and
    Cy Closer (9005), all in owners.csv as 111, 222 and 333; Dana Nobody (9006, row 7) is no one: flagged.
    9003 and 9004 have no close date and 9004 no created date: they load, as undated pipeline (9003's 80000)."""
    con, result = extracted("hubspot_names")
    owners = dict(con.execute("select opportunity_id, owner_id from extract_opportunities").fetchall())
    assert owners == {"9001": "111", "9002": "111", "9003": "222", "9004": "222", "9005": "333", "9006": "Dana Nobody"}
    assert result.tables["opportunities"].notes == ["hubspot-crm-exports-all-deals-2026-05-15.csv: 5 row(s) name their owner_id by display "
                            "name or email; matched to owners.csv by name"]
    assert con.execute("""select "row", reason from quarantine where "column" = 'owner_id'""").fetchall() == [
        (7, "owner_id not in reps")
    ]
    assert result.tables["opportunities"].rejected == 0
    con = models_on(FIXTURES / "hubspot_names" / "config.yml", tmp_path)
    assert rows(con, "select undated_pipeline, undated_deals from rep_scorecard where rep_id = '222' and is_current") == [
        {"undated_pipeline": 80000.0, "undated_deals": 2}
    ]


# --- no data is never zero -----------------------------------------------------------------------------------


def test_won_deals_without_an_amount_are_counted_beside_the_won_amount(tmp_path):
    """no_amounts, 2026-Q2. r1: w1 won 1000, w2 won without an amount, l1 and l2 lost with no value. Won amount 1000
    from 2 won deals, 1 of them without an amount, so the average deal is 1000 ÷ 1 (not 500); win rate 2 ÷ 4; by
    value no data (the lost deals carry none, it would read 100%). r4: w5 500 won, l4 1500 lost: 500 ÷ 2000 = 0.25.
    The same definition of average deal size in rep_velocity: r3's 2026-Q1 (w3 800, w4 without amount) is 800."""
    con = models_on(FIXTURES / "no_amounts" / "config.yml", tmp_path)
    q2 = {r["rep_id"]: r for r in rows(con, "select * from rep_scorecard where period = '2026-Q2'")}
    got = {k: q2["r1"][k] for k in ("won_amount", "deals_won", "won_deals_without_amount", "avg_deal_size", "win_rate",
                                     "win_rate_value", "lost_deals_without_amount")}
    assert got == {"won_amount": 1000.0, "deals_won": 2, "won_deals_without_amount": 1, "avg_deal_size": 1000.0,
                   "win_rate": 0.5, "win_rate_value": None, "lost_deals_without_amount": 2}
    assert q2["r4"]["win_rate_value"] == 0.25
    q1 = rows(con, "select avg_deal_size, win_rate_value from rep_scorecard where rep_id = 'r3' and period = '2026-Q1'")
    assert q1 == [{"avg_deal_size": 800.0, "win_rate_value": None}]
    assert rows(con, "select avg_deal_size from rep_velocity where rep_id = 'r3'") == [{"avg_deal_size": 800.0}]


def test_headlines_say_what_is_known(tmp_path):
    """no_amounts built into a site: r2 has 3 open deals and none has an amount, which the pipeline section says
    instead of "No open deals" (or a 0 pipeline); r1's CRM discipline names its won deal without an amount, and
    r2's its open deal without a close date."""
    code, lines = build_line(tmp_path, FIXTURES / "no_amounts" / "config.yml")
    assert code == 0, lines
    r2 = (tmp_path / "site" / "reps" / "r2" / "index.html").read_text(encoding="utf-8")
    assert "3 open deals, none with an amount." in r2
    assert "No open deals" not in r2
    assert "1 without a close date" in r2
    r1 = (tmp_path / "site" / "reps" / "r1" / "index.html").read_text(encoding="utf-8")
    assert "1 won deal this quarter has no amount" in r1


def test_pages_do_not_turn_what_is_not_known_into_zeros(tmp_path):
    """unknowns: nobody has a quota, n1's only open deal has neither an amount nor a close date, and the last
    quarter's only win (p1) has no amount; n2's undated deal has 5,000. Coverage has no quota to cover, so no "0
    reps under it"; n1's undated pipeline is no data, not "$0 · 1 open deals", and the org's 5,000 says 1 of its 2
    deals has no amount; the 80/20 sentence does not read "won no data of the
    organisation's $0"; there is no deal history before today, so the Monday pack's slips and new pipeline are
    no data, not $0; and reps with no attainment are not ranked."""
    code, lines = build_line(tmp_path, FIXTURES / "unknowns" / "config.yml")
    assert code == 0, lines
    site = tmp_path / "site"
    home = text_of(site / "index.html")
    assert "Pipeline coverage no data target 3.0×; no quota to cover" in home
    assert "reps under it" not in home
    assert ("Undated pipeline $5.0k 2 open deals without a close date, 1 of them without an amount, in no "
            "quarter's coverage") in home
    n1 = text_of(site / "reps" / "n1" / "index.html")
    assert ("Undated pipeline no data 1 open deal without a close date, none with an amount, in no quarter's "
            "coverage") in n1
    assert "No data: nothing with an amount was won in 2026 Q1" in home
    assert "won no data" not in home
    team = text_of(site / "teams" / "north" / "index.html")
    assert "Pipeline coverage no data target 3.0×; no quota to cover" in team
    assert "reps under the" not in team
    monday = text_of(site / "teams" / "north" / "monday" / "index.html")
    assert "Slipped last week no data the deal history does not cover the 7 days" in monday
    assert "New pipeline last week no data the deal history does not cover the 7 days" in monday
    assert "No deal was won in the 7 days to 2026-05-15 (the deal history does not cover them" in monday
    board = (site / "data" / "team_leaderboard.csv").read_text(encoding="utf-8").splitlines()
    header = board[0].split(",")
    assert [line.split(",")[header.index("contest_rank")] for line in board[1:]] == ["", ""]  # n1, n2: not ranked


def test_pages_say_why_a_gap_or_coverage_is_not_known(tmp_path):
    """grades, plus o5: a2 won a deal on 05-12 with no amount (see test_grades). a2's attainment is at least
    5,000 ÷ 100,000 = 5%, and the page says so; the gap, coverage and pipeline still needed are no data, each
    with its reason, never "no quota to cover" (there is one) or a figure that takes the win as $0; the team and
    home pages, which add a2 up, say the same."""
    code, lines = build_line(tmp_path, org_with("grades", tmp_path / "org", {"opportunities.csv": [
        "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11"]}))
    assert code == 0, lines
    site = tmp_path / "site"
    a2 = text_of(site / "reps" / "a2" / "index.html")
    assert "Attainment 5% at least: 1 won deal without an amount · 49% expected by now" in a2
    assert "Gap to quota no data not known: 1 won deal without an amount" in a2
    assert "Coverage no data target 3.0×; not known: 1 won deal without an amount" in a2
    assert "Pipeline still needed no data not known: 1 won deal without an amount" in a2
    assert "at least 5% won" in a2
    a1 = text_of(site / "reps" / "a1" / "index.html")
    assert "Gap to quota $70.0k" in a1 and "at least" not in a1 and "not known" not in a1
    team = text_of(site / "teams" / "north" / "index.html")
    assert "Pipeline coverage no data target 3.0×; not known: 1 rep has won deals without an amount" in team
    home = text_of(site / "index.html")
    assert "Gap to quota no data not known: 1 won deal without an amount" in home
    assert "target 3.0×; not known: 1 rep has won deals without an amount" in home
    assert "no quota to cover" not in home + team
    assert "Closed $5.0k won this quarter, at least 5% of quota, with 1 won deal without an amount" in a2
    coaching = text_of(site / "reps" / "a2" / "coaching" / "index.html")
    assert ("Attainment at least 5% (49% expected by now), coverage no data (not known: 1 won deal without an "
            "amount)") in coaching


def test_a_count_of_reps_under_target_is_not_known_and_a_zero_quota_is_no_quota(tmp_path):
    """grades, plus: o5, a2's win without an amount; o6, a1's win of 200,000 (a1 now meets quota, and North's
    5,000 + 230,000 meets its 200,000); a3 in South with a quota of 0, a win without an amount and an open deal.
    North's coverage reads "quota met", but whether a2 (20,000 open against 0 to 95,000 still to close) is under
    the 3× target is not known, so the count of reps under it is not "0"; the reason names the 1 rep whose quota
    still to close is not known (a3's unpriced win makes nothing unknown). a1 needs no more pipeline. a3 and
    South have no quota to cover: a quota of 0 is no quota, not coverage "not known" (and not "None of quota")."""
    code, lines = build_line(tmp_path, org_with("grades", tmp_path / "org", {
        "reps.csv": ["a3,Zero Zed,South,vp,AE,2025-01-01"],
        "quotas.csv": ["a3,2026-04-01,2026-06-30,0"],
        "opportunities.csv": [
            "o5,a2,Echo,Echo won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11",
            "o6,a1,Fox,Fox won,Closed Won,200000,2026-04-03,2026-05-13,,2026-05-11",
            "o7,a3,Golf,Golf won,Closed Won,,2026-04-03,2026-05-12,,2026-05-11",
            "o8,a3,Hotel,Hotel open,Prospecting,5000,2026-04-03,2026-06-20,Call,2026-05-11",
        ],
    }))
    assert code == 0, lines
    site = tmp_path / "site"
    north = text_of(site / "teams" / "north" / "index.html")
    assert ("Pipeline coverage quota met reps under their coverage target not known: 1 rep has won deals without "
            "an amount") in north
    home = text_of(site / "index.html")  # a3's win changes nothing known: a3 has no quota to close
    assert "target 3.0×; reps under their coverage target not known: 1 rep has won deals without an amount" in home
    a1 = text_of(site / "reps" / "a1" / "index.html")
    assert "Pipeline still needed none: quota met Overdue" in a1
    a3 = text_of(site / "reps" / "a3" / "index.html")
    assert "Coverage no data target 3.0×; no quota to cover" in a3
    assert "Pipeline still needed no data no quota to cover" in a3
    assert "Closed $0 won this quarter, with 1 won deal without an amount" in a3
    assert "None" not in a3
    south = text_of(site / "teams" / "south" / "index.html")
    assert "Pipeline coverage no data target 3.0×; no quota to cover" in south


def test_the_forecast_trend_and_week_say_which_days_are_not_known(tmp_path):
    """metrics plus o99, a deal of r2's the history leaves out (test_forecast works out the trend and the week):
    seven of East's eight trend days, and its last full week, are no data, and its page (and r2's, for the week)
    says why rather than showing them at $0."""
    code, lines = build_line(tmp_path, org_with("metrics", tmp_path / "org", {"opportunities.csv": [
        "o99,r2,Zulu,Zulu deal,Proposal,30000,2025-12-10,2026-06-30,Commit,Call,2026-05-01"]}))
    assert code == 0, lines
    east = text_of(tmp_path / "site" / "teams" / "east" / "index.html")
    assert ("7 of the trend's days are no data: the deal history leaves out a deal created by then, whose state on "
            "those days is not known.") in east
    no_week = ("No data for the last full week, 2026-05-04 to 2026-05-10: the deal history leaves out a deal created "
               "by then, whose state at its start or end is not known.")
    assert no_week in east
    assert no_week in text_of(tmp_path / "site" / "reps" / "r2" / "index.html")
    west = text_of(tmp_path / "site" / "teams" / "west" / "index.html")
    assert "of the trend's days" not in west and "No data for the last full week" not in west
    assert "How each figure moved over the last full week" in west


def text_of(page) -> str:
    """A page's visible text, its whitespace collapsed."""
    return " ".join(visible_text(page.read_text(encoding="utf-8")).split())


def test_the_monday_pack_lists_a_deal_won_lost_and_won_again_once(tmp_path):
    """tiny, plus x2 (r1, 1,000): open from 05-01, won 05-10, lost 05-11, won again 05-12. The Monday pack's
    "Won last week" counted it once, but its table of wins listed it twice; both now show its standing win."""
    code, lines = build_line(tmp_path, org_with("tiny", tmp_path / "org", {
        "opportunities.csv": ["x2,r1,Xray,Xray deal,Closed Won,1000,2026-05-01,2026-05-12,Closed,,2026-05-12"],
        "opportunity_history.csv": [
            "x2,2026-05-01 09:00:00,Proposal,1000,2026-05-31,Commit",
            "x2,2026-05-10 09:00:00,Closed Won,1000,2026-05-10,Closed",
            "x2,2026-05-11 09:00:00,Closed Lost,1000,2026-05-11,Omitted",
            "x2,2026-05-12 09:00:00,Closed Won,1000,2026-05-12,Closed",
        ],
    }))
    assert code == 0, lines
    monday = text_of(tmp_path / "site" / "teams" / "east" / "monday" / "index.html")
    assert "Won last week $1.0k 1 deal" in monday
    assert monday.count("Xray deal") == 1


# --- as_of and quarters --------------------------------------------------------------------------------------


def test_an_activity_scheduled_after_as_of_is_not_a_negative_day_count(tmp_path):
    """future_close with a LastActivityDate column: f3 has a meeting on 2026-05-04, after as_of (2026-04-10, f3's
    created date, the latest recorded day). Salesforce sets LastActivityDate to the furthest scheduled event, so
    that date does not move as_of (it would date the whole export by next week's meeting); f3 was last active 0
    days ago, not -24."""
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "future_close", folder)
    deals = folder / "deals.csv"
    lines = deals.read_text(encoding="utf-8").splitlines()
    touched = {"f3": "2026-05-04"}
    out = [lines[0] + ",last_activity_date"] + [f"{line},{touched.get(line.split(',')[0], '')}" for line in lines[1:]]
    deals.write_text("\n".join(out) + "\n", encoding="utf-8")
    con = models_on(folder / "config.yml", tmp_path)
    assert con.execute("select getvariable('as_of')").fetchall() == [(dt.date(2026, 4, 10),)]
    assert rows(con, "select days_since_activity from rep_open_deals where opportunity_id = 'f3'") == [
        {"days_since_activity": 0}]


def test_as_of_is_the_latest_recorded_day_and_closed_deals_count_in_their_quarter(tmp_path):
    """future_close: as_of is 2026-04-10 (f3 created), so 2026-Q2 is current. f1 was won with a close date of
    2026-12-20, two quarters later: it counts there (2026-Q4, won 1000), with no rows for r1 after it. r2 has left
    and lost f2 in 2025-Q1: that quarter has a row too."""
    con = models_on(FIXTURES / "future_close" / "config.yml", tmp_path)
    assert con.execute("select getvariable('as_of')").fetchall() == [(dt.date(2026, 4, 10),)]
    closed = rows(con, "select rep_id, period, won_amount, deals_won, deals_lost from rep_scorecard "
                       "where deals_won + deals_lost > 0 order by rep_id, period")
    assert closed == [
        {"rep_id": "r1", "period": "2026-Q1", "won_amount": 300.0, "deals_won": 1, "deals_lost": 0},
        {"rep_id": "r1", "period": "2026-Q4", "won_amount": 1000.0, "deals_won": 1, "deals_lost": 0},
        {"rep_id": "r2", "period": "2025-Q1", "won_amount": 0.0, "deals_won": 0, "deals_lost": 1},
    ]
    assert con.execute("select max(period) from rep_scorecard where rep_id = 'r1'").fetchall() == [("2026-Q4",)]
    assert con.execute("select max(period) from rep_scorecard where rep_id = 'r2'").fetchall() == [("2025-Q1",)]


def test_a_stage_spelled_with_other_case_or_spacing_is_the_configured_one(tmp_path):
    """A hand-made export: o1 'closed won' and o2 'Closed  Won ' are config's Closed Won, with a note; o3 'Verbal'
    is still an unknown stage (rejected, row 4)."""
    (tmp_path / "deals.csv").write_text(
        "opportunity_id,owner_id,stage,amount,created_date,close_date\n"
        "o1,r1,closed won,100,2026-01-10,2026-02-20\no2,r1,Closed  Won ,100,2026-01-10,2026-02-20\n"
        "o3,r1,Verbal,100,2026-01-10,2026-02-20\n", encoding="utf-8")
    (tmp_path / "config.yml").write_text(
        "as_of: 2026-05-15\nsources:\n  opportunities: {path: deals.csv}\nstages:\n  - {name: Closed Won, kind: won}\n"
        "  - {name: Closed Lost, kind: lost}\nthresholds: {max_rejected_share: 0.5}\n", encoding="utf-8")
    con = duckdb.connect()
    result = extract(load_config(tmp_path / "config.yml"), con)
    assert con.execute("select opportunity_id, stage from extract_opportunities order by 1").fetchall() == [
        ("o1", "Closed Won"), ("o2", "Closed Won")
    ]
    assert result.tables["opportunities"].notes == ["deals.csv: 2 row(s) write a stage with other case or spacing than config `stages`; "
                            "read as the configured stage"]
    assert con.execute('select "row", reason from quarantine').fetchall() == [(4, "unknown stage (add it to config stages)")]


# --- managers named as people are -----------------------------------------------------------------------------


def test_managers_given_by_name_are_the_people_of_that_name_and_unknown_ones_are_flagged(tmp_path):
    """A user list that names each manager (Pipedrive's, Dynamics'): Anna (9001) and Ben (9002) report to "Carla
    Diaz", who is 9003 in the same file, and Dan (9004) to "carla@ex.com", her email; so all three report to 9003,
    who heads their team, 'Team Carla Diaz', and no second Carla is made up. Eve (9005, row 6) reports to U99, who is
    nobody in the file: kept (Eve's team is 'Team U99', U99 a person known only as a manager) and flagged."""
    (tmp_path / "users.csv").write_text(
        "ID,Name,Email,Manager\n"
        "9001,Anna Berg,anna@ex.com,Carla Diaz\n"
        "9002,Ben Carter,ben@ex.com,carla diaz\n"
        "9003,Carla Diaz,carla@ex.com,\n"
        "9004,Dan Ek,dan@ex.com,carla@ex.com\n"
        "9005,Eve Fox,eve@ex.com,U99\n", encoding="utf-8")
    (tmp_path / "deals.csv").write_text(
        "id,owner,stage,amount,created,closes\n"
        "d1,9001,Won,1000,2026-04-02,2026-04-20\n", encoding="utf-8")
    (tmp_path / "config.yml").write_text(
        "as_of: 2026-05-15\n"
        "sources:\n"
        "  reps: {path: users.csv, columns: {rep_id: ID, name: Name, email: Email, manager_id: Manager}}\n"
        "  opportunities: {path: deals.csv, columns: {opportunity_id: id, owner_id: owner, created_date: created,\n"
        "    close_date: closes}}\n"
        "stages: [{name: Open, kind: open}, {name: Won, kind: won}, {name: Lost, kind: lost}]\n", encoding="utf-8")
    con = duckdb.connect()
    result = extract(load_config(tmp_path / "config.yml"), con)
    assert dict(con.execute("select rep_id, manager_id from extract_reps").fetchall()) == {
        "9001": "9003", "9002": "9003", "9003": None, "9004": "9003", "9005": "U99"}
    assert result.tables["reps"].notes == [
        "users.csv: 3 row(s) name their manager_id by display name or email; matched to the person of that name"]
    assert con.execute('select "row", "column", value, action from quarantine').fetchall() == [
        (6, "manager_id", "U99", "flagged")]
    assert result.tables["reps"].flagged == 1
    con = models_on(tmp_path / "config.yml", tmp_path)
    assert sorted(con.execute("select rep_id, name, team, role, is_manager from int_reps").fetchall()) == [
        ("9001", "Anna Berg", "Team Carla Diaz", None, False),
        ("9002", "Ben Carter", "Team Carla Diaz", None, False),
        ("9003", "Carla Diaz", "Team Carla Diaz", "Manager", True),
        ("9004", "Dan Ek", "Team Carla Diaz", None, False),
        ("9005", "Eve Fox", "Team U99", None, False),
        ("U99", "U99", "Team U99", "Manager", True),
    ]


# --- a decimal comma, and day-first timestamps ----------------------------------------------------------------


def _deals_org(tmp_path, name: str, text: str, source: str = "") -> tuple:
    (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / f"{name}.yml").write_text(
        "as_of: 2026-05-15\n"
        "sources:\n"
        f"  opportunities: {{path: {name}, columns: {{opportunity_id: id, owner_id: owner, created_date: created,\n"
        f"    close_date: closes}}{source}}}\n"
        "stages: [{name: Open, kind: open}, {name: Won, kind: won}, {name: Lost, kind: lost}]\n", encoding="utf-8")
    con = duckdb.connect()
    result = extract(load_config(tmp_path / f"{name}.yml"), con)
    got = con.execute("select opportunity_id, cast(amount as double), created_date from extract_opportunities "
                      "order by 1").fetchall()
    return got, result.tables["opportunities"].notes


def test_an_amount_such_as_45_000_reads_by_the_decimal_mark_of_its_file(tmp_path):
    """A European export (semicolons, day-first dates, date_format %d.%m.%Y) writes 1.234,56 and 980,00, and 45.000
    for forty-five thousand: no amount in it has a decimal point, so 45.000 is 45,000 (it read as 45.00 before), with a
    note. Its created timestamps carry a time, 10:22 or 09:00:05, after the configured date: they still read.
    A US export with 12.50 in it reads its 45.000 as 45.00, with no note; `decimal: ","` forces the comma."""
    eu = ("id;owner;stage;amount;created;closes\n"
          "d1;r1;Won;1.234,56;04.11.2025 10:22;15.01.2026\n"
          "d2;r1;Open;45.000;02.12.2025 09:00:05;31.03.2026\n"
          "d3;r1;Open;980,00;10.01.2026;\n")
    got, notes = _deals_org(tmp_path, "eu.csv", eu, ", date_format: '%d.%m.%Y'")
    d = dt.date
    assert got == [("d1", 1234.56, d(2025, 11, 4)), ("d2", 45000, d(2025, 12, 2)), ("d3", 980, d(2026, 1, 10))]
    assert notes == ["eu.csv: amount read with a decimal comma (45.000 is 45 000, as 1.234,56 is 1 234.56): no amount "
                     "is written with a decimal point. Set `sources.opportunities.decimal: \".\"` if 45.000 means 45"]
    us = ("id,owner,stage,amount,created,closes\n"
          "u1,r1,Open,45.000,2026-01-02,2026-06-01\n"
          "u2,r1,Open,12.50,2026-01-02,2026-06-01\n")
    got, notes = _deals_org(tmp_path, "us.csv", us)
    assert [(i, a) for i, a, _ in got] == [("u1", 45), ("u2", 12.5)] and notes == []
    got, notes = _deals_org(tmp_path, "forced.csv", us.replace("12.50", '"12,50"'), ", decimal: ','")
    assert [(i, a) for i, a, _ in got] == [("u1", 45000), ("u2", 12.5)] and notes == []
