"""CSV exports load in the encoding they come in: UTF-8 (with or without BOM), UTF-16 and Windows-1252.

Every fixture in tests/fixtures/encodings holds the same three deals; row 3 (deal o2) carries
`Müller GmbH`, `“Pilot” – phase 2 € — Peña’s` and the stage `Negociación`. Whatever the bytes, the
loaded text must be exactly those characters, on the same row numbers, and the build must say which
encoding it used when it was not UTF-8.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import yaml
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.errors import DataError
from pipelines.extract import encoding, extract
from pipelines.settings import parse_config
from tests.conftest import FIXTURES

ENC = FIXTURES / "encodings"
STAGES = [
    {"name": "Negociación", "kind": "open", "probability": 0.6},
    {"name": "Closed Won", "kind": "won"},
    {"name": "Closed Lost", "kind": "lost"},
]
O2 = ("Müller GmbH", "“Pilot” – phase 2 € — Peña’s", "Negociación")


def raw(file: str, **source) -> dict:
    return {"as_of": "2026-05-15", "extracts_dir": str(ENC), "stages": STAGES,
            "sources": {"opportunities": {"path": file, **source}}}


def run(tmp_path, file: str, **source):
    cfg = parse_config(raw(file, **source), tmp_path / "config.yml")
    con = duckdb.connect()
    return con, extract(cfg, con)


NOTES = {
    "utf8_bom.csv": [],
    "windows1252.csv": [f"{ENC / 'windows1252.csv'}: read as Windows-1252: it is not UTF-8 (byte 0xfc on row 3 is not "
                        "valid UTF-8); set `sources.opportunities.encoding` if it is in another encoding"],
    "utf16le_bom.csv": [f"{ENC / 'utf16le_bom.csv'}: read as UTF-16 LE (its byte order mark says so)"],
    "utf16be_bom.csv": [f"{ENC / 'utf16be_bom.csv'}: read as UTF-16 BE (its byte order mark says so)"],
    "utf16le_nobom.csv": [f"{ENC / 'utf16le_nobom.csv'}: read as UTF-16 LE (no byte order mark; NUL bytes say so)"],
}


@pytest.mark.parametrize("file", sorted(NOTES))
def test_each_encoding_loads_the_same_text_on_the_same_rows(tmp_path, file):
    con, result = run(tmp_path, file)
    got = con.execute("select _row, opportunity_id, account, name, stage from extract_opportunities order by _row").fetchall()
    assert got == [(2, "o1", "Acme", "Acme renewal", "Closed Won"), (3, "o2", *O2), (4, "o3", "Beta", "Beta new", "Closed Lost")]
    assert result.tables["opportunities"].notes == NOTES[file]
    assert con.execute("select count(*) from quarantine").fetchall() == [(0,)]


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_chunk_boundaries_never_split_a_character(tmp_path, monkeypatch, chunk):
    """UTF-16 pairs and multi-byte UTF-8 cut across the stream's chunks still decode (and detect) exactly."""
    monkeypatch.setattr(encoding, "CHUNK", chunk)
    for file in ("windows1252.csv", "utf16be_bom.csv", "utf8_bom.csv"):
        con, _ = run(tmp_path, file)
        assert con.execute("select account, name, stage from extract_opportunities where opportunity_id = 'o2'").fetchall() == [O2]


def test_an_undefined_byte_is_one_error_naming_row_and_column(tmp_path):
    """0x81 is invalid UTF-8 and undefined in Windows-1252: the file's encoding is unknown (row 3, column name)."""
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(raw("unknown.csv"), allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"data error: {ENC / 'unknown.csv'}: unknown encoding: byte 0x81 on row 3, column name is neither UTF-8 nor "
        "Windows-1252; re-export the file as UTF-8, or set `sources.opportunities.encoding` to the file's encoding "
        "(utf-8, utf-16, windows-1252 or latin-1)"
    ]


def test_the_encoding_can_be_forced(tmp_path):
    con, result = run(tmp_path, "latin1.csv", encoding="latin-1")
    assert con.execute("select account, name from extract_opportunities where opportunity_id = 'o2'").fetchall() == [
        ("Müller GmbH", "Peña")
    ]
    assert result.tables["opportunities"].notes == [f"{ENC / 'latin1.csv'}: read as Latin-1 (ISO-8859-1) (set by `sources.opportunities.encoding`)"]


@pytest.mark.parametrize("file", ["utf16le_nobom.csv", "utf16le_bom.csv", "utf16be_bom.csv"])
def test_utf16_set_in_config_reads_a_file_with_or_without_a_byte_order_mark(tmp_path, file):
    """`encoding: utf-16` was an internal error on a file without a byte order mark (Python's UTF-16 decoder needs
    one): the order is taken from the mark, else from the NUL bytes, as detection does."""
    con, result = run(tmp_path, file, encoding="utf-16")
    assert con.execute("select account, name, stage from extract_opportunities where opportunity_id = 'o2'").fetchall() == [O2]
    how = ("UTF-16 LE (`sources.opportunities.encoding` is utf-16, and the file has no byte order mark)"
           if file == "utf16le_nobom.csv" else "UTF-16 (set by `sources.opportunities.encoding`)")
    assert result.tables["opportunities"].notes == [f"{ENC / file}: read as {how}"]


