"""Which text encoding a CSV file is in, and a UTF-8 copy of it when DuckDB cannot read it as it is.

CRM exports arrive as UTF-8 (with or without a byte order mark), UTF-16 (Excel's "Unicode text",
some Windows tools) or Windows-1252 (Salesforce's weekly Data Export is often set up that way).
Offline, DuckDB reads UTF-8, UTF-16 and Latin-1, and its Latin-1 mode refuses the bytes 0x80-0x9F
that Windows-1252 uses for € ’ “ ” – —. So everything that is not UTF-8 is decoded here, by a
chunked byte stream that never holds the whole file, into a UTF-8 scratch file that DuckDB then
reads; line breaks are copied as they are, so every row keeps its number.

Detection is explicit, not a statistical guess: a byte order mark says UTF-8 or UTF-16; NUL bytes
in alternate positions say UTF-16 without one; a file that decodes as UTF-8 is UTF-8; anything
else is Windows-1252, checked byte by byte (the five bytes Windows-1252 leaves undefined make the
file's encoding unknown, and that is an error naming the row and column). A Windows-1252 file is
never decoded as Latin-1: the two differ exactly on the bytes that matter.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from pipelines.errors import DataError

CHUNK = 16 << 20
# How `Source.encoding` values read in Python; auto is detected per file.
CODECS = {
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
}
LABELS = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "windows-1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}


@dataclass
class Choice:
    """The encoding a file is read in, and the note the build prints about it (None for plain UTF-8)."""

    encoding: str  # a key of CODECS
    note: str | None = None
    forced: bool = False

    @property
    def needs_copy(self) -> bool:
        return self.encoding != "utf-8"


def choose(opener: Callable[[], BinaryIO], forced: str, display: str, key: str) -> Choice:
    """The encoding to read the file in: the one `{key}.encoding` forces, else the one detected."""
    with opener() as fh:
        head = fh.read(1 << 16)
    if forced != "auto":
        if forced == "utf-8":
            return Choice("utf-8")
        if forced == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            # Python's UTF-16 decoder needs a byte order mark: without one, the NUL bytes say the order, as in
            # detection, and little-endian (what Windows writes) when they do not.
            order = "utf-16-be" if head[0::2].count(0) > head[1::2].count(0) else "utf-16-le"
            return Choice(order, f"{display}: read as {LABELS[order]} (`{key}.encoding` is utf-16, and the file has "
                                 "no byte order mark)", forced=True)
        return Choice(forced, f"{display}: read as {LABELS[forced]} (set by `{key}.encoding`)", forced=True)
    if head.startswith(b"\xef\xbb\xbf"):
        return Choice("utf-8")
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return Choice(enc, f"{display}: read as {LABELS[enc]} (its byte order mark says so)")
    nul_even, nul_odd = head[0::2].count(0), head[1::2].count(0)
    quarter = len(head) // 4  # ASCII text in UTF-16 has a NUL in every other byte; a stray NUL is just text
    if nul_odd > quarter and nul_even < nul_odd // 8:
        return Choice("utf-16-le", f"{display}: read as UTF-16 LE (no byte order mark; NUL bytes say so)")
    if nul_even > quarter and nul_odd < nul_even // 8:
        return Choice("utf-16-be", f"{display}: read as UTF-16 BE (no byte order mark; NUL bytes say so)")
    bad = _first_invalid_utf8(opener)
    if bad is None:
        return Choice("utf-8")
    offset, byte = bad
    row = _row_of(opener, offset)
    return Choice(
        "windows-1252",
        f"{display}: read as Windows-1252: it is not UTF-8 (byte 0x{byte:02x} on row {row} is not valid UTF-8); "
        f"set `{key}.encoding` if it is in another encoding",
    )


def _first_invalid_utf8(opener: Callable[[], BinaryIO]) -> tuple[int, int] | None:
    """(byte offset, byte) of the first byte that is not valid UTF-8, or None when the whole file is."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with opener() as fh:
        while True:
            chunk = fh.read(CHUNK)
            final = not chunk
            if chunk and chunk.isascii() and not decoder.getstate()[0]:  # ASCII is UTF-8: checking it costs less
                done += len(chunk)
                continue
            try:
                decoder.decode(chunk, final)
            except UnicodeDecodeError as e:
                # The decoder prepends the bytes it held back from the previous chunk.
                pending = len(decoder.getstate()[0])
                return done - pending + e.start, e.object[e.start]
            done += len(chunk)
            if final:
                return None


