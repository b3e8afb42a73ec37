"""Rep, coaching, team and Monday pages are written a chunk to a file (`pipelines.page_packs`), and read from it.

Nothing about a page may change for it: the site from packed pages must be byte for byte the site from the
same pages as files of their own, whether MkDocs is driven page by page (`pipelines.site`) or runs a plain
`mkdocs build` (another plugin configured: the packs are written out as files first).
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from pipelines import page_packs, pages, site
from pipelines.catalog import load_catalog
from pipelines.settings import load_config
from tests.helpers import FIXTURES, models_on

TINY = FIXTURES / "tiny" / "config.yml"


def test_pages_of_two_chunks_read_back_and_unpack_as_written(tmp_path):
    """Two chunks. A packed page is a line of its parts' byte lengths, then the parts. "# é\\n" is 5 bytes in
    UTF-8 ("# " 2, "é" 2, the newline 1), so chunk one's first page is "5\\n" and those 5 bytes, 7 in all, and
    its second, "# coach\\n", is at offset 7, "8\\n" plus 8 bytes: 10 long. Chunk two's page has two blocks, so
    its first line is "6 9 10\\n" (7 bytes): "# one\\n" 6 bytes, "<b>é</b>" 9, "<i>--></i>" 10. As a file it carries
    them as JSON in its closing comment, with the second dash of "--" written \\u002d. The index lists the
    three pages in docs-path order."""
    docs = tmp_path / "docs"
    (docs / "reps").mkdir(parents=True)
    (docs / "reps" / "index.md").write_text("# Reps\n", encoding="utf-8")
    one, two = page_packs.Writer(docs), page_packs.Writer(docs)
    one.add("reps/r2/index.md", "# é\n")
    one.add("reps/r2/coaching/index.md", "# coach\n")
    two.add("reps/r1/index.md", "# one\n", ["<b>é</b>", "<i>--></i>"])
    one.close()
    two.close()
    assert one.entries[1][2:] == (7, 10)
    assert two.entries[0][2:] == (0, 7 + 6 + 9 + 10)
    page_packs.write_index(docs, one.entries + two.entries)
    index = page_packs.read_index(docs)
    assert list(index) == ["reps/r1/index.md", "reps/r2/coaching/index.md", "reps/r2/index.md"]
    assert page_packs.read(docs, index["reps/r2/index.md"]) == "# é\n".encode("utf-8")
    r1 = page_packs.read_raw(docs, index["reps/r1/index.md"])
    assert r1 == "6 9 10\n# one\n<b>é</b><i>--></i>".encode("utf-8")
    assert page_packs.parts(r1) == (b"# one\n", ["<b>é</b>".encode("utf-8"), b"<i>--></i>"])
    r1_file = '# one\n\n<!--sc-blocks:["<b>\\u00e9</b>","<i>-\\u002d></i>"]-->\n'.encode("utf-8")
    assert page_packs.read(docs, index["reps/r1/index.md"]) == r1_file
    assert page_packs.files(docs) == {"reps/index.md": b"# Reps\n", "reps/r1/index.md": r1_file,
                                      "reps/r2/coaching/index.md": b"# coach\n", "reps/r2/index.md": "# é\n".encode()}
    # A render that packs nothing into the same folder leaves no page of the last one listed.
    page_packs.write_index(docs, [])
    assert page_packs.read_index(docs) == {}
    page_packs.write_index(docs, one.entries + two.entries)
    page_packs.unpack(docs)
    assert not (docs / page_packs.FOLDER).exists()
    assert (docs / "reps" / "r2" / "coaching" / "index.md").read_bytes() == b"# coach\n"
    assert (docs / "reps" / "r1" / "index.md").read_bytes() == r1_file
    assert page_packs.read_index(docs) == {}


@pytest.mark.parametrize("data", [b"", b"# no lengths", b"x 1\n#", b"3\n# long", b"9\n# short"])
def test_a_packed_page_whose_lengths_do_not_add_up_is_an_os_error(data):
    """A pack is the build's own scratch, but a damaged one must fail as a file that cannot be read (the
    site stage then reports the page as MkDocs would), never hand a page cut at the wrong place."""
    with pytest.raises(OSError):
        page_packs.parts(data)


def _tree(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def _differ(a: Path, b: Path) -> list[str]:
    ta, tb = _tree(a), _tree(b)
    return sorted(set(ta) ^ set(tb)) + [k for k in sorted(set(ta) & set(tb)) if not filecmp.cmp(ta[k], tb[k], False)]


def test_the_site_of_packed_pages_is_the_site_of_the_same_pages_as_files(tmp_path, monkeypatch):
    cfg = load_config(TINY)
    con = models_on(TINY, tmp_path)
    packed = tmp_path / "packed"
    pages.render(cfg, con, load_catalog(), cfg.as_of, packed)
    assert page_packs.read_index(packed) and not (packed / "reps" / "r1").exists()
    files = tmp_path / "files"
    shutil.copytree(packed, files)
    page_packs.unpack(files)
    assert (files / "reps" / "r1" / "index.md").is_file()

    from_files = site.build_site("Org", files, tmp_path / "from-files", jobs=1)
    from_packs = site.build_site("Org", packed, tmp_path / "from-packs", jobs=1)
    assert from_files.mode == from_packs.mode == "in-process" and from_packs.filled > 0
    assert _differ(tmp_path / "from-files", tmp_path / "from-packs") == []
    assert (tmp_path / "from-packs" / "reps" / "r1" / "coaching" / "index.html").is_file()

    # Another plugin: a plain `mkdocs build`, which reads files only, so the packs are written out first.
    monkeypatch.setattr(site, "PARALLEL_SAFE_PLUGINS", set())
    plain = site.build_site("Org", packed, tmp_path / "plain", jobs=1)
    assert plain.mode == "mkdocs build"
    assert _differ(tmp_path / "from-files", tmp_path / "plain") == []
