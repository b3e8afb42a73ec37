"""The blocks comment (pipelines/blocks.py) carries any HTML through the Markdown file and back unchanged."""

from __future__ import annotations

import markdown
from hypothesis import given
from hypothesis import strategies as st

from pipelines import blocks

HOSTILE = ["<svg>--></svg>", "a---b----c-", "\\--x", "é\r\n\u2028\x00", "<!-- c -->", '"</p>" &amp; %', ""]


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_any_blocks_come_back_from_the_text_and_the_bytes(page_blocks):
    text = blocks.attach("# T\n\nx", page_blocks)
    payload = text[text.index(blocks.MARK) + len(blocks.MARK):text.rindex("-->")]
    assert "--" not in payload and "\n" not in payload and "\r" not in payload and payload.isascii()
    assert blocks.take(text) == ("# T\n\nx\n\n" + blocks.MARK + "-->\n", page_blocks)
    assert blocks.take_bytes(text.encode("utf-8")) == (("# T\n\nx\n\n" + blocks.MARK + "-->\n").encode(), page_blocks)


def test_markdown_passes_the_comment_through_and_fill_puts_the_blocks_back():
    """What a plain `mkdocs build` (another plugin configured) does with a page: the whole comment goes
    through Python-Markdown, and `fill_text` finds it in the HTML."""
    page = blocks.attach(f"# T\n\n{blocks.placeholder(0)}\n\ntext\n\n{blocks.placeholder(1)}\n", HOSTILE[:2])
    html = markdown.Markdown(extensions=["toc", "tables", "fenced_code", "attr_list"]).convert(page)
    assert blocks.fill_text(html) == '<h1 id="t">T</h1>\n<svg>--></svg>\n\n<p>text</p>\na---b----c-\n\n'


def test_hostile_blocks_fill_their_places():
    text = blocks.attach("".join(blocks.placeholder(i) for i in range(len(HOSTILE))), HOSTILE)
    short, page_blocks = blocks.take(text)
    assert blocks.fill_text(short, page_blocks) == "".join(HOSTILE) + "\n\n\n"
