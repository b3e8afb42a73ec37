"""Broken extracts: every fault ends as one exact quarantine row or one exact error line, never a traceback
and never a silently missing row.

The fixtures in tests/fixtures/bad/ are four-deal files whose row 3 (the header is row 1) carries the fault,
so each test also checks that the rows after it keep their true row numbers.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.errors import ConfigError, DataError, QualityGateError
from pipelines.extract import check_quality_gate, extract
from pipelines.settings import parse_config
from tests.conftest import FIXTURES

BAD = FIXTURES / "bad"
FORMATS = FIXTURES / "bad_formats"
STAGES = [
    {"name": "Proposal", "kind": "open", "probability": 0.5},
    {"name": "Closed Won", "kind": "won", "probability": 1.0},
    {"name": "Closed Lost", "kind": "lost", "probability": 0.0},
]


def raw_config(opportunities: str, folder: Path = BAD, **extra) -> dict:
    raw = {
        "as_of": "2026-05-15",
        "extracts_dir": str(folder),
        "sources": {"reps": {"path": str(BAD / "reps.csv")}, "opportunities": {"path": opportunities}},
        "stages": STAGES,
        "thresholds": {"max_rejected_share": 1.0},
    }
    raw.update(extra)
    return raw


def run_extract(tmp_path: Path, opportunities: str, folder: Path = BAD, **extra):
    cfg = parse_config(raw_config(opportunities, folder, **extra), tmp_path / "config.yml")
    con = duckdb.connect()
    return con, extract(cfg, con)


def quarantine(con) -> list[tuple]:
    return con.execute(
        'select file, "row", "column", value, reason, action from quarantine order by file, "row", "column"'
    ).fetchall()


def loaded_rows(con, table: str = "opportunities") -> list[tuple]:
    return con.execute(f"select _row, {'opportunity_id' if table == 'opportunities' else '*'} from extract_{table} order by _row").fetchall()


def cli_build(tmp_path: Path, raw: dict):
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", "--config", str(config), "--out", str(tmp_path / "site"), "--warehouse", str(tmp_path / "wh")]
    )
    return result


# --- one row with a bad value: the exact quarantine row --------------------------------------------------------


@pytest.mark.parametrize(
    "name, column, value, reason",
    [
        ("bad_date.csv", "created_date", "2026-02-30", "unparseable date in created_date"),
        ("bad_number.csv", "amount", "12k", "unparseable money in amount"),
        ("negative_amount.csv", "amount", "-500", "negative amount"),
        ("unknown_stage.csv", "stage", "Verbal Yes", "unknown stage (add it to config stages)"),
    ],
    ids=["unparseable-date", "unparseable-number", "negative-amount", "unknown-stage"],
)
def test_bad_value_is_quarantined_with_file_row_column_and_reason(tmp_path, name, column, value, reason):
    con, result = run_extract(tmp_path, name)
    assert quarantine(con) == [(str(BAD / name), 3, column, value, reason, "rejected")]
    assert loaded_rows(con) == [(2, "o1"), (4, "o2"), (5, "o4")]
    report = result.tables["opportunities"]
    assert (report.read, report.loaded, report.rejected, report.flagged) == (4, 3, 1, 0)


def test_owner_not_in_reps_is_flagged_and_kept_by_default(tmp_path):
    """A deal of someone missing from the reps extract still counts (its owner gets a page), and is listed."""
    name = "owner_not_in_reps.csv"
    con, result = run_extract(tmp_path, name)
    assert quarantine(con) == [(str(BAD / name), 3, "owner_id", "r9", "owner_id not in reps", "flagged")]
    assert loaded_rows(con) == [(2, "o1"), (3, "o3"), (4, "o2"), (5, "o4")]
    report = result.tables["opportunities"]
    assert (report.read, report.loaded, report.rejected, report.flagged) == (4, 4, 0, 1)


def test_owner_not_in_reps_can_be_rejected(tmp_path):
    name = "owner_not_in_reps.csv"
    con, result = run_extract(tmp_path, name, quality={"owner_not_in_reps": "rejected"})
    assert quarantine(con) == [(str(BAD / name), 3, "owner_id", "r9", "owner_id not in reps", "rejected")]
    assert loaded_rows(con) == [(2, "o1"), (4, "o2"), (5, "o4")]
    assert result.tables["opportunities"].rejected == 1


def test_duplicate_id_keeps_the_first_and_names_it(tmp_path):
    con, _ = run_extract(tmp_path, "duplicate_id.csv")
    file = str(BAD / "duplicate_id.csv")
    assert quarantine(con) == [
        (file, 3, "opportunity_id", "o1", f"duplicate opportunity_id (first at {file} row 2)", "rejected")
    ]
    assert con.execute("select name from extract_opportunities where opportunity_id = 'o1'").fetchall() == [
        ("Acme renewal",)
    ]


def test_duplicate_of_a_rejected_row_is_kept(tmp_path):
    """When the first copy of an id is itself rejected, the second, valid copy is the one loaded."""
    folder = tmp_path / "x"
    folder.mkdir()
    text = (BAD / "duplicate_id.csv").read_text(encoding="utf-8").replace("Closed Won,100000", "Closed Won,12k", 1)
    (folder / "deals.csv").write_text(text, encoding="utf-8")
    con, _ = run_extract(tmp_path, "deals.csv", folder)
    assert [r[1:3] + r[4:] for r in quarantine(con)] == [(2, "amount", "unparseable money in amount", "rejected")]
    assert loaded_rows(con) == [(3, "o1"), (4, "o2"), (5, "o4")]


def test_close_before_created_is_flagged_by_default(tmp_path):
    con, result = run_extract(tmp_path, "close_before_created.csv")
    assert quarantine(con) == [
        (str(BAD / "close_before_created.csv"), 3, "close_date", "2026-02-01",
         "close date before created date (cycle time ignores this deal)", "flagged")
    ]
    assert [r[0] for r in loaded_rows(con)] == [2, 3, 4, 5]
    assert (result.tables["opportunities"].loaded, result.tables["opportunities"].flagged) == (4, 1)


def test_close_before_created_can_be_rejected(tmp_path):
    con, result = run_extract(tmp_path, "close_before_created.csv", quality={"close_before_created": "rejected"})
    assert [r[1:] for r in quarantine(con)] == [
        (3, "close_date", "2026-02-01", "close date before created date (cycle time ignores this deal)", "rejected")
    ]
    assert loaded_rows(con) == [(2, "o1"), (4, "o2"), (5, "o4")]


# --- malformed CSV ---------------------------------------------------------------------------------------------


def test_wrong_column_count_quarantines_each_row(tmp_path):
    con, result = run_extract(tmp_path, "wrong_columns.csv")
    assert [r[1:3] + r[4:] for r in quarantine(con)] == [
        (3, "", "malformed CSV row: 10 fields where the header has 11", "rejected"),
        (5, "", "malformed CSV row: 12 fields where the header has 11", "rejected"),
    ]
    assert quarantine(con)[0][3].startswith("o3,r2,Gamma")
    assert loaded_rows(con) == [(2, "o1"), (4, "o2"), (6, "o4")]
    assert (result.tables["opportunities"].read, result.tables["opportunities"].rejected) == (5, 2)


def test_unbalanced_quotes_quarantine_the_row(tmp_path):
    con, _ = run_extract(tmp_path, "unbalanced_quotes.csv")
    assert [r[:3] + r[4:] for r in quarantine(con)] == [
        (str(BAD / "unbalanced_quotes.csv"), 3, "",
         "malformed CSV row: unbalanced quotes (a quoted value is not closed where it should be)", "rejected")
    ]
    assert loaded_rows(con) == [(2, "o1"), (4, "o2"), (5, "o4")]


def test_unterminated_quote_says_how_many_lines_it_swallowed(tmp_path):
    con, result = run_extract(tmp_path, "unterminated_quote.csv")
    [(file, row, column, value, reason, action)] = quarantine(con)
    assert (row, column, action) == (4, "", "rejected")
    assert reason == ("malformed CSV row: unbalanced quotes (a quoted value is not closed where it should be); "
                      "it runs over 2 lines of the file")
    assert "o4,r2,Delta" in value  # the swallowed line is in the report, not lost
    assert loaded_rows(con) == [(2, "o1"), (3, "o2")]


def test_blank_lines_and_multiline_values_keep_spreadsheet_row_numbers(tmp_path):
    con, _ = run_extract(tmp_path, "blank_lines.csv")
    assert [r[1:3] + r[4:] for r in quarantine(con)] == [
        (5, "created_date", "unparseable date in created_date", "rejected")
    ]
    assert loaded_rows(con) == [(2, "o1"), (4, "o2"), (6, "o4")]
    assert con.execute("select name from extract_opportunities where opportunity_id = 'o2'").fetchall() == [
        ("Beta\n\nnew",)
    ]


def test_header_only_file_loads_nothing_and_says_so_in_the_counts(tmp_path):
    con, result = run_extract(tmp_path, "header_only.csv")
    assert (result.tables["opportunities"].read, result.tables["opportunities"].loaded) == (0, 0)
    assert quarantine(con) == []


# --- whole-file errors through the CLI: one line, exit 1, no traceback -----------------------------------------


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_missing_required_column_names_the_file_and_the_columns_present(tmp_path):
    line = one_error_line(cli_build(tmp_path, raw_config("missing_column.csv")))
    assert line == (
        f"data error: {BAD / 'missing_column.csv'}: table opportunities needs column(s) that this file does not have: "
        "owner_id (looked for owner_id); columns present: opportunity_id, account, name, stage, amount, "
        "created_date, close_date. Map them under `sources.opportunities.columns`"
    )


def test_missing_mapped_column_lists_the_candidates_tried(tmp_path):
    raw = raw_config("missing_column.csv")
    raw["sources"]["opportunities"]["columns"] = {"owner_id": ["OwnerId", "Deal owner"]}
    line = one_error_line(cli_build(tmp_path, raw))
    assert "owner_id (looked for OwnerId, Deal owner); columns present: opportunity_id, account," in line
    assert line.startswith(f"data error: {BAD / 'missing_column.csv'}: ")


def test_latin1_file_is_read_as_windows_1252_and_says_so(tmp_path):
    """Not valid UTF-8 (0xfc, ü, on row 3): read as Windows-1252, with a note; tests/test_encodings.py has the rest."""
    con, result = run_extract(tmp_path, "latin1.csv")
    assert con.execute("select _row, account from extract_opportunities where opportunity_id = 'o3'").fetchall() == [
        (3, "Müller GmbH")
    ]
    assert result.tables["opportunities"].notes == [
        f"{BAD / 'latin1.csv'}: read as Windows-1252: it is not UTF-8 (byte 0xfc on row 3 is not valid UTF-8); "
        "set `sources.opportunities.encoding` if it is in another encoding"
    ]


def test_utf16_file_is_read_and_says_so(tmp_path):
    con, result = run_extract(tmp_path, "utf16.csv")
    assert con.execute("select _row, opportunity_id from extract_opportunities order by _row").fetchall() == [
        (2, "o1"), (3, "o2")
    ]
    assert result.tables["opportunities"].notes == [f"{BAD / 'utf16.csv'}: read as UTF-16 LE (its byte order mark says so)"]


def test_non_utf8_header_is_read_as_windows_1252(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "deals.csv").write_bytes("opportunity_id,Eigentümer\no1,r1\n".encode("cp1252"))
    raw = raw_config("deals.csv", folder)
    raw["sources"]["opportunities"]["columns"] = {"owner_id": "Eigentümer"}
    line = one_error_line(cli_build(tmp_path, raw))
    assert line.startswith("data error: x/deals.csv: table opportunities needs column(s) that this file does not have: "
                           "stage (looked for stage); ")
    assert "columns present: opportunity_id, Eigentümer." in line


def test_utf16_forced_to_utf8_is_an_error_that_names_the_encoding(tmp_path):
    raw = raw_config("utf16.csv")
    raw["sources"]["opportunities"]["encoding"] = "utf-8"
    line = one_error_line(cli_build(tmp_path, raw))
    assert line == (
        f"data error: {BAD / 'utf16.csv'}: file is UTF-16 encoded, not UTF-8; re-export it as UTF-8 (in Excel: Save As "
        "> CSV UTF-8), or set `sources.opportunities.encoding` (or remove it to detect)"
    )


def test_mixed_line_endings_are_an_error_with_the_line(tmp_path):
    line = one_error_line(cli_build(tmp_path, raw_config("mixed_line_endings.csv")))
    assert line == (
        f"data error: {BAD / 'mixed_line_endings.csv'}: cannot split the file into rows: it mixes line endings or "
        "has a stray carriage return (first at line 3); re-export it, or save it with one kind of line ending"
    )


def test_empty_file_is_an_error(tmp_path):
    line = one_error_line(cli_build(tmp_path, raw_config("empty.csv")))
    assert line == f"data error: {BAD / 'empty.csv'}: file is empty (no header row)"


def test_missing_file_is_a_config_error_naming_the_key(tmp_path):
    line = one_error_line(cli_build(tmp_path, raw_config("nope.csv")))
    assert line.startswith("config error: ")
    assert "`sources.opportunities.path`: no file matches 'nope.csv'" in line


def test_unknown_mapping_key_is_a_config_error(tmp_path):
    raw = raw_config("bad_date.csv")
    raw["sources"]["opportunities"]["columns"] = {"owner": "owner_id"}
    with pytest.raises(ConfigError, match=r"`sources.opportunities.columns`: owner is not a column of table opportunities"):
        run_extract(tmp_path, "bad_date.csv", sources=raw["sources"])


@pytest.mark.parametrize("metric", ["pipeline_coverage", "activities_per_week", "quota"])
def test_a_target_mapping_with_no_value_is_a_config_error(tmp_path, metric):
    """Found by fuzzing config.yml: `targets.<metric>: {}` gave nobody a target and stopped the load with an
    internal error (StopIteration); it is a config error naming the key and what to write."""
    with pytest.raises(ConfigError, match=rf"`targets.{metric}`: Value error, a per-role mapping needs at least one "
                                          r"value, e\.g\. \{default: 3, Manager: 2\}, or give one number for every role"):
        parse_config({**raw_config("bad_date.csv"), "targets": {metric: {}}}, tmp_path / "config.yml")
    assert parse_config({**raw_config("bad_date.csv"), "targets": {metric: {"AE": 2}}},
                        tmp_path / "config.yml").targets.for_role(metric, "AE") == 2.0


@pytest.mark.parametrize("targets", [{"quota": "1e999"}, {"win_rate": float("nan")}, {"quota": {"AE": "-inf"}}])
def test_an_infinite_or_nan_setting_is_a_config_error(tmp_path, targets):
    """Found by fuzzing config.yml: `targets.quota: '1e999'` read as infinity and failed the build late with an
    internal error (OverflowError); no setting means infinity or NaN, so every number must be finite."""
    with pytest.raises(ConfigError, match=r"`targets\.\w+(\.\w+)?`: Input should be a finite number"):
        parse_config({**raw_config("bad_date.csv"), "targets": targets}, tmp_path / "config.yml")


def test_no_stages_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"`stages` is empty"):
        run_extract(tmp_path, "bad_date.csv", stages=[])


def test_too_many_rejected_rows_fail_with_the_most_common_reason(tmp_path):
    con, result = run_extract(tmp_path, "wrong_columns.csv", thresholds={"max_rejected_share": 0.05})
    cfg = parse_config(raw_config("wrong_columns.csv", thresholds={"max_rejected_share": 0.05}), tmp_path / "c.yml")
    with pytest.raises(QualityGateError) as err:
        check_quality_gate(result, cfg)
    assert str(err.value) == (
        f"{BAD / 'wrong_columns.csv'}: 2 of 5 rows (40.0%) of opportunities were rejected, above "
        "thresholds.max_rejected_share = 5% (most common: malformed CSV row: 10 fields where the header has 11: 1; "
        "malformed CSV row: 12 fields where the header has 11: 1)"
    )


# --- hostile text ----------------------------------------------------------------------------------------------


def test_hostile_text_is_loaded_as_text(tmp_path):
    con, result = run_extract(tmp_path, "hostile.csv")
    got = dict(con.execute("select opportunity_id, account from extract_opportunities").fetchall())
    assert got["o1"] == "Robert'); DROP TABLE extract_opportunities;--"
    assert got["o2"] == "<script>alert(1)</script>"
    assert got["o3"] == "\u202eevil\u202c"
    names = dict(con.execute("select opportunity_id, name from extract_opportunities").fetchall())
    assert names["o1"] == '=HYPERLINK("http://evil.example","click")'
    assert names["o2"] == "Bellandnul"  # control characters (BEL, NUL) are dropped from text
    assert names["o3"] == "A" * 10000
    assert con.execute("select next_step from extract_opportunities where opportunity_id = 'o2'").fetchall() == [
        ("{{ 7*7 }}",)
    ]
    # The negative amount on the last row is quarantined with its hostile neighbours intact.
    assert [r[1:] for r in quarantine(con)] == [(5, "amount", "-1", "negative amount", "rejected")]
    assert (result.tables["opportunities"].read, result.tables["opportunities"].loaded) == (4, 3)


def test_hostile_column_names_can_be_mapped(tmp_path):
    raw = raw_config("hostile.csv")
    raw["sources"]["opportunities"]["columns"] = {"next_step": 'Note"; drop table quarantine; --'}
    cfg = parse_config(raw, tmp_path / "config.yml")
    con = duckdb.connect()
    extract(cfg, con)
    assert con.execute("select list(next_step order by opportunity_id) from extract_opportunities").fetchall() == [
        (["x", "y", "z"],)
    ]


# --- file formats ----------------------------------------------------------------------------------------------


EXPECTED_FORMAT_ROWS = [
    ("o1", "Acme\r\nrenewal", "1234.50", "2026-02-23", "2026-02-23", None, None),
    ("o2", "Beta new", "1234.50", "2026-02-01", "2026-03-15", None, "2026-03-10"),
    ("o3", "Gamma pilot", "20000.00", "2026-02-01", "2026-06-15", "Call back", "2026-05-01"),
    ("o4", "Delta", None, "2026-03-01", "2026-06-30", None, None),
]


@pytest.mark.parametrize("name", ["crlf_bom.csv", "semicolon.csv", "tabs.tsv"])
def test_bom_crlf_delimiters_dates_and_currency(tmp_path, name):
    """UTF-8 BOM + CRLF, `;` and tab delimiters, 02/23/26 and 02/23/26 08:55 PM, $1,234.50 and 1.234,50 €,
    empty strings as null: the same four deals whichever way the file writes them."""
    con, result = run_extract(tmp_path, name, FORMATS)
    rows = con.execute(
        """select opportunity_id, name, cast(amount as varchar), cast(created_date as varchar),
                  cast(close_date as varchar), next_step, cast(last_activity_date as varchar)
           from extract_opportunities order by opportunity_id"""
    ).fetchall()
    assert rows == EXPECTED_FORMAT_ROWS
    assert quarantine(con) == []
    assert [r[0] for r in loaded_rows(con)] == [2, 3, 4, 5]
    # TRUE/FALSE booleans in the reps file.
    assert con.execute("select rep_id, active from extract_reps order by rep_id").fetchall() == [
        ("m1", True), ("r1", True), ("r2", False)
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("$1,234.50", "1234.50"), ("1.234,50 €", "1234.50"), ("1234,5", "1234.50"), ("USD 20,000", "20000.00"),
        ("20.000,00 EUR", "20000.00"), ("€ 99", "99.00"), ("1 234,50", "1234.50"), ("(50.00)", "-50.00"),
        ("-$50", "-50.00"), ("$-50", "-50.00"), ("12k", None), ("1,2,3", None), ("--5", None), ("$", None),
    ],
)
def test_currency_strings(text, expected):
    con = duckdb.connect()
    from pipelines.extract import _money

    assert con.execute(f"select cast({_money('v')} as varchar) from (select ?::varchar as v)", [text]).fetchall() == [
        (expected,)
    ]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("02/23/26", "2026-02-23"), ("02/23/26 08:55 PM", "2026-02-23"), ("2/3/24", "2024-02-03"),
        ("02/23/2026", "2026-02-23"), ("2026-02-23T20:55:00.000+0000", "2026-02-23"), ("2026-02-23", "2026-02-23"),
        ("23.02.2026", "2026-02-23"), ("2026-02-30", None), ("0001-01-01", None), ("9999-12-31", None), ("soon", None),
    ],
)
def test_date_strings(text, expected):
    con = duckdb.connect()
    from pipelines.extract import define_macros

    define_macros(con)
    assert con.execute("select cast(parse_date(?) as varchar)", [text]).fetchall() == [(expected,)]


# --- several files, JSON and Parquet ---------------------------------------------------------------------------


def test_glob_reads_every_file_and_numbers_rows_per_file(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    lines = (BAD / "bad_date.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "deals-1.csv").write_text("".join(lines[:3]), encoding="utf-8")  # o1, bad o3
    (folder / "deals-2.csv").write_text(lines[0] + "".join(lines[3:]), encoding="utf-8")  # o2, o4
    con, result = run_extract(tmp_path, "deals-*.csv", folder)
    # Files inside config.yml's folder are named relative to it.
    assert result.tables["opportunities"].files == ["x/deals-1.csv", "x/deals-2.csv"]
    assert con.execute("select _file, _row, opportunity_id from extract_opportunities order by all").fetchall() == [
        ("x/deals-1.csv", 2, "o1"), ("x/deals-2.csv", 2, "o2"), ("x/deals-2.csv", 3, "o4")
    ]
    assert [r[:2] for r in quarantine(con)] == [("x/deals-1.csv", 3)]


def test_duplicate_across_files_names_the_first_file(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    text = (BAD / "bad_date.csv").read_text(encoding="utf-8")
    (folder / "a.csv").write_text(text, encoding="utf-8")
    (folder / "b.csv").write_text(text.replace("2026-02-30", "2026-02-28"), encoding="utf-8")
    con, result = run_extract(tmp_path, "*.csv", folder)
    reasons = [r[4] for r in quarantine(con) if r[0] == "x/b.csv"]
    assert reasons == [f"duplicate opportunity_id (first at x/a.csv row {n})" for n in (2, 4, 5)]
    # o3 is rejected in a.csv (bad date), so b.csv's valid o3 is the one loaded.
    assert con.execute("select _file from extract_opportunities where opportunity_id = 'o3'").fetchall() == [
        ("x/b.csv",)
    ]
    assert result.tables["opportunities"].loaded + result.tables["opportunities"].rejected == 8


def test_json_and_parquet_inputs(tmp_path):
    with open(BAD / "bad_date.csv", newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "deals.json").write_text(json.dumps(records), encoding="utf-8")
    con, result = run_extract(tmp_path, "deals.json", folder)
    assert [r[1:3] + r[4:] for r in quarantine(con)] == [(2, "created_date", "unparseable date in created_date", "rejected")]
    assert loaded_rows(con) == [(1, "o1"), (3, "o2"), (4, "o4")]
    con.execute(
        f"copy (select * from read_csv({str(BAD / 'bad_date.csv')!r}, all_varchar = true)) "
        f"to {str(folder / 'deals.parquet')!r} (format parquet)"
    )
    con, result = run_extract(tmp_path, "deals.parquet", folder)
    assert [r[1:3] for r in quarantine(con)] == [(2, "created_date")]
    assert loaded_rows(con) == [(1, "o1"), (3, "o2"), (4, "o4")]


def test_broken_json_is_an_error(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "deals.json").write_text('[{"opportunity_id": "o1",', encoding="utf-8")
    with pytest.raises(DataError, match=r"deals.json: cannot read as JSON"):
        run_extract(tmp_path, "deals.json", folder)


# --- row accounting --------------------------------------------------------------------------------------------


def records_in(path: Path) -> int:
    """Data records as Python's csv module reads them (blank lines are not records)."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t", "|"), key=first.count)
    rows = [r for r in csv.reader(text.splitlines(keepends=True), delimiter=delim) if r]
    return len(rows) - 1


