"""Random malformed deals extracts: extract either raises a ScorecardError (one line for the user) or accounts
for every record it read: loaded + rejected == read, and each rejected record has its quarantine entry."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelines.errors import ScorecardError
from pipelines.extract import extract
from pipelines.schema import TABLES
from pipelines.settings import parse_config

COLUMNS = TABLES["opportunities"].column_names
STAGES = [{"name": "Open", "kind": "open"}, {"name": "Won", "kind": "won"}, {"name": "Lost", "kind": "lost"}]

tricky = st.sampled_from(['"', '""', '"x', 'a"b', ",", ";", "\t", "\n", "\r\n", "\r", "\x00", "a\x07b", "\x1f", "\ufeff",
                          " ", "é", "=1+1", "Won ", "\u00a0o1", "a b", "\u3000"])
dates = st.sampled_from(["2026-02-23", "02/23/26", "02/23/26 08:55 PM", "2026-02-30", "0001-01-01", "13/45/99",
                         "2026-02-23T20:55:00.000+0000", "23.02.2026", "", "yesterday"])
amounts = st.sampled_from(["100", "$1,234.50", "1.234,50 €", "-5", "(5)", "12k", "", "1e400", "NaN", "99999999999999999999"])
ids = st.sampled_from(["o1", "o2", "o3", "", " o1 ", "r1"])
stages = st.sampled_from(["Open", "Won", "Lost", "Unknown", "", "won"])
field = st.one_of(ids, stages, dates, amounts, tricky, st.text(max_size=8))


@st.composite
def extracts(draw) -> bytes:
    header = draw(st.one_of(
        st.just(COLUMNS),
        st.permutations(COLUMNS),
        st.lists(st.sampled_from(COLUMNS + ["extra", "", "rowid"]), min_size=1, max_size=14),
    ))
    width = len(header)
    rows = draw(st.lists(
        st.one_of(
            st.lists(field, min_size=width, max_size=width),  # the right width
            st.lists(field, min_size=0, max_size=width + 3),  # any width
        ),
        max_size=12,
    ))
    delim = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    if draw(st.booleans()):  # written by a CSV library: quoting balanced
        buf = io.StringIO()
        csv.writer(buf, delimiter=delim, lineterminator=newline).writerows([header, *rows])
        text = buf.getvalue()
    else:  # written by hand: quotes, delimiters and line breaks in values break the structure
        text = "".join(delim.join(r) + newline for r in [header, *rows])
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + data
    if draw(st.integers(0, 4)) == 0:  # a few random bytes somewhere (often not UTF-8)
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos:]
    return data


# Found by this test in a clean-clone run: a UTF-16 byte order mark before text that ends in half a UTF-16 unit.
UTF16_BOM_ODD = (b"\xfe\xffopportunity_id,owner_id,account,name,stage,amount,created_date,close_date,forecast_category,"
                 b"next_step,last_activity_date,is_closed,is_won,stage_sort_order,probability,currency\n"
                 + b"o1," * 15 + b"o1\n\n")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=extracts(), with_reps=st.booleans())
@example(data=UTF16_BOM_ODD, with_reps=False)
def test_extract_accounts_for_every_record_or_says_why_not(data, with_reps):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "deals.csv").write_bytes(data)
        sources = {"opportunities": {"path": "deals.csv"}}
        if with_reps:
            (folder / "reps.csv").write_text("rep_id,name\nr1,Ann\n", encoding="utf-8")
            sources["reps"] = {"path": "reps.csv"}
        cfg = parse_config({"sources": sources, "stages": STAGES}, folder / "config.yml")
        con = duckdb.connect()
        try:
            result = extract(cfg, con)
        except ScorecardError as e:
            assert str(e).strip() and "\n" not in e.message.strip("\n")  # one line for the user
            return
        report = result.tables["opportunities"]
        assert report.loaded + report.rejected == report.read
        assert report.loaded == con.execute("select count(*) from extract_opportunities").fetchall()[0][0]
        rejected = con.execute(
            """select count(distinct (file, "row")) from quarantine
               where "table" = 'opportunities' and action = 'rejected'"""
        ).fetchall()[0][0]
        assert rejected == report.rejected
        overlap = con.execute(
            """select count(*) from extract_opportunities e join quarantine q
               on q.file = e._file and q."row" = e._row and q.action = 'rejected'"""
        ).fetchall()[0][0]
        assert overlap == 0
        numbers = [r[0] for r in con.execute("select _row from extract_opportunities").fetchall()]
        assert len(numbers) == len(set(numbers)) and all(n >= 2 for n in numbers)


def _extracted(folder: Path) -> tuple[list, list] | str:
    cfg = parse_config({"sources": {"opportunities": {"path": "deals.csv"}}, "stages": STAGES}, folder / "config.yml")
    con = duckdb.connect()
    try:
        extract(cfg, con)
    except ScorecardError as e:
        return e.message
    return (con.execute("select * from extract_opportunities order by _file, _row").fetchall(),
            con.execute("select * from quarantine order by all").fetchall())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=extracts())
def test_a_file_without_control_characters_or_padding_reads_as_when_every_value_is_checked(data):
    """Text of a file with no control byte is not checked value by value for one, nor trimmed when no value can
    start or end with a space (`parsers._raw_value`): same rows, same quarantine as when every value is."""
    from unittest import mock

    from pipelines.extract import files

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "deals.csv").write_bytes(data)
        fast = _extracted(folder)
        scanned = files._scan_text
        with mock.patch.object(files, "_scan_text", lambda path, delim: (scanned(path, delim)[0], files.Text())):
            assert _extracted(folder) == fast


def test_every_space_trim_removes_marks_a_file_padded():
    """`files.UNICODE_SPACES` lists every character DuckDB's trim removes besides the ASCII space."""
    from pipelines.extract import files

    trimmed = duckdb.connect().execute(
        "select cp from range(0, 1114112) t(cp) where (cp < 55296 or cp > 57343) "
        "and length(trim(chr(cast(cp as integer)) || 'x')) = 1"
    ).fetchall()
    assert trimmed and [32] == [cp for (cp,) in trimmed if cp < 128]
    marks = files._marks(b",")
    for (cp,) in trimmed:
        data = f"a,x{chr(cp)},b\n".encode()
        assert files._padded(data, data.translate(marks)), hex(cp)
    data = "a,b c,\u00e9,\u2019x\n".encode()
    assert not files._padded(data, data.translate(marks))


