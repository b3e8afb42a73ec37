"""Heavy HTML travels beside the markdown: the contract between the pages and site stages.

Tables and charts are HTML. Fed through Markdown, MkDocs' link rewriter and the search
indexer, every tag of them was parsed three times in pure Python, which made up most of the
site stage. So a page's markdown holds a placeholder for each such block, the blocks ride
along in one HTML comment at the end of the page (which all three pass over as one token),
and `fill` puts them in place in the built HTML. Headings and prose stay markdown, so the
table of contents and search still see them; a changed block changes the page's markdown
too, so page reuse between builds stays correct.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

MARK = "<!--sc-blocks:"
SLOT = re.compile(r'<div class="sc-block" data-block="(\d+)"></div>')


def placeholder(index: int) -> str:
    return f'<div class="sc-block" data-block="{index}"></div>'


def attach(markdown: str, blocks: list[str]) -> str:
    """The page's markdown with its blocks appended as base64 JSON in a closing comment."""
    if not blocks:
        return markdown
    payload = base64.b64encode(json.dumps(blocks, separators=(",", ":")).encode("utf-8")).decode("ascii")
    return f"{markdown.rstrip()}\n\n{MARK}{payload}-->\n"


def fill(site_dir: Path) -> int:
    """Put each built page's blocks into their places; returns how many pages were filled.

    A page reused from the previous site is already filled (and may be a hard link into it):
    only pages that still carry the comment are rewritten, through a new file, so the
    previous site is never touched.
    """
    filled = 0
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        start = text.find(MARK)
        if start < 0:
            continue
        end = text.index("-->", start)
        blocks = json.loads(base64.b64decode(text[start + len(MARK):end]))
        body = SLOT.sub(lambda m: blocks[int(m.group(1))], text[:start] + text[end + 3:])
        page.unlink()
        page.write_text(body, encoding="utf-8")
        filled += 1
    return filled