def _row_of(opener: Callable[[], BinaryIO], offset: int) -> int:
    """The line (1 = the header) holding the byte at `offset`."""
    lines, done = 1, 0
    with opener() as fh:
        while done < offset:
            chunk = fh.read(min(CHUNK, offset - done))
            if not chunk:
                break
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def transcode(opener: Callable[[], BinaryIO], choice: Choice, target: Path, display: str, key: str) -> None:
    """Write the file to `target` as UTF-8, chunk by chunk; a byte the encoding does not define is an error."""
    codec = CODECS[choice.encoding]
    decoder = codecs.getincrementaldecoder(codec)()
    done = 0
    with opener() as src, open(target, "wb") as out:
        while True:
            chunk = src.read(CHUNK)
            pending = len(decoder.getstate()[0])  # bytes of the last chunk the decoder holds back (half a UTF-16 unit)
            try:
                text = decoder.decode(chunk, not chunk)
            except UnicodeDecodeError as e:
                # The error's position counts from the held-back bytes, which `done` counts already.
                _undecodable(opener, done - pending + max(e.start, 0), choice, display, key)
            out.write(text.encode("utf-8"))
            done += len(chunk)
            if not chunk:
                return


def _undecodable(opener: Callable[[], BinaryIO], offset: int, choice: Choice, display: str, key: str) -> None:
    """Raise the error for a byte the encoding does not define, naming its row and column."""
    with opener() as fh:
        data = fh.read(offset + 1)
    if CODECS[choice.encoding].startswith("utf-16"):  # its lines are two bytes a character: read them as text
        before = data[:offset].decode(CODECS[choice.encoding], "replace").lstrip("\ufeff")
        start = before.rfind("\n") + 1
        row, header, line_before = before.count("\n", 0, start) + 1, before.split("\n", 1)[0], before[start:]
    else:
        start = data.rfind(b"\n", 0, offset) + 1
        row = data.count(b"\n", 0, start) + 1
        header, line_before = data.split(b"\n", 1)[0].decode("latin-1"), data[start:offset].decode("latin-1")
    column = _column_at(header.strip("\r\ufeff"), line_before)
    where = f"row {row}" + (f", column {column}" if column else "")
    if choice.forced:
        what = f"is not valid {LABELS[choice.encoding]}"
    elif choice.encoding == "windows-1252":
        what = "is neither UTF-8 nor Windows-1252"
    else:  # UTF-16, as a byte order mark or NUL bytes said
        what = f"is not valid {LABELS[choice.encoding]}, which the start of the file says it is in"
    raise DataError(
        f"unknown encoding: byte 0x{data[offset]:02x} on {where} {what}; re-export the file as UTF-8, "
        f"or set `{key}.encoding` to the file's encoding (utf-8, utf-16, windows-1252 or latin-1)",
        display,
    )


def _column_at(header: str, line_before: str) -> str | None:
    """The header name of the field that the text `line_before` ends in (delimiter guessed from the header)."""
    delim = max((",", ";", "\t", "|"), key=header.count)
    try:
        names = next(csv.reader(io.StringIO(header, newline=""), delimiter=delim), [])
    except csv.Error:
        return None
    field, quoted = 0, False
    for ch in line_before:  # delimiters outside quotes end a field
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            field += 1
    return names[field].strip() if field < len(names) else None
