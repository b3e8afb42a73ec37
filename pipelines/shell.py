"""Rep, coaching and team pages without a theme render each: one shell per kind of page, filled.

MkDocs renders every page through the whole Material theme (a Jinja render of some thirty
templates, the navigation, the header, the palette) and builds a new Markdown converter for
it. Thousands of rep and coaching pages differ from each other in very little of that: their
title, their canonical URL, their table of contents (and the skip link to its first entry)
and their content. Everything else, relative links included, depends only on where the page
sits (`reps/<slug>/`, `reps/<slug>/coaching/`) and on its front matter.

So pages outside the navigation are grouped by kind (see `kind_of`). For the first page of a
kind, the theme is rendered once with sentinels in place of those few fields and the table of
contents partial replaced by a sentinel: the result, cut at the sentinels, is the kind's shell.
Every other page of that kind gets its Markdown converted by one converter kept for the whole
build (with MkDocs' own tree processors, as `Page.render` registers them), its table of contents
rendered by the theme's own partial, and the pieces joined.

The shell is trusted only after it proved itself: the first two pages of a kind are rendered
both ways and must come out byte for byte the same, otherwise that kind (in that worker) is
rendered the ordinary way. tests/test_bench.py checks the whole site against `mkdocs build`.

The Markdown itself is converted by `pipelines.fast_markdown` where that module is sure of the
result (it answers None otherwise, and Python-Markdown converts the page). It is trusted on the
same terms: the first two pages of each place in the tree (`reps/*/`, `reps/*/coaching/`...) it
converts are converted by Python-Markdown too, and one difference in the HTML, the table of
contents, the title, the anchors or the links sends that place (in that worker) back to
Python-Markdown. The search entries of such pages come from `pipelines.fast_search`, proved the
same way against the search plugin's own.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field
from functools import cached_property

import jinja2

from pipelines import fast_markdown, fast_search

TITLE, CONTENT, TOC, SKIP, CANONICAL = (f"\x00sc-{name}\x00" for name in ("title", "content", "toc", "skip", "canon"))
_CUT = re.compile("(" + "|".join(re.escape(s) for s in (TITLE, CONTENT, TOC, "#" + SKIP, CANONICAL)) + ")")
# Pages of a kind rendered both ways before its shell is trusted.
PROOFS = 2


class _Stand:
    """The page as the shell's render sees it: the real page, with sentinels for what differs per page."""

    def __init__(self, page, **overrides):
        self.__dict__["_page"] = page
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(self._page, name)


class _TocEntry:
    def __init__(self, url: str):
        self.url, self.title, self.children, self.level, self.typeset = url, "", [], 2, None


def _shape(page) -> str:
    """The page's place in the tree, the second folder level aside: what a shell and the fast Markdown proofs are per."""
    parts = page.url.split("/")
    return "/".join([parts[0], "*", *parts[2:]])


def kind_of(page) -> tuple | None:
    """The pages that share a shell: same place in the tree (the second folder level aside), same front
    matter but the title, same shape. None for a page this module does not fill."""
    meta = page.meta or {}
    parts = page.url.split("/")
    if len(parts) < 3 or "title" not in meta or not isinstance(meta["title"], str):
        return None
    if not page.toc.items or not page.toc.items[0].url.startswith("#"):
        return None
    rest = sorted((k, repr(v)) for k, v in meta.items() if k != "title")
    return (_shape(page), tuple(rest), "<h1" in page.content, page.canonical_url is not None)


def _toc_key(items) -> tuple | None:
    """What Material's toc.html shows of a table of contents (a leading h1 gives way to its children, which
    changes the partial's white space too), as a dict key; None when an entry holds something unhashable
    (then the partial is rendered for the page)."""
    h1 = bool(items) and items[0].level == 1
    key = (h1, _toc_entries(items[0].children if h1 else items))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _toc_entries(items) -> tuple:
    return tuple((type(i), tuple(sorted((k, v) for k, v in vars(i).items() if k != "children")),
                  _toc_entries(i.children)) for i in items)


@contextlib.contextmanager
def _quiet():
    """MkDocs' link messages silenced, for the conversion a proof makes twice."""
    log = logging.getLogger("mkdocs.structure.pages")
    was, log.disabled = log.disabled, True
    try:
        yield
    finally:
        log.disabled = was


