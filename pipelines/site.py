"""Stage 5: build the static site with MkDocs Material, and swap it in only when it is whole.

The build happens in a scratch folder beside the output; the previous site is replaced by
a rename at the very end, so a failure at any stage leaves the last good site in place.

MkDocs has no incremental or parallel build, and at thousands of rep pages its cost is
per-page Markdown conversion, search indexing and theme rendering. So the pages are driven
through MkDocs' own build steps (the same functions `mkdocs build` calls, in the same order)
with two additions:

* pages are rendered by forked worker processes, one per core; each sends back the search
  index entries of its pages, which are put together in the order `mkdocs build` would use,
  so the site is byte-for-byte the one `mkdocs build` writes;
* a page whose Markdown, and everything else its HTML depends on (the mkdocs.yml settings,
  the versions of MkDocs and the theme, the navigation, the set of pages), are unchanged
  since the last build is not rendered again: its HTML is hard-linked from the previous site
  and its search entries come from a manifest kept next to the site (`.<out>-cache/`).

Only the search plugin is known to be safe to drive like this; with any other plugin the
build falls back to a plain `mkdocs build`. `SCORECARDS_SITE_JOBS=1` turns off the workers and
`SCORECARDS_SITE_CACHE=0` the reuse of unchanged pages.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

import jinja2

from pipelines import blocks
from pipelines.errors import BuildError
from pipelines.render_pool import default_jobs

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CACHE = Path(__file__).resolve().parent.parent / ".cache"
MANIFEST_VERSION = 1
# Plugins whose only per-page state is the search index, which the workers hand back.
PARALLEL_SAFE_PLUGINS = {"search", "material/search"}
# Below this many pages to render, forking costs more than it saves.
MIN_PAGES_PER_WORKER = 50

# Figures of the last build_site call in this process (pages rendered, reused, workers, seconds).
LAST_BUILD: dict = {}

log = logging.getLogger(__name__)


def vega_bundle() -> str:
    """vega + vega-lite + vega-embed as one script, cached per vl-convert version."""
    import vl_convert

    version = getattr(vl_convert, "__version__", "unknown")
    cached = CACHE / f"vega-bundle-{version}.js"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle()
    try:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(bundle, encoding="utf-8")
        tmp.replace(cached)
    except OSError:
        pass  # a read-only checkout still builds, just without the cache
    return bundle


def write_assets(docs_dir: Path) -> None:
    assets = docs_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "vega.js").write_text(vega_bundle(), encoding="utf-8")
    for name in ("charts.js", "scorecards.css"):
        shutil.copyfile(TEMPLATES / "assets" / name, assets / name)


def _render_yml(title: str, docs_dir, site_dir, site_url: str | None = None) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True)
    env.filters["tojson"] = lambda v: json.dumps(str(v))
    return env.get_template("mkdocs.yml.j2").render(
        title=title, docs_dir=docs_dir, site_dir=site_dir, site_url=site_url
    )


def _mkdocs_yml(title: str, docs_dir: Path, site_dir: Path, target: Path, site_url: str | None = None) -> Path:
    target.write_text(_render_yml(title, docs_dir, site_dir, site_url), encoding="utf-8")
    return target


def swap_in(new: Path, out: Path) -> None:
    """Replace `out` with `new` by renames, so readers never see a half-written site."""
    old = out.parent / f".{out.name}-old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    new.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def cache_dir_for(out: Path) -> Path:
    return out.parent / f".{out.name}-cache"


def build_site(
    title: str,
    docs_dir: Path,
    out: Path,
    *,
    jobs: int | None = None,
    reuse: bool | None = None,
    site_url: str | None = None,
) -> Path:
    """Render docs_dir into a finished site at `out` (replaced whole, only on success)."""
    from mkdocs.config import load_config as mkdocs_config

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_assets(docs_dir)
    jobs = default_jobs("SCORECARDS_SITE_JOBS") if jobs is None else max(1, jobs)
    if reuse is None:
        reuse = os.environ.get("SCORECARDS_SITE_CACHE", "1") != "0"
    manifest_path = cache_dir_for(out) / "pages.json"
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    site_dir = scratch / "site"
    try:
        yml = _mkdocs_yml(title, docs_dir.resolve(), site_dir, scratch / "mkdocs.yml", site_url)
        logging.getLogger("mkdocs").setLevel(logging.WARNING)
        previous = _read_manifest(manifest_path) if reuse and out.is_dir() else None
        try:
            config = mkdocs_config(config_file=str(yml))
            fingerprint_yml = _render_yml(title, "DOCS_DIR", "SITE_DIR", site_url)
            manifest = _build(config, fingerprint_yml, out if previous else None, previous, jobs)
        except Exception as e:  # MkDocs raises many types; all mean "no site"
            raise BuildError(f"MkDocs could not build the site: {e}", yml) from e
        blocks.fill(site_dir)
        swap_in(site_dir, out)
        if manifest is not None:
            _write_manifest(manifest_path, manifest, out)
        else:
            shutil.rmtree(manifest_path.parent, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out


# --- the manifest of the last build -------------------------------------------------------------


def _read_manifest(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("version") == MANIFEST_VERSION else None


def _write_manifest(path: Path, manifest: dict, site: Path) -> None:
    """Record each page's output file as it now is in `site`: a page is reused only if still so."""
    for dest, rec in manifest["pages"].items():
        try:
            st = os.stat(site / dest)
        except OSError:
            rec["size"] = rec["mtime_ns"] = -1
            continue
        rec["size"], rec["mtime_ns"] = st.st_size, st.st_mtime_ns
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(manifest, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # no cache: the next build renders every page


def _fingerprint(fingerprint_yml: str, files, nav) -> str:
    """Everything besides a page's own Markdown that its HTML depends on."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    h.update(str(MANIFEST_VERSION).encode())
    h.update(fingerprint_yml.encode("utf-8"))
    for dist in ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2"):
        try:
            h.update(f"{dist}={version(dist)}\n".encode())
        except PackageNotFoundError:
            h.update(f"{dist}=?\n".encode())
    h.update(Path(__file__).read_bytes())  # this driver
    # Links are resolved against the set of files, so adding or removing a page renders all again.
    for f in files:
        h.update(f"{f.src_uri}\0{f.dest_uri}\n".encode("utf-8"))
    # Every page shows the navigation: its titles and where they point.
    for p in nav.pages:
        explicit = vars(p).get("title")
        h.update(f"nav\0{p.file.src_uri}\0{explicit}\n".encode("utf-8"))
    return h.hexdigest()


# --- the build ----------------------------------------------------------------------------------


def _build(config, fingerprint_yml: str, previous_site: Path | None, previous: dict | None, jobs: int) -> dict | None:
    """`mkdocs build`, with pages rendered in parallel and unchanged pages reused; returns the manifest."""
    import time

    from mkdocs import utils
    from mkdocs.commands import build as mkb
    from mkdocs.exceptions import Abort
    from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page

    t0 = time.perf_counter()
    LAST_BUILD.clear()
    if not set(config.plugins) <= PARALLEL_SAFE_PLUGINS:
        mkb.build(config)
        LAST_BUILD.update(mode="mkdocs build", jobs=1, rendered=None, reused=0, seconds=time.perf_counter() - t0)
        return None

    warnings = utils.CountHandler()
    warnings.setLevel(logging.WARNING)
    mk_logger = logging.getLogger("mkdocs")
    mk_logger.addHandler(warnings)
    try:
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        utils.clean_directory(config.site_dir)
        files = get_files(config)
        env = config.theme.get_env()
        files.add_files_from_theme(env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)

        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        for file in doc_files:
            if file.page is None and file.inclusion.is_not_in_nav():
                Page(None, file, config)
        fp = _fingerprint(fingerprint_yml, files, nav)
        keys = [hashlib.sha256(Path(f.abs_src_path).read_bytes()).hexdigest() for f in doc_files]
        old_pages = previous["pages"] if previous and previous.get("fingerprint") == fp else {}

        # Which pages can be taken over from the previous site as they are.
        reuse: dict[int, dict] = {}
        for i, f in enumerate(doc_files):
            rec = old_pages.get(f.dest_uri)
            if rec and rec["key"] == keys[i] and previous_site is not None:
                try:
                    st = os.stat(previous_site / f.dest_uri)
                except OSError:
                    continue
                if st.st_size == rec["size"] and st.st_mtime_ns == rec["mtime_ns"]:
                    reuse[i] = rec

        nav_ids = {id(p) for p in nav.pages}
        in_nav = [i for i, f in enumerate(doc_files) if id(f.page) in nav_ids]
        # Nav pages are read first, as `mkdocs build` reads every page before writing any:
        # a nav title taken from a page's first heading is shown on every page.
        for i in in_nav:
            if i not in reuse or "title" not in vars(doc_files[i].page):
                mkb._populate_page(doc_files[i].page, config, files)

        env = config.plugins.on_env(env, config=config, files=files)
        files.copy_static_files(inclusion=InclusionLevel.is_included)
        for template in config.theme.static_templates:
            mkb._build_theme_template(template, env, files, config, nav)
        for template in config.extra_templates:
            mkb._build_extra_template(template, files, config, nav)

        search = _search_index(config)
        entries: dict[int, list] = {}
        ctx = _Ctx(config, files, doc_files, nav, env, search)
        for i in in_nav:
            if i not in reuse:
                entries[i] = _render_one(ctx, i, free=False)[0]
        nav_set = set(in_nav)
        todo = [i for i in range(len(doc_files)) if i not in reuse and i not in nav_set]
        workers = min(jobs, max(1, len(todo) // MIN_PAGES_PER_WORKER))
        worker_warnings = 0
        if workers > 1:
            for got, n_warn in _render_parallel(ctx, todo, workers):
                entries.update(got)
                worker_warnings += n_warn
        else:
            for i in todo:
                entries[i], _ = _render_one(ctx, i, free=True)
        for i, rec in reuse.items():
            target = Path(config.site_dir) / doc_files[i].dest_uri
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(previous_site / doc_files[i].dest_uri, target)
            except OSError:
                shutil.copy2(previous_site / doc_files[i].dest_uri, target)
            entries[i] = rec["search"]

        if search is not None:
            search.entries = [e for i in range(len(doc_files)) for e in entries.get(i, [])]
        config.plugins.on_post_build(config=config)

        counts = dict(warnings.get_counts())
        if worker_warnings:
            counts["WARNING"] = counts.get("WARNING", 0) + worker_warnings
        if config.strict and counts:
            raise Abort("Aborted with " + ", ".join(f"{v} {k.lower()}s" for k, v in counts.items()) + " in strict mode!")
    except Exception as e:
        config.plugins.on_build_error(error=e)
        raise
    finally:
        mk_logger.removeHandler(warnings)

    LAST_BUILD.update(mode="parallel" if workers > 1 else "in-process", jobs=workers, pages=len(doc_files),
                      rendered=len(doc_files) - len(reuse), reused=len(reuse), seconds=time.perf_counter() - t0)
    return {
        "version": MANIFEST_VERSION,
        "fingerprint": fp,
        "pages": {f.dest_uri: {"key": keys[i], "search": entries.get(i, [])} for i, f in enumerate(doc_files)},
    }


class _Ctx:
    """What a worker needs: inherited through fork, never pickled."""

    def __init__(self, config, files, doc_files, nav, env, search):
        self.config, self.files, self.doc_files, self.nav, self.env, self.search = config, files, doc_files, nav, env, search


_WORKER_CTX: _Ctx | None = None


def _search_index(config):
    for name in PARALLEL_SAFE_PLUGINS:
        plugin = config.plugins.get(name)
        if plugin is not None and plugin.config.enabled:
            return getattr(plugin, "search_index", None)
    return None


def _render_one(ctx: _Ctx, i: int, free: bool) -> tuple[list, None]:
    """Read, convert and write one page as `mkdocs build` does; return its search entries."""
    from mkdocs.commands import build as mkb

    page = ctx.doc_files[i].page
    if page.content is None:
        mkb._populate_page(page, ctx.config, ctx.files)
    n0 = len(ctx.search.entries) if ctx.search is not None else 0
    mkb._build_page(page, ctx.config, ctx.doc_files, ctx.nav, ctx.env)
    page.validate_anchor_links(files=ctx.files, log_level=ctx.config.validation.links.anchors)
    got: list = []
    if ctx.search is not None:
        got = ctx.search.entries[n0:]
        del ctx.search.entries[n0:]
    if free:  # a page outside the nav is never looked at again: keep memory flat
        page.markdown = page.content = None
        page.toc = []
    return got, None


def _render_chunk(chunk: list[int]) -> tuple[dict[int, list], int]:
    ctx = _WORKER_CTX
    assert ctx is not None
    counter = _warning_counter()
    try:
        return {i: _render_one(ctx, i, free=True)[0] for i in chunk}, counter.total()
    finally:
        logging.getLogger("mkdocs").removeHandler(counter)


class _WarningTotal(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.n = 0

    def emit(self, record):
        self.n += 1

    def total(self) -> int:
        return self.n


def _warning_counter() -> _WarningTotal:
    h = _WarningTotal()
    logging.getLogger("mkdocs").addHandler(h)
    return h


def _render_parallel(ctx: _Ctx, todo: list[int], workers: int):
    """Render `todo` in forked workers; yields ({page index: search entries}, warnings) per chunk."""
    import multiprocessing

    global _WORKER_CTX
    n_chunks = workers * 4
    size = max(1, math.ceil(len(todo) / n_chunks))
    chunks = [todo[k:k + size] for k in range(0, len(todo), size)]
    _WORKER_CTX = ctx
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_render_chunk, chunks)
    finally:
        _WORKER_CTX = None