def test_forcing_utf8_on_another_encoding_says_what_to_set(tmp_path):
    with pytest.raises(DataError, match=r"first invalid byte on row 3\); re-export it as UTF-8 .*, or set "
                                        r"`sources.opportunities.encoding` \(or remove it to detect\)"):
        run(tmp_path, "windows1252.csv", encoding="utf-8")


def test_accented_stage_names_reach_the_csv_downloads(tmp_path):
    """A Windows-1252 export builds, and the downloads carry `Negociación` exactly (UTF-8)."""
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(raw("windows1252.csv"), allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "site"),
                                       "--warehouse", str(tmp_path / "wh")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "site" / "data" / "rep_pipeline_by_stage.csv", encoding="utf-8", newline="") as fh:
        stages = [r["stage"] for r in csv.DictReader(fh)]
    assert stages == ["Negociación"]
    assert "read as Windows-1252" in result.output


@pytest.mark.parametrize("data", [b"id,name\n1,abc\n", "id,name\n1,Peña\n".encode(), b"id,name\n1,Pe\xf1a\n",
                                  "é".encode() + b"abc\xe9", b"abcdef\xc3", "ab€".encode()[:-1] + b"cdefgh"])
def test_first_invalid_byte_is_found_alike_in_any_chunks(monkeypatch, data):
    """ASCII chunks are skipped without decoding; the first invalid byte is the one decoding it all at once finds."""
    try:
        data.decode("utf-8")
        expected = None
    except UnicodeDecodeError as e:
        expected = (e.start, data[e.start])
    for chunk in (1, 2, 3, 5, 64):
        monkeypatch.setattr(encoding, "CHUNK", chunk)
        assert encoding._first_invalid_utf8(lambda: io.BytesIO(data)) == expected, chunk


UTF16_BAD = {
    # A byte order mark, then "id,name\n1,Ann\n" and one byte more: half a UTF-16 unit at the very end, the file's
    # last byte (0x0a), after the two lines: row 3, its first column.
    "utf-16-be": ("\ufeffid,name\n1,Ann\n".encode("utf-16-be") + b"\n", "byte 0x0a on row 3, column id"),
    # A low surrogate with no high one before it (bytes 00 dc in little-endian order) after "1,A" on row 2: it is
    # in the second column; its first byte is 0x00.
    "utf-16-le": ("id,name\n1,A".encode("utf-16-le") + b"\x00\xdc" + "nn\n".encode("utf-16-le"),
                  "byte 0x00 on row 2, column name"),
}


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 20])
@pytest.mark.parametrize("enc", sorted(UTF16_BAD))
def test_a_byte_utf16_does_not_define_is_one_error_naming_its_row_and_column(tmp_path, monkeypatch, chunk, enc):
    """Found by the extract's property test: a file that ended in half a UTF-16 unit raised an IndexError (the
    error's position was counted past the end of the file) instead of naming the byte. The position is the same
    whatever chunks the file is read in."""
    monkeypatch.setattr(encoding, "CHUNK", chunk)
    data, where = UTF16_BAD[enc]
    choice = encoding.Choice(enc, "deals.csv: read as UTF-16 (its byte order mark says so)")
    with pytest.raises(DataError) as raised:
        encoding.transcode(lambda: io.BytesIO(data), choice, tmp_path / "utf8.csv", "deals.csv", "sources.opportunities")
    label = encoding.LABELS[enc]
    assert str(raised.value) == (
        f"deals.csv: unknown encoding: {where} is not valid {label}, which the start of the file says it is in; "
        "re-export the file as UTF-8, or set `sources.opportunities.encoding` to the file's encoding (utf-8, utf-16, "
        "windows-1252 or latin-1)")


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from([b"", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"id,name\n"]),
       body=st.lists(st.sampled_from([0x00, 0x0a, 0x0d, 0x2c, 0x41, 0x81, 0xbb, 0xbf, 0xd8, 0xdc, 0xe9, 0xef]),
                     max_size=40).map(bytes),
       setting=st.sampled_from(["auto", *encoding.CODECS]), chunk=st.sampled_from([1, 2, 3, 5, 1 << 16]))
def test_any_bytes_in_any_encoding_setting_read_or_are_one_data_error(tmp_path_factory, prefix, body, setting, chunk):
    """Choosing and transcoding never fail but with a one-line DataError, whatever the bytes, the setting and the
    chunks (random bytes found a UTF-16 file ending in half a unit, and `utf-16` without a byte order mark, to be
    internal errors); read in small chunks or at once, the copy, or the error, is the same."""
    data = prefix + body
    target = tmp_path_factory.mktemp("t") / "utf8.csv"

    def outcome(size: int) -> tuple:
        original = encoding.CHUNK
        encoding.CHUNK = size
        try:
            choice = encoding.choose(lambda: io.BytesIO(data), setting, "f.csv", "sources.x")
            if choice.needs_copy:
                encoding.transcode(lambda: io.BytesIO(data), choice, target, "f.csv", "sources.x")
            return choice, target.read_bytes() if choice.needs_copy else data
        except DataError as e:
            assert str(e) and "\n" not in str(e)
            return ("error", str(e))
        finally:
            encoding.CHUNK = original

    assert outcome(chunk) == outcome(1 << 16)