@dataclass
class Shells:
    """One worker's converter and shells; the theme environment is compiled before the workers fork."""

    run: object  # pipelines.site._Run
    overlay: jinja2.Environment
    toc: jinja2.Template
    markdown: object = None
    shells: dict = field(default_factory=dict)  # kind -> [parts, proofs still owed] or None (not fillable)
    filled: int = 0  # pages whose HTML came from a shell
    fast: dict = field(default_factory=dict)  # page shape -> fast Markdown proofs still owed, or None (disproved)
    fast_pages: int = 0  # pages whose Markdown `pipelines.fast_markdown` converted
    fast_page: object = None  # the last page converted, if fast_markdown converted it
    fast_index: dict = field(default_factory=dict)  # page shape -> fast search proofs still owed, or None
    tocs: dict = field(default_factory=dict)  # _toc_key -> the rendered table of contents partial

    @classmethod
    def prepare(cls, run) -> Shells:
        env = run.env
        overlay = env.overlay(loader=jinja2.ChoiceLoader([jinja2.DictLoader({"partials/toc.html": TOC}), env.loader]))
        overlay.get_template("main.html")  # compiled here, inherited by the workers
        toc = env.from_string('{% import "partials/language.html" as lang with context %}'
                              '{% include "partials/toc.html" %}')
        return cls(run, overlay, toc)

    def convert(self, page) -> None:
        """`Page.render`: by `pipelines.fast_markdown` where it is sure and proved for the page's kind, else on
        one Python-Markdown converter kept for the build instead of a new one a page."""
        from mkdocs.structure.toc import get_toc

        shape, self.fast_page = _shape(page), None
        proof = self.fast.get(shape, PROOFS) if self.fast_usable else None
        if proof is None:
            return self._python_markdown(page)
        with _quiet() if proof else contextlib.nullcontext():  # a proof logs through Python-Markdown only
            fast = self._fast(page)
        if fast is None:
            return self._python_markdown(page)
        if proof:
            self._python_markdown(page)
            same = fast == (page.content, self.markdown.toc_tokens, page._title_from_render,
                            page.present_anchor_ids, page.links_to_anchors)
            self.fast[shape] = proof - 1 if same else None
            if not same:
                return
        page.content, tokens, page._title_from_render, page.present_anchor_ids, page.links_to_anchors = fast
        page.toc = get_toc(tokens)
        self.fast_pages += 1
        self.fast_page = page

    def page_context(self, page, event) -> None:
        """Run `event()`, the plugins' page_context event for `page`, with the search entries of a page
        fast_markdown converted made by `pipelines.fast_search`, proved per place like the Markdown."""
        index, shape = self.run.search, _shape(page)
        proof = self.fast_index.get(shape, PROOFS)
        fast = fast_search.entries(index, page) if proof is not None and self.fast_page is page else None
        if fast is None:
            return event()
        if proof:
            n0 = len(index.entries)
            event()
            self.fast_index[shape] = proof - 1 if index.entries[n0:] == fast else None
            return None
        if self.search_event_only and "data-search-" not in page.content:
            index.entries.extend(fast)  # all the event does with this page (see `search_event_only`)
            return None
        index.add_entry_from_context = lambda _page: index.entries.extend(fast)
        try:
            return event()
        finally:
            del index.add_entry_from_context

    @cached_property
    def search_event_only(self) -> bool:
        """Whether the page_context event is only Material's search plugin's, for this build's index.

        Its handler adds the page's entries (here, fast_search's, proved) and then removes every
        `data-search-*` attribute from the page's HTML with a regular expression that could not skip
        ahead to its literal part: 28 us of a rep page's 2.7 KB, 0.35 CPU s at 5,000 reps. A page with
        no `data-search-` in it is left as it was, so the event is not run for it.
        """
        from material.plugins.search.plugin import SearchPlugin

        handlers = getattr(getattr(self.run.config, "plugins", None), "events", {}).get("page_context", [])
        return (len(handlers) == 1 and getattr(handlers[0], "__func__", None) is SearchPlugin.on_page_context
                and handlers[0].__self__.search_index is self.run.search is not None)

    @cached_property
    def fast_usable(self) -> bool:
        """Whether the site's Markdown extensions are the ones fast_markdown reproduces."""
        return fast_markdown.usable(self.run.config["markdown_extensions"], self.run.config["mdx_configs"])

    def _fast(self, page) -> tuple | None:
        """What `_python_markdown` sets on the page (toc as tokens), by fast_markdown; None when it is not sure."""
        from mkdocs.structure import pages as mp

        relative = mp._RelativePathTreeprocessor(page.file, self.run.files, self.run.config)
        got = fast_markdown.convert(page.markdown, relative.path_to_url)
        if got is None:
            return None
        return got.content, got.toc_tokens, got.title, got.anchor_ids, relative.links_to_anchors

    def _python_markdown(self, page) -> None:
        import markdown
        from mkdocs.structure import pages as mp
        from mkdocs.structure.toc import get_toc

        config = self.run.config
        if self.markdown is None:
            self.markdown = markdown.Markdown(extensions=config["markdown_extensions"],
                                              extension_configs=config["mdx_configs"] or {})
        md = self.markdown.reset()
        raw_html = mp._RawHTMLPreprocessor()
        raw_html._register(md)
        anchors = mp._ExtractAnchorsTreeprocessor(page.file, self.run.files, config)
        anchors._register(md)
        relative = mp._RelativePathTreeprocessor(page.file, self.run.files, config)
        relative._register(md)
        title = mp._ExtractTitleTreeprocessor()
        title._register(md)
        page.content = md.convert(page.markdown)
        page.toc = get_toc(getattr(md, "toc_tokens", []))
        page._title_from_render = title.title
        page.present_anchor_ids = anchors.present_anchor_ids | raw_html.present_anchor_ids
        page.links_to_anchors = relative.links_to_anchors

    def _cut(self, page) -> list[str]:
        """Render the theme once for `page` with sentinels; the shell's parts, sentinels at odd places."""
        from mkdocs.commands import build as mkb

        run = self.run
        stand = _Stand(page, meta=dict(page.meta, title=TITLE), title=TITLE, content=CONTENT + ("<h1" if "<h1" in page.content else ""),
                       toc=[_TocEntry("#" + SKIP)], canonical_url=CANONICAL if page.canonical_url else None)
        context = mkb.get_context(run.nav, run.doc_files, run.config, page)
        context["page"] = stand
        html = self.overlay.get_template(page.meta.get("template", "main.html")).render(context)
        return _CUT.split(html.replace(CONTENT + "<h1", CONTENT))

    def fill(self, page, parts: list[str]) -> str:
        """The page's HTML: the shell's parts with this page's own in the sentinels' places."""
        values = {TITLE: str(page.meta["title"]), CONTENT: page.content, "#" + SKIP: page.toc.items[0].url,
                  CANONICAL: page.canonical_url or "",
                  TOC: self.toc_html(page)}
        return "".join(values[p] if i % 2 else p for i, p in enumerate(parts))

    def toc_html(self, page) -> str:
        """The theme's table of contents partial for `page`, rendered once per distinct table of contents.

        The partial reads nothing of the page but its `toc`, and of a leading h1 only its children
        (Material's toc.html): rep pages differ in their h1 (the rep's name) and mostly share their
        sections, so most pages reuse a rendering. A shell's proofs render its second page (another
        h1, often the same sections) through the whole theme and compare, so a partial that came to
        read more would disprove the shell rather than fill pages wrongly.
        """
        key = _toc_key(page.toc.items)
        html = self.tocs.get(key) if key is not None else None
        if html is None:
            html = self.toc.render(config=self.run.config, page=page)
            if key is not None:
                self.tocs[key] = html
        return html

    def html(self, page, full_render) -> str | None:
        """The page's HTML from its kind's shell, or None if it must be rendered the ordinary way.

        `full_render(page)` renders it through the theme; it is called for the proofs.
        """
        kind = kind_of(page)
        if kind is None:
            return None
        entry = self.shells.get(kind, ...)
        if entry is None:
            return None
        if entry is ...:
            entry = self.shells[kind] = [self._cut(page), PROOFS]
        filled = self.fill(page, entry[0])
        if entry[1] > 0:
            entry[1] -= 1
            if full_render(page) != filled:
                self.shells[kind] = None
                return None
        self.filled += 1
        return filled
