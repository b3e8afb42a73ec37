"""pipelines.site reads a filled page's Markdown file once, for MkDocs, its blocks and its key in the manifest:
it reads what `Page.read_source` and `blocks.take` read, and the key is the file's sha256 (a packed page's: the
sha256 of its bytes as packed, and it reads as the file `page_packs.read` makes of it)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mkdocs.config import load_config
from mkdocs.utils import meta
from mkdocs.structure.pages import Page

from pipelines import blocks, page_packs, site

BLOCKS = blocks.attach("x", ['<table><tr><td>é &amp; "q"</td></tr></table>', "<svg>--></svg>"]).encode()[1:]
TEXTS = {
    "plain.md": "---\ntitle: \"Ann\"\n---\n\n# Ann\n\nText · – é\n".encode(),
    "bom.md": b"\xef\xbb\xbf---\ntitle: Bom\n---\n\n# Bom\n",
    "crlf.md": b"---\r\ntitle: Crlf\r\n---\r\n\r\n# Crlf\r\n\r\na\rb\r\n",
    "no-meta.md": b"# Just a heading\n\ntext",
    # with blocks: taken out of the bytes, or out of the text when that is the only way to cut where `take` does
    "blocks.md": "---\ntitle: \"Ann\"\n---\n\n# Ann · –\n".encode() + BLOCKS,
    "blocks-bom-crlf.md": b"\xef\xbb\xbf---\r\ntitle: Bom\r\n---\r\n\r\n# Bom\r\n" + BLOCKS.replace(b"\n", b"\r\n"),
    "blocks-no-meta.md": b"# Just a heading\n" + BLOCKS,
    "mark-in-title.md": b'---\ntitle: "<!--sc-blocks:junk-->"\n---\n\n# T\n' + BLOCKS,
    "two-marks.md": b"---\ntitle: T\n---\n\n# T\n" + BLOCKS + b"\n<!--sc-blocks:more-->\n",
}


@pytest.fixture
def run(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    for name, data in TEXTS.items():
        (docs / name).write_bytes(data)
    yml = site._mkdocs_yml("Org", docs, tmp_path / "site", tmp_path / "mkdocs.yml")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    return site._collect(load_config(config_file=str(yml)))


def test_the_source_is_what_mkdocs_reads_and_the_key_its_file_hash(run):
    files = {f.src_uri: f for f in run.doc_files}
    for name, data in TEXTS.items():
        ours, theirs = Page(None, files[name], run.config), Page(None, files[name], run.config)
        theirs.read_source(run.config)
        theirs.markdown, their_blocks = blocks.take(theirs.markdown)
        assert site._read_source(ours, run.config) == (hashlib.sha256(data).hexdigest(), their_blocks), name
        assert (ours.markdown, ours.meta) == (theirs.markdown, theirs.meta), name
    assert site._taken_early(TEXTS["blocks-bom-crlf.md"]) is not None  # the cases the bytes are cut for
    assert site._taken_early(TEXTS["mark-in-title.md"]) is None


def test_a_page_take_cannot_read_fails_the_same(run):
    """Front matter MkDocs leaves in the Markdown (it is not YAML) with a blocks mark in it: `take` cuts there."""
    page = Page(None, next(f for f in run.doc_files if f.src_uri == "plain.md"), run.config)
    Path(page.file.abs_src_path).write_bytes(b"---\ntitle: [<!--sc-blocks:\n---\n\n# T\n" + BLOCKS)
    with pytest.raises(ValueError) as theirs:
        page.read_source(run.config)
        blocks.take(page.markdown)
    with pytest.raises(ValueError) as ours:
        site._read_source(page, run.config)
    assert str(ours.value) == str(theirs.value)


def test_an_unreadable_source_fails_as_mkdocs_does(run, caplog):
    page = Page(None, next(f for f in run.doc_files if f.src_uri == "bom.md"), run.config)
    Path(page.file.abs_src_path).write_bytes(b"\xff\xfe bad")
    with pytest.raises(ValueError):
        site._read_source(page, run.config)
    Path(page.file.abs_src_path).unlink()
    with pytest.raises(OSError):
        site._read_source(page, run.config)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "Encoding error reading file: bom.md", "File not found: bom.md"]


# Pages as the pages stage packs them: Markdown and blocks apart (pipelines.page_packs).
TABLE = '<table><tr><td>é &amp; "q"</td></tr></table>'
PACKED = {
    "plain": ("---\ntitle: \"Ann\"\n---\n\n# Ann\n\nText · – é\n", []),
    "blocks": ("---\ntitle: \"Ann\"\n---\n\n# Ann · –\n\n", [TABLE, "<svg>--></svg>"]),
    "bom-crlf": ("\ufeff---\r\ntitle: Bom\r\n---\r\n\r\n# Bom\r\n", [TABLE]),
    "no-meta": ("# Just a heading\n", [TABLE]),
    "surrogate": ("---\ntitle: S\n---\n\n# S\n", ["<td>\ud800</td>"]),
    # JSON reads an escaped pair back as the one character it encodes: so must a pack.
    "surrogate-pair": ("---\ntitle: P\n---\n\n# P\n", ["<td>\ud83d\ude00 \ude00\ud83d</td>"]),
    "mark-in-title": ('---\ntitle: "<!--sc-blocks:junk-->"\n---\n\n# T\n', [TABLE]),
    "mark-in-text": ("---\ntitle: T\n---\n\n# T\n\n<!--sc-blocks:[\"x\"]-->\n", [TABLE]),  # `take` cuts here
}


def test_a_packed_page_is_read_as_its_file_would_be_without_json(tmp_path: Path):
    """Each page of `PACKED` in a pack, and as the file `page_packs.read` makes of it: `_read_source` gives the
    same Markdown, front matter and blocks for both, and the packed page's key is the sha256 of its bytes as
    packed. The Markdown and blocks are read apart (no JSON) but for the pages where the file's way might cut
    elsewhere: no blocks, no front matter, or a blocks mark of the page's own (in the front matter or after it)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    out = page_packs.Writer(docs)
    for name, (markdown, page_blocks) in PACKED.items():
        out.add(f"packed/{name}.md", markdown, page_blocks)
    out.close()
    page_packs.write_index(docs, out.entries)
    for rel, entry in page_packs.read_index(docs).items():
        (docs / rel.replace("packed/", "file-")).write_bytes(page_packs.read(docs, entry))
    yml = site._mkdocs_yml("Org", docs, tmp_path / "site", tmp_path / "mkdocs.yml")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    run = site._collect(load_config(config_file=str(yml)))
    files = {f.src_uri: f for f in run.doc_files}
    apart = set()
    for name in PACKED:
        packed, as_file = files[f"packed/{name}.md"], files[f"file-{name}.md"]
        ours, theirs = Page(None, packed, run.config), Page(None, as_file, run.config)
        key, got = site._read_source(ours, run.config)
        assert got == site._read_source(theirs, run.config)[1], name
        assert (ours.markdown, ours.meta) == (theirs.markdown, theirs.meta), name
        assert key == hashlib.sha256(page_packs.read_raw(docs, packed.packed)).hexdigest() == site._source_key(packed)
        if site._read_apart(ours, packed.packed) is not None:
            apart.add(name)
    assert apart == {"blocks", "bom-crlf", "surrogate", "surrogate-pair"}
    page_packs.close_all()


