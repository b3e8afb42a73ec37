"""The rep, coaching, team and Monday pages' Markdown, written a chunk of pages to a file (a pack).

A 5,000-rep org has 12,500 such pages. As a file each, in a folder each (their URLs are
`reps/<slug>/`, `reps/<slug>/coaching/`...), they cost the file system more than writing them: on
the 2-core machine the bench runs on, whose ext4 walks past every recently freed inode to make a
new one, the pages stage took 28.0, 32.4 and 31.9 CPU s writing them as files, and 27.0, 28.5
and 26.8 writing a file per chunk of pages (alternated runs on the same marts).

The pages keep their docs paths (`reps/<slug>/index.md`...): only where their bytes are changes.
A pack lives in the docs folder's `.pages/` (MkDocs leaves out names that start with a dot), with
an index of every packed page: its docs path, pack, offset and length. The site stage gives MkDocs
each packed page as a file of the docs folder that it reads from its pack (`pipelines.site`);
`unpack` writes them out as ordinary files, for a plain `mkdocs build` and for tests.

A packed page keeps its Markdown and its blocks (`pipelines.blocks`) apart: one line of their byte
lengths, then the Markdown, then each block as UTF-8. As a file, a page carries its blocks as JSON in a
closing comment, which cost the pages stage about 1 CPU s to write and the site stage about 1 to read
again at 5,000 reps; `read` gives a packed page as that file, `read_raw` and `parts` the parts the site
stage needs, with no JSON at all.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from pipelines import blocks as page_blocks

FOLDER = ".pages"
INDEX = "index.tsv"

Entry = tuple[str, str, int, int]  # docs path, pack file name, offset, length


class Writer:
    """One chunk's pages appended to one pack of their own; `entries` says where each is."""

    def __init__(self, docs: Path):
        folder = docs / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(suffix=".pack", dir=folder)
        self._file = os.fdopen(fd, "wb")
        self.name = os.path.basename(path)
        self.entries: list[Entry] = []
        self._offset = 0

    def add(self, rel: str, markdown: str, blocks: list[str] | tuple[str, ...] = ()) -> None:
        """One page: its Markdown and its blocks, kept apart (see the module docstring)."""
        parts = [markdown.encode("utf-8")] + [_block_bytes(b) for b in blocks]
        data = b"".join([" ".join(str(len(p)) for p in parts).encode("ascii"), b"\n", *parts])
        self._file.write(data)
        self.entries.append((rel, self.name, self._offset, len(data)))
        self._offset += len(data)

    def close(self) -> None:
        self._file.close()


def write_index(docs: Path, entries: list[Entry]) -> None:
    """The index of every packed page of `docs`, in place of any earlier one (even with none packed: no page of
    an earlier render may stay). Docs paths are made of slugs, so they hold no tab or newline."""
    (docs / FOLDER).mkdir(parents=True, exist_ok=True)
    lines = [f"{rel}\t{pack}\t{offset}\t{length}\n" for rel, pack, offset, length in sorted(entries)]
    (docs / FOLDER / INDEX).write_text("".join(lines), encoding="utf-8")


def read_index(docs: Path) -> dict[str, Entry]:
    """Docs path -> where its page is, for every packed page of `docs` (none: empty)."""
    try:
        text = (docs / FOLDER / INDEX).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    found: dict[str, Entry] = {}
    for line in text.splitlines():
        rel, pack, offset, length = line.split("\t")
        found[rel] = (rel, pack, int(offset), int(length))
    return found


_OPEN: dict[str, int] = {}  # pack path -> descriptor, per process; read with pread, so forked workers may share them


def _block_bytes(block: str) -> bytes:
    """A block as UTF-8. Text holding surrogates (never DuckDB's, which is UTF-8) comes back as the JSON of a
    file's blocks comment gives it back: a high and a low surrogate side by side as the one character they
    encode, a lone one as it is."""
    try:
        return block.encode("utf-8")
    except UnicodeEncodeError:
        joined = block.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return joined.encode("utf-8", "surrogatepass")


def read(docs: Path, entry: Entry) -> bytes:
    """One packed page as a file of its own holds it: its blocks as JSON in a closing comment."""
    markdown, found = parts(read_raw(docs, entry))
    blocks = [p.decode("utf-8", "surrogatepass") for p in found]
    return page_blocks.attach(markdown.decode("utf-8"), blocks).encode("utf-8")


def parts(data: bytes) -> tuple[bytes, list[bytes]]:
    """A packed page's bytes (`read_raw`) split into its Markdown and each of its blocks, as UTF-8 bytes."""
    head = data.find(b"\n")
    lengths = data[:head].split()
    if head < 0 or not lengths or not all(n.isdigit() for n in lengths):
        raise OSError("a packed page does not start with the lengths of its parts")
    found, at = [], head + 1
    for n in map(int, lengths):
        found.append(data[at:at + n])
        at += n
    if at != len(data):
        raise OSError("a packed page's parts do not add up to its length")
    return found[0], found[1:]


def read_raw(docs: Path, entry: Entry) -> bytes:
    """One packed page's bytes as its pack stores them (what tells whether the page changed)."""
    _, pack, offset, length = entry
    path = str(docs / FOLDER / pack)
    fd = _OPEN.get(path)
    if fd is None:
        fd = _OPEN[path] = os.open(path, os.O_RDONLY)  # not inherited by a program started later (PEP 446)
    data = os.pread(fd, length, offset)
    if len(data) != length:
        raise OSError(f"{path}: a page ends past the end of its pack")
    return data


def close_all() -> None:
    """Close every pack this process opened (before the docs folder goes)."""
    while _OPEN:
        os.close(_OPEN.popitem()[1])


def unpack(docs: Path) -> None:
    """Write every packed page of `docs` out as its own file, and remove the packs."""
    for rel, entry in read_index(docs).items():
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(read(docs, entry))
    close_all()
    shutil.rmtree(docs / FOLDER, ignore_errors=True)


def files(docs: Path) -> dict[str, bytes]:
    """Every file of `docs` as MkDocs is given it: its own files and the packed pages, by docs path."""
    found = {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*"))
             if p.is_file() and FOLDER not in p.relative_to(docs).parts}
    found.update({rel: read(docs, entry) for rel, entry in read_index(docs).items()})
    close_all()
    return dict(sorted(found.items()))
