"""Fixtures for the browser and hostile-data tests (loaded with `pytest_plugins = ["conftest_browser"]`).

Sites are built once per run (shared by xdist workers through a file lock), each worker serves
them from its own 127.0.0.1 port and drives its own Chromium. Every browser context counts its
requests and fails the test on any request that leaves 127.0.0.1, any dialog, any script error
and any console error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from browser_support import CHROMIUM_ARGS, FIXTURES, SiteCache, SiteServer, Watch, chromium_path, missing


@dataclass
class Site:
    name: str
    path: Path
    url: str  # http://127.0.0.1:PORT/<name>/

    def at(self, rel: str = "") -> str:
        return self.url + rel.lstrip("/")


@dataclass
class Tab:
    page: object
    watch: Watch
    context: object


@pytest.fixture(scope="session")
def site_cache(tmp_path_factory) -> SiteCache:
    base = tmp_path_factory.getbasetemp()
    # Under xdist each worker has its own basetemp inside the run's folder: share the parent.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return SiteCache(shared / "scorecard-sites")


@pytest.fixture(scope="session")
def site_server():
    server = SiteServer()
    yield server
    server.close()


def _site(cache: SiteCache, server: SiteServer, name: str, config: Path, **overrides) -> Site:
    path = cache.get(name, config, **overrides)
    return Site(name, path, server.mount(name, path))


@pytest.fixture(scope="session")
def tiny_web(site_cache, site_server) -> Site:
    """tests/fixtures/tiny built with the default config."""
    return _site(site_cache, site_server, "tiny", FIXTURES / "tiny" / "config.yml")


@pytest.fixture(scope="session")
def hostile_web(site_cache, site_server) -> Site:
    """tests/fixtures/hostile built with the default config (nothing private published)."""
    return _site(site_cache, site_server, "hostile", FIXTURES / "hostile" / "config.yml")


@pytest.fixture(scope="session")
def hostile_private_web(site_cache, site_server) -> Site:
    """The hostile org with every privacy switch turned: emails published, amounts and quotas hidden."""
    return _site(site_cache, site_server, "hostile-private", FIXTURES / "hostile" / "config.yml",
                 privacy={"publish_emails": True, "hide_amounts": True, "hide_quotas": True})


DEMO_CRM = "https://crm.example/deals/{opportunity_id}"


@pytest.fixture(scope="session")
def demo_web(site_cache, site_server) -> Site:
    """A 24-rep demo org (seed 2: it has a "Will" and a "Peña"), its deals linked into a CRM."""
    import fcntl

    from pipelines.demo import generate_demo

    extracts = site_cache.root / "demo-extracts"
    with open(site_cache.root / "demo-extracts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (extracts / "done").exists():
            generate_demo(extracts, reps=24, seed=2)
            (extracts / "done").write_text("ok", encoding="utf-8")
        fcntl.flock(lock, fcntl.LOCK_UN)
    return _site(site_cache, site_server, "demo", extracts / "config.yml", crm={"deal_url": DEMO_CRM})


@pytest.fixture(scope="session")
def chromium():
    exe = chromium_path()
    if not os.path.exists(exe):
        missing(f"Chromium ({exe})", "run `make browser` (apt-get install chromium) or set CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium):
    """browse(**context_options) -> Tab: a fresh page whose requests, dialogs and errors are watched.

    At teardown the test fails on any request outside 127.0.0.1, any dialog, script error or
    console error, unless the test already took them out of `tab.watch` itself.
    """
    tabs: list[Tab] = []

    def open_tab(**options) -> Tab:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("service_workers", "block")
        context = chromium.new_context(**options)
        watch = Watch()
        watch.attach(context)
        tab = Tab(context.new_page(), watch, context)
        tabs.append(tab)
        return tab

    yield open_tab
    problems = []
    for tab in tabs:
        problems += tab.watch.problems()
        tab.context.close()
    assert not problems, "\n".join(problems)