def test_a_damaged_pack_fails_as_a_file_that_does_not_decode(tmp_path: Path, caplog):
    """A pack is the build's own scratch, but a damaged one fails as MkDocs fails a file: the page's Markdown
    "# A" packed with one block, then its "A" overwritten with the byte 0xff, which no UTF-8 text holds."""
    docs = tmp_path / "docs"
    docs.mkdir()
    out = page_packs.Writer(docs)
    out.add("packed/a.md", "---\ntitle: A\n---\n\n# A\n", [TABLE])
    out.close()
    page_packs.write_index(docs, out.entries)
    pack = docs / page_packs.FOLDER / out.name
    data = pack.read_bytes()
    pack.write_bytes(data.replace(b"# A", b"# \xff"))
    yml = site._mkdocs_yml("Org", docs, tmp_path / "site", tmp_path / "mkdocs.yml")
    run = site._collect(load_config(config_file=str(yml)))
    page = Page(None, next(f for f in run.doc_files if f.src_uri == "packed/a.md"), run.config)
    with pytest.raises(ValueError):
        site._read_source(page, run.config)
    page_packs.close_all()
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "Encoding error reading file: packed/a.md"]


def test_a_manifest_value_json_cannot_hold_is_written_as_text_after_the_swap(tmp_path: Path):
    """The manifest is written after the new site is live, so it must not fail the build: a search entry's
    front-matter value that is not JSON's (a date, as YAML reads `boost: 2026-01-01`) is written as text, as
    Material's own search index writes it; the page's size and mtime are recorded as they are in the site."""
    import datetime as dt
    import json

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.html").write_text("<p>a</p>", encoding="utf-8")
    manifest = {"pages": {"a.html": {"search": [{"boost": dt.date(2026, 1, 1)}]}}}
    site._write_manifest(tmp_path / "cache" / "pages.json", manifest, tmp_path / "site")
    written = json.loads((tmp_path / "cache" / "pages.json").read_text(encoding="ascii"))
    assert written["pages"]["a.html"]["search"] == [{"boost": "2026-01-01"}]
    assert written["pages"]["a.html"]["size"] == len("<p>a</p>")