ACCOUNTED = sorted(
    [p for p in BAD.glob("*.csv") if p.name not in
     {"missing_column.csv", "mixed_line_endings.csv", "empty.csv", "reps.csv"}]
    + list(FORMATS.glob("*.*"))
)


@pytest.mark.parametrize("path", ACCOUNTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_row_is_loaded_or_quarantined(tmp_path, path):
    con, result = run_extract(tmp_path, path.name, path.parent)
    report = result.tables["opportunities"]
    assert report.read == records_in(path)
    assert report.loaded + report.rejected == records_in(path)
    rejected = con.execute(
        "select count(distinct (file, \"row\")) from quarantine where \"table\" = 'opportunities' and action = 'rejected'"
    ).fetchall()[0][0]
    assert rejected == report.rejected
    # No loaded row shares its (file, row) with a rejected one.
    assert con.execute(
        """select count(*) from extract_opportunities e join quarantine q
           on q.file = e._file and q."row" = e._row and q.action = 'rejected'"""
    ).fetchall() == [(0,)]


@pytest.mark.parametrize("keys, increasing", [
    (["o1", "o2", "o3"], True), ([None, "o1", None, "o2"], True), (["o1", "o1", "o2"], False),
    (["o2", "o1"], False),  # no repeat, but not in order: the hash count settles it
    (["o9", "o10"], False),  # "o10" < "o9" as text
])
def test_keys_that_each_exceed_the_last_need_no_duplicate_search(keys, increasing):
    """The one-pass check finds no repeat only where there is none; anything else goes on to the hash count."""
    from pipelines.extract.quality import _increasing

    con = duckdb.connect()
    con.execute("create table t as select unnest(?::varchar[]) as k", [keys])
    assert _increasing(con, "k", "t", "k is not null") is increasing
    if increasing:
        assert len(set(keys) - {None}) == len([k for k in keys if k is not None])
    assert _increasing(con, None, "t", "k is not null") is False