@pytest.mark.parametrize("text,padded", [
    ("id,name\n1,Ann\n", False),
    ("id,name\n1,Ann Lee\n", False),
    ("id,name\n1, Ann\n", True),
    ("id,name\n1,Ann \n", True),
    ("id,name\r\n1,Ann \r\n", True),
    ('id,name\n1," Ann"\n', True),
    ("id,name\n1,Ann ", True),
    (" id,name\n1,Ann\n", True),
    ("\ufeffid,name\n1,Ann\n", False),
    ("id;name\n1;Ann ;x\n", True),
    ("id,name\n1,Ann\u00a0Lee\n", True),
])
def test_a_scan_finds_a_value_that_starts_or_ends_with_a_space(tmp_path, text, padded):
    from pipelines.extract import files

    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    lines, found = files._scan_text(path, ";" if ";" in text else ",")
    assert found.padded == padded
    assert lines == text.count("\n") + (not text.endswith("\n"))


def test_a_space_across_two_chunks_is_found(tmp_path, monkeypatch):
    from pipelines.extract import files

    monkeypatch.setattr(files, "CHUNK", 4)
    for text in ("id,n\na,b c", "id,n\nab ,c", "id,n\nab,\u3000c", "id,n\na,\u00a0"):
        path = tmp_path / "x.csv"
        path.write_bytes(text.encode("utf-8"))
        assert files._scan_text(path, ",")[1].padded == ("b c" not in text), text


def test_a_delimiter_that_is_a_control_character_leaves_every_value_checked(tmp_path):
    from pipelines.extract import files

    path = tmp_path / "x.csv"
    path.write_bytes(b"id\x1fname\n1\x1fAnn\n2\x1fBo")
    assert files._scan_text(path, "\x1f") == (3, files.Text())


@pytest.mark.parametrize("date_format", [None, "%d/%m/%Y"])
def test_a_date_parsed_in_a_select_of_its_own_types_as_when_parsed_in_place(date_format):
    """`mapping._typed_select` parses dates in a select of their own (`parsers._parsed`): the same values."""
    from pipelines.extract.parsers import DATE_FORMATS, _parsed, _typed
    from pipelines.schema import Column
    from pipelines.settings import Source

    texts = ["2026-02-23", "02/23/26", "23.02.2026", "2026-02-23T20:55:00.000+0000", "0001-01-01", "9999-12-31",
             "1899-12-31", "1900-01-01", "2199-12-31 23:59", "06/12/2026", "2026-02-30", "", "x", None]
    source = Source(path="x.csv", date_format=date_format)
    con = duckdb.connect()
    con.execute("create table t (raw varchar)")
    con.executemany("insert into t values (?)", [[t] for t in texts + [f.replace("%", "") for f in DATE_FORMATS]])
    for kind in ("date", "timestamp"):
        col = Column("d", kind, "")
        parsed = _parsed(col, "raw", source)
        in_place = con.execute(f"select {_typed(col, 'raw', source)} from t").fetchall()
        named = con.execute(f"select {_typed(col, 'raw', source, 'p')} from (select raw, {parsed} as p from t)").fetchall()
        assert named == in_place and any(v != (None,) for v in named)