RESTS = ["", "hide:\n  - navigation\n", "hide:\n  - navigation\n  - toc\nsearch:\n  exclude: true\n", "  indented: 1\n",
         "{flow: 1}\n", "title: again\n", "- a list\n", "%YAML 1.1\n", "a: [1\n", "n: .nan\n", "d: 2026-01-01\n", "# c\n"]


@given(st.text(), st.sampled_from(RESTS), st.sampled_from(["", "# T\n\ntext\n", "\n\n# T\n"]))
@example('Coaching: Ann \u2028 \x85 \ufeff \t " \\ \\u0041 #x', RESTS[2], "# T\n")
def test_front_matter_is_what_mkdocs_reads(title, rest, body):
    """site._front_matter reads a quoted title line itself and the rest once: the same as MkDocs' get_data."""
    for line in (f'title: "{title}"\n', f"title: {title}\n"):
        doc = f"---\n{line}{rest}---\n{body}"
        theirs = meta.get_data(doc)
        ours = site._front_matter(doc)
        assert ours == theirs and list(ours[1].items()) == list(theirs[1].items()), doc


def test_the_pages_front_matters_are_read_without_yaml_but_the_odd_ones():
    assert [site._after_title(rest) is not None for rest in RESTS] == [
        True, True, True, False, False, False, False, False, False, True, True, False]
    assert site._TITLE_LINE.match('title: "Coaching: Ann · Zoë"\n')
    assert not site._TITLE_LINE.match('title: "a\u2028b"\n')


def test_the_theme_files_are_those_mkdocs_adds_without_walking_dot_folders(tmp_path: Path):
    """`_ThemeListing` skips folders whose names start with a dot (Material's `.icons`); MkDocs' filter turns
    down every file in one, so the files added from the theme are the same, dot files elsewhere included."""
    from mkdocs.structure.files import get_files

    theme = tmp_path / "theme"
    for name in ("extra.css", ".hidden.js", ".dots/a.js", "deep/.dots/b.js", "deep/ok.js", "deep/.c.js",
                 "deep/page.html", "main.html", "locales/x.js", "deeper/still/README.txt", "deeper/still/d.svg"):
        (theme / name).parent.mkdir(parents=True, exist_ok=True)
        (theme / name).write_text("x", encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    yml = site._mkdocs_yml("Org", docs, tmp_path / "site", tmp_path / "mkdocs.yml")
    config = load_config(config_file=str(yml))
    config.theme.dirs.insert(0, str(theme))
    env = config.theme.get_env()
    assert isinstance(site._ThemeListing.of(env), site._ThemeListing)

    def added(listing) -> list:
        files = get_files(config)
        files.add_files_from_theme(listing, config)
        return [(f.src_uri, f.abs_src_path, f.dest_uri) for f in files]

    ours = added(site._ThemeListing.of(env))
    assert ours == added(env)
    assert {"extra.css", "deep/ok.js", "deeper/still/d.svg"} <= {uri for uri, _, _ in ours}
    assert any(uri.startswith("assets/javascripts/") for uri, _, _ in ours)  # Material's own, after ours
