"""Helpers for the browser and hostile-data tests: build sites once, serve them on 127.0.0.1, guard the network.

Nothing here is a fixture; tests/conftest_browser.py wraps these in session fixtures.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import html
import html.parser
import http.server
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM", "/usr/bin/chromium")


def missing(what: str, how: str) -> None:
    """A missing tool fails the run in CI (the Makefile installs it) and skips it elsewhere."""
    message = f"{what} is missing: {how}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --- building sites -----------------------------------------------------------------------------


def build_site(config: Path, out: Path, work: Path, **overrides) -> Path:
    """Build `config` into `out` in this process, with config keys overridden (e.g. privacy={...}).

    The warehouse and the quarantine report go under `work`, never beside the fixture.
    """
    from pipelines.cli import prepare, run_build
    from pipelines.settings import Config

    cfg = prepare(config)
    if overrides:
        data = cfg.model_dump(exclude={"base_dir"})
        for key, value in overrides.items():
            data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
        base_dir = cfg.base_dir
        cfg = Config.model_validate(data)
        cfg.base_dir = base_dir
    work.mkdir(parents=True, exist_ok=True)
    run_build(cfg, out, warehouse=work / "warehouse", report_dir=work / "report")
    return out


class SiteCache:
    """Named sites built once per test run and shared by the xdist workers.

    Under xdist every worker runs the session fixtures; the first worker to need a site builds
    it under an exclusive file lock in the run's shared temp folder, the others wait and reuse it.
    """

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, config: Path, **overrides) -> Path:
        out = self.root / name / "site"
        done = self.root / name / "built"
        with open(self.root / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if not done.exists():
                    shutil.rmtree(self.root / name, ignore_errors=True)
                    build_site(config, out, self.root / name / "work", **overrides)
                    done.write_text("ok", encoding="utf-8")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return out


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html"))


def page_url(site: Path, page: Path) -> str:
    """The site-relative URL MkDocs gives a page file (directory URLs)."""
    rel = page.relative_to(site).as_posix()
    return rel[: -len("index.html")] if rel.endswith("index.html") else rel


def rep_pages(site: Path) -> list[Path]:
    """Every page about one rep: the rep page and the pages under it (coaching)."""
    return sorted(p for p in site.glob("reps/*/**/index.html") if p.parent != site / "reps")


# --- serving ------------------------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    mounts: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        parts = unquote(urlsplit(path).path).lstrip("/").split("/", 1)
        root = self.mounts.get(parts[0])
        if root is None:
            return str(Path(os.devnull) / "not-mounted")
        self.directory = str(root)
        return super().translate_path("/" + (parts[1] if len(parts) > 1 else ""))

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class SiteServer:
    """A threaded http.server on 127.0.0.1 (a free port per worker) serving several sites.

    `mount("tiny", path)` serves that folder at http://127.0.0.1:PORT/tiny/.
    """

    def __init__(self) -> None:
        handler = type("Handler", (_Handler,), {"mounts": {}})
        self._mounts = handler.mounts
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="site-server", daemon=True)
        self.thread.start()

    def mount(self, name: str, path: Path) -> str:
        self._mounts[name] = Path(path)
        return self.url(name)

    def url(self, name: str, rel: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{name}/{rel}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the browser side ---------------------------------------------------------------------------


@dataclass
class Watch:
    """Everything a page did that a test may want to refuse: network, dialogs, errors."""

    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def route(self, route) -> None:
        """Every request is counted; one to any host but 127.0.0.1 is aborted and recorded."""
        url = route.request.url
        parts = urlsplit(url)
        self.requests.append(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            if url not in self.foreign:
                self.foreign.append(url)
            route.abort("blockedbyclient")

    def on_request(self, request) -> None:
        # A second net under route(): requests the router never sees (service workers) still count.
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob", "about") and parts.hostname != "127.0.0.1" and request.url not in self.foreign:
            self.foreign.append(request.url)

    def on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        with contextlib.suppress(Exception):
            dialog.dismiss()

    def on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def attach(self, context) -> None:
        context.route("**/*", self.route)
        context.on("request", self.on_request)
        context.on("dialog", self.on_dialog)
        context.on("console", self.on_console)
        context.on("weberror", lambda e: self.page_errors.append(str(e.error)))

    def problems(self) -> list[str]:
        out = [f"request outside 127.0.0.1: {u}" for u in self.foreign]
        out += [f"dialog opened: {d}" for d in self.dialogs]
        out += [f"page error: {e}" for e in self.page_errors]
        out += [f"console error: {e}" for e in self.console_errors]
        return out


CHARTS_SETTLED = """() => [...document.querySelectorAll('figure.scorecard-chart .vega-chart')]
    .every(h => h.dataset.rendered === 'true' || /could not|not available/.test(h.textContent))"""


def wait_for_charts(page, timeout: float = 10_000) -> int:
    """Wait until every chart on the page has drawn (or given up); returns how many there are."""
    page.wait_for_function(CHARTS_SETTLED, timeout=timeout)
    return page.locator("figure.scorecard-chart").count()


def chart_report(page) -> list[dict]:
    """Per chart: was it drawn, how many SVG marks, its drawn title, label, caption and theme."""
    return page.evaluate(
        """() => [...document.querySelectorAll('figure.scorecard-chart')].map(fig => {
            const holder = fig.querySelector('.vega-chart');
            const svg = holder.querySelector('svg');
            const spec = JSON.parse(fig.querySelector('script.vega-spec').textContent);
            const marks = svg ? svg.querySelectorAll(
                '.role-mark path, .role-mark line, .role-mark rect, .role-mark circle, .role-mark symbol').length : 0;
            const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
            return {
                rendered: holder.dataset.rendered === 'true',
                theme: holder.dataset.theme,
                marks: marks,
                dataMarks: svg ? svg.querySelectorAll(
                    '.role-mark:not(.mark-rule) path, .role-mark:not(.mark-rule) line, .role-mark:not(.mark-rule) rect').length : 0,
                specTitle: typeof spec.title === 'string' ? spec.title : (spec.title || {}).text,
                drawnTitle: svg ? [...svg.querySelectorAll('.role-title-text text, .role-title text')]
                    .map(t => t.textContent).join(' ') : '',
                role: holder.getAttribute('role'),
                label: holder.getAttribute('aria-label') || '',
                caption: (fig.querySelector('figcaption') || {}).textContent || '',
                axisLabelFill: svg && svg.querySelector('.role-axis-label text')
                    ? svg.querySelector('.role-axis-label text').getAttribute('fill') : null,
                width: box.width, height: box.height,
                text: holder.textContent.slice(0, 200),
            };
        })"""
    )


# --- reading HTML without a browser -------------------------------------------------------------


class PageParser(html.parser.HTMLParser):
    """Collects what the hostile-data checks look at: elements, attributes, tables, headings, scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.tables: list[list[tuple[str, int]]] = []  # per table: (section, cells) per row
        self.h1: list[str] = []
        self._stack_table: list[list] = []
        self._section: list[str] = []
        self._row_cells: list[int] = []
        self._script: dict | None = None
        self._script_text: list[str] = []
        self._h1: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "script":
            self._script, self._script_text = a, []
        elif tag == "table":
            self._stack_table.append([])
            self._section.append("tbody")
        elif tag in ("thead", "tbody", "tfoot") and self._section:
            self._section[-1] = tag
        elif tag == "tr" and self._stack_table:
            self._row_cells.append(0)
        elif tag in ("td", "th") and self._row_cells:
            span = int(a.get("colspan") or 1)
            self._row_cells[-1] += span
        elif tag == "h1":
            self._h1 = []

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None
        elif tag == "tr" and self._row_cells and self._stack_table:
            self._stack_table[-1].append((self._section[-1], self._row_cells.pop()))
        elif tag == "table" and self._stack_table:
            self.tables.append(self._stack_table.pop())
            self._section.pop()
        elif tag == "h1" and self._h1 is not None:
            self.h1.append(re.sub(r"\s+", " ", "".join(self._h1)).strip())
            self._h1 = None

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)
        if self._h1 is not None:
            self._h1.append(data)


@functools.lru_cache(maxsize=None)
def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def visible_text(raw: str) -> str:
    """The text of an HTML page as a reader sees it (scripts and tags removed, entities decoded)."""
    raw = re.sub(r"<script\b.*?</script>", " ", raw, flags=re.S | re.I)
    raw = re.sub(r"<style\b.*?</style>", " ", raw, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))
