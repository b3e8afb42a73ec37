"""Heavy HTML travels beside the markdown: the contract between the pages and site stages.

Tables and charts are HTML. Fed through Markdown, MkDocs' link rewriter and the search
indexer, every tag of them was parsed three times in pure Python, which made up most of the
site stage. So a page's markdown holds a placeholder for each such block, the blocks ride
along in one HTML comment at the end of the page (which all three pass over as one token),
and `fill` puts them in place in the built HTML. Headings and prose stay markdown, so the
table of contents and search still see them; a changed block changes the page's markdown
too, so page reuse between builds stays correct.

The comment holds the blocks as one line of ASCII JSON (no base64: it would only make the file a
third larger and its decoding slower) in which no `--` occurs (the second dash of each pair is
written `\\u002d`), so no block can end the comment or break its line. That is a page as a file of
its own (the site's index pages, `page_packs.unpack`); a packed page keeps its blocks apart, as
they are, and gives them to the site stage without JSON (`pipelines.page_packs`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

MARK = "<!--sc-blocks:"
SLOT = re.compile(r'<div class="sc-block" data-block="(\d+)"></div>')


def placeholder(index: int) -> str:
    return f'<div class="sc-block" data-block="{index}"></div>'


def attach(markdown: str, blocks: list[str]) -> str:
    """The page's markdown with its blocks appended as JSON in a closing comment."""
    if not blocks:
        return markdown
    # A dash in JSON text is always a character of a string, so "-\u002d" reads back as "--".
    payload = json.dumps(blocks, separators=(",", ":")).replace("--", "-\\u002d")
    return _closed(markdown, payload)


def emptied(markdown: str) -> str:
    """What `take` leaves of `attach(markdown, blocks)` for any blocks: the markdown with an empty comment."""
    return _closed(markdown, "")


def _closed(markdown: str, payload: str) -> str:
    return f"{markdown.rstrip()}\n\n{MARK}{payload}-->\n"


def _comment(text: str) -> tuple[int, int] | None:
    """Where the blocks comment starts and ends in `text` (its payload is text[start + len(MARK):end])."""
    start = text.find(MARK)
    return None if start < 0 else (start, text.index("-->", start))


def _payload(text: str | bytes, start: int, end: int) -> list[str]:
    return json.loads(text[start + len(MARK):end])


def fill_text(text: str, blocks: list[str] | None = None) -> str | None:
    """A built page's HTML with its blocks in their places; None if it carries none.

    `blocks` are the page's when they were taken from its markdown already (`take`).
    """
    found = _comment(text)
    if found is None:
        return None
    start, end = found
    blocks = _payload(text, start, end) if blocks is None else blocks
    return SLOT.sub(lambda m: blocks[int(m.group(1))], text[:start] + text[end + 3:])


def take(markdown: str) -> tuple[str, list[str] | None]:
    """The page's markdown with an empty blocks comment in place of the full one, and its blocks.

    Markdown and the search indexer treat the two comments alike (one raw HTML token each), so
    converting the short one costs nothing per block and `fill_text(html, blocks)` gives the same page.
    """
    found = _comment(markdown)
    if found is None:
        return markdown, None
    start, end = found
    return markdown[:start + len(MARK)] + markdown[end:], _payload(markdown, start, end)


def take_bytes(data: bytes) -> tuple[bytes, list[str]] | None:
    """`take` on a Markdown file's bytes, before they are decoded (the blocks are most of a page): the file with
    an empty blocks comment in place of its first full one, and the blocks; None when it has no such comment
    or one that is not ASCII (`attach` writes none such: it is cut from the decoded text, as `take` cuts it)."""
    mark = MARK.encode("ascii")
    start = data.find(mark)
    end = data.find(b"-->", start) if start >= 0 else -1
    if end < 0 or not data[start + len(mark):end].isascii():
        return None
    return data[:start + len(mark)] + data[end:], _payload(data, start, end)


def fill_file(page: Path) -> bool:
    """Fill one built page in place, through a new file (it may be a hard link into the previous site)."""
    body = fill_text(page.read_text(encoding="utf-8"))
    if body is None:
        return False
    page.unlink()
    page.write_text(body, encoding="utf-8")
    return True


def fill(site_dir: Path) -> int:
    """Put each built page's blocks into their places; returns how many pages were filled.

    A page reused from the previous site is already filled (and may be a hard link into it):
    only pages that still carry the comment are rewritten, through a new file, so the
    previous site is never touched.
    """
    return sum(fill_file(page) for page in site_dir.rglob("*.html"))
