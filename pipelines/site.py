"""Stage 5: build the static site with MkDocs Material, and swap it in only when it is whole.

The build happens in a scratch folder beside the output (`stage_site`); the build swaps it in
at the very end, after storing the day's history, in one rename-exchange (`pipelines.atomic`),
so a failure or a crash at any point leaves the last good site or the new one, never none.

MkDocs has no incremental or parallel build, and at thousands of rep pages its cost is
per-page Markdown conversion, search indexing and theme rendering. So the pages are driven
through MkDocs' own build steps (the same functions `mkdocs build` calls, in the same order;
pyproject.toml pins MkDocs to the minor version whose internals these are) with two additions:

* pages outside the navigation (rep, coaching, team pages) are not rendered through the theme
  each: one Markdown converter serves them all and their HTML is their kind's theme shell,
  filled with the page's title, content and table of contents (`pipelines.shell`);
* pages are rendered by forked worker processes (`pipelines.workers`), one per core; each
  sends back the search index entries of its pages, which are put together in the order
  `mkdocs build` would use, so the site is byte-for-byte the one `mkdocs build` writes;
* a page whose Markdown, and everything else its HTML depends on (the mkdocs.yml settings,
  the versions of MkDocs and the theme, the navigation, the set of pages), are unchanged
  since the last build is not rendered again: its HTML is hard-linked from the previous site
  and its search entries come from a manifest kept next to the site (`.<out>-cache/`).

Only the search plugin is known to be safe to drive like this; with any other plugin the
build falls back to a plain `mkdocs build`. The settings `build.jobs: 1` turns off the workers
and `build.page_cache: false` the reuse of unchanged pages.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

from pipelines import blocks, fast_markdown, fast_search, page_packs, shell, workers
from pipelines.atomic import write_cache
from pipelines.errors import BuildError
from pipelines.settings import Build
from pipelines.template_cache import TemplateCache

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# 2: a packed page's key is the sha256 of its bytes as packed (`_source_key`), no longer of its file's.
MANIFEST_VERSION = 2
# Plugins whose only per-page state is the search index, which the workers hand back.
PARALLEL_SAFE_PLUGINS = {"search", "material/search"}
# Pages each worker must have, else forking costs more than it saves: a filled page takes about 1 ms, a
# worker's start and results about 0.1 s (a 50-rep org's 128 pages took 0.41 CPU s in-process, 0.50 in two).
MIN_PAGES_PER_WORKER = 150

log = logging.getLogger(__name__)


@dataclass
class SiteResult:
    """What the site stage did, returned so the build summary (and `make bench`) need not look inside it."""

    mode: str  # "parallel", "in-process", or "mkdocs build" (a plugin this driver cannot run in workers)
    pages: int | None  # markdown pages in the site; None after a plain `mkdocs build`
    rendered: int | None  # pages rendered by this build; the others were reused from the previous site
    reused: int
    workers: int
    seconds: float  # the MkDocs build itself; writing assets, filling blocks and the swap are the rest of the stage
    filled: int = 0  # pages filled into their kind's theme shell (pipelines.shell), not rendered through the theme
    fast_markdown: int = 0  # of those, pages whose Markdown pipelines.fast_markdown converted (not Python-Markdown)


def vega_bundle_file(cache_dir: Path) -> Path:
    """Where `vega_bundle` keeps the bundle of the installed vl-convert in `cache_dir`."""
    import vl_convert

    return cache_dir / f"vega-bundle-{getattr(vl_convert, '__version__', 'unknown')}.js"


def vega_bundle(cache_dir: Path | None = None) -> str:
    """vega + vega-lite + vega-embed as one script, cached per vl-convert version (making it takes seconds)."""
    import vl_convert

    cached = vega_bundle_file(Build().cache_path if cache_dir is None else cache_dir)
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle()
    write_cache(cached, bundle.encode("utf-8"))  # a read-only checkout still builds, just without the cache
    return bundle


def write_assets(docs_dir: Path, cache_dir: Path | None = None) -> None:
    """The scripts and styles every page loads, written into the site: nothing is fetched at view time."""
    assets = docs_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "vega.js").write_text(vega_bundle(cache_dir), encoding="utf-8")
    for name in ("charts.js", "tables.js", "scorecards.css"):
        shutil.copyfile(TEMPLATES / "assets" / name, assets / name)
    # Third-party code is vendored, with its licence, so the site loads nothing from outside.
    shutil.copytree(TEMPLATES / "assets" / "vendor", assets / "vendor", dirs_exist_ok=True)


def _render_yml(title: str, docs_dir, site_dir, site_url: str | None = None) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True)
    env.filters["tojson"] = lambda v: json.dumps(str(v))
    return env.get_template("mkdocs.yml.j2").render(
        title=title, docs_dir=docs_dir, site_dir=site_dir, site_url=site_url, overrides_dir=TEMPLATES / "overrides"
    )


def _mkdocs_yml(title: str, docs_dir: Path, site_dir: Path, target: Path, site_url: str | None = None) -> Path:
    target.write_text(_render_yml(title, docs_dir, site_dir, site_url), encoding="utf-8")
    return target


def cache_dir_for(out: Path) -> Path:
    return out.parent / f".{out.name}-cache"


def releases_dir_for(out: Path) -> Path:
    """Where sites live when `out` has to be a symlink (a system that cannot exchange two folders)."""
    return out.parent / f".{out.name}-releases"


# Scratch a build makes beside its output (pipelines/cli.py and this module); a killed build leaves them.
SCRATCH_PREFIXES = ("-build-", "-docs-", "-duckdb-", "-old-", "-link-")


def tidy(out: Path) -> list[Path]:
    """Remove what killed builds left beside `out`; the caller holds the site lock, so none of it is in use."""
    from pipelines import atomic

    out = out.parent.resolve() / out.name
    atomic.recover_folder(out)
    removed = atomic.sweep(out.parent, [f".{out.name}{p}" for p in SCRATCH_PREFIXES])
    removed += atomic.sweep(cache_dir_for(out), [""], keep=[cache_dir_for(out) / "pages.json"])
    releases = releases_dir_for(out)
    if releases.is_dir():
        current = [Path(os.path.realpath(out))] if out.is_symlink() else []
        removed += atomic.sweep(releases, [""], keep=current)
    return removed


@dataclass
class StagedSite:
    """A finished site in scratch, not yet visible: `swap` puts it at `out`, `discard` forgets it."""

    scratch: Path
    site_dir: Path
    out: Path
    result: SiteResult
    manifest: dict | None

    def swap(self) -> SiteResult:
        """Make the site live in one step (no moment without `out`), then record its pages for reuse."""
        from pipelines import atomic

        previous = atomic.swap_folder(self.site_dir, self.out, releases_dir_for(self.out))
        if previous is not None and previous != self.site_dir:  # else it is in scratch, for `discard`
            atomic.remove_folder(previous, self.result.pages or 0)
        manifest_path = cache_dir_for(self.out) / "pages.json"
        if self.manifest is not None:
            _write_manifest(manifest_path, self.manifest, self.out)
        else:
            shutil.rmtree(manifest_path.parent, ignore_errors=True)
        return self.result

    def discard(self) -> None:
        """Remove the scratch; a site folder still in it (this one, or the previous one after `swap`) is as
        large as the site, and goes in the background (`atomic.remove_folder`)."""
        from pipelines import atomic

        atomic.remove_folder(self.scratch, (self.result.pages or 0) if self.site_dir.exists() else 0)


def stage_site(
    title: str,
    docs_dir: Path,
    out: Path,
    *,
    jobs: int | None = None,
    reuse: bool = True,
    site_url: str | None = None,
    cache_dir: Path | None = None,
) -> StagedSite:
    """Render docs_dir into a finished site in a scratch folder beside `out`; nothing at `out` changes yet.

    `jobs` caps the workers (default: every core), `reuse` takes unchanged pages over from
    the previous site at `out`, `cache_dir` holds the Vega bundle (default: `build.cache_dir`).
    """
    from mkdocs.config import load_config as mkdocs_config

    out = out.parent.resolve() / out.name  # `out` itself may be a symlink to flip: never resolve it
    out.parent.mkdir(parents=True, exist_ok=True)
    write_assets(docs_dir, cache_dir)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    site_dir = scratch / "site"
    try:
        yml = _mkdocs_yml(title, docs_dir.resolve(), site_dir, scratch / "mkdocs.yml", site_url)
        logging.getLogger("mkdocs").setLevel(logging.WARNING)
        previous = _read_manifest(cache_dir_for(out) / "pages.json") if reuse and out.is_dir() else None
        try:
            config = mkdocs_config(config_file=str(yml))
            fingerprint_yml = _render_yml(title, "DOCS_DIR", "SITE_DIR", site_url)
            templates = (Build().cache_path if cache_dir is None else cache_dir) / "theme-templates"
            manifest, result = _build(config, fingerprint_yml, out if previous else None, previous, jobs, templates)
        except Exception as e:  # MkDocs raises many types; all mean "no site"
            raise BuildError(f"MkDocs could not build the site: {e}", yml) from e
        if result.mode == "mkdocs build":  # the driver fills the pages it writes; a plain build does not
            blocks.fill(site_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return StagedSite(scratch, site_dir, out, result, manifest)


def build_site(title: str, docs_dir: Path, out: Path, **options) -> SiteResult:
    """Render docs_dir into a finished site at `out` (replaced whole, only on success); see `stage_site`."""
    staged = stage_site(title, docs_dir, out, **options)
    try:
        return staged.swap()
    finally:
        staged.discard()


# --- the manifest of the last build -------------------------------------------------------------


def _read_manifest(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("version") == MANIFEST_VERSION else None


def _write_manifest(path: Path, manifest: dict, site: Path) -> None:
    """Record each page's output file as it now is in `site`: a page is reused only if still so."""
    root = str(site)
    for dest, rec in manifest["pages"].items():
        try:
            st = os.stat(os.path.join(root, dest))
        except OSError:
            rec["size"] = rec["mtime_ns"] = -1
            continue
        rec["size"], rec["mtime_ns"] = st.st_size, st.st_mtime_ns
    try:
        # default=str as Material's own search index has: an entry's front-matter value need not be JSON's.
        data = json.dumps(manifest, separators=(",", ":"), default=str).encode("ascii")  # non-ASCII escaped
    except ValueError:
        return  # no cache: the next build renders every page (this runs after the swap, so it must not fail it)
    write_cache(path, data)


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
    for module in (__file__, shell.__file__, fast_markdown.__file__, fast_search.__file__, blocks.__file__,
                   page_packs.__file__):  # a packed page's key is its bytes as packed
        h.update(Path(module).read_bytes())
    # Links are resolved against the set of files, so adding or removing a page renders all again.
    for f in files:
        h.update(f"{f.src_uri}\0{f.dest_uri}\n".encode("utf-8"))
    # Every page shows the navigation: its titles and where they point.
    for p in nav.pages:
        explicit = vars(p).get("title")
        h.update(f"nav\0{p.file.src_uri}\0{explicit}\n".encode("utf-8"))
    return h.hexdigest()


# --- the build ----------------------------------------------------------------------------------
#
# The steps of `mkdocs build` (mkdocs/commands/build.py), each a function below, in its order but for
# what no other step reads (the nav pages' HTML, the theme's files), done while the workers fill pages.


@dataclass
class _Run:
    """One build's MkDocs state; forked workers inherit it, so it is never pickled."""

    config: object
    files: object
    doc_files: list
    nav: object
    env: object
    search: object = None


def _build(config, fingerprint_yml: str, previous_site: Path | None, previous: dict | None,
           jobs: int | None, template_cache: Path | None = None) -> tuple[dict | None, SiteResult]:
    """`mkdocs build`, with pages rendered in parallel and unchanged pages reused; returns the manifest and figures.

    `template_cache` keeps the theme's compiled templates between builds (`pipelines.template_cache`)."""
    from mkdocs import utils
    from mkdocs.commands import build as mkb

    t0 = time.perf_counter()
    if not set(config.plugins) <= PARALLEL_SAFE_PLUGINS:
        page_packs.unpack(Path(config.docs_dir))  # MkDocs itself reads only files
        mkb.build(config)
        return None, SiteResult("mkdocs build", None, None, 0, 1, time.perf_counter() - t0)

    warnings = utils.CountHandler()
    warnings.setLevel(logging.WARNING)
    mk_logger = logging.getLogger("mkdocs")
    mk_logger.addHandler(warnings)
    try:
        run = _collect(config, template_cache)
        fp = _fingerprint(fingerprint_yml, run.files, run.nav)
        old_pages = previous["pages"] if previous and previous.get("fingerprint") == fp else {}
        keys: dict[int, str] = {}  # each page's key (`_source_key`), for the next build's reuse
        if old_pages and previous_site is not None:  # needed now, to tell which pages can be reused
            keys = {i: _source_key(f) for i, f in enumerate(run.doc_files)}
        reuse = _reusable(run.doc_files, keys, old_pages, previous_site)
        in_nav = _read_nav_pages(run, reuse)
        run.env = run.config.plugins.on_env(run.env, config=run.config, files=run.files)
        run.search = _search_index(run.config)
        entries, n_workers, worker_warnings, (filled, fast) = _render_pages(run, in_nav, reuse, jobs, keys)
        _link_reused(run, reuse, previous_site, entries)
        _finish(run, entries, dict(warnings.get_counts()), worker_warnings)
    except Exception as e:
        config.plugins.on_build_error(error=e)
        raise
    finally:
        mk_logger.removeHandler(warnings)
        page_packs.close_all()

    n = len(run.doc_files)
    result = SiteResult("parallel" if n_workers > 1 else "in-process", n, n - len(reuse), len(reuse), n_workers,
                        time.perf_counter() - t0, filled, fast)
    manifest = {
        "version": MANIFEST_VERSION,
        "fingerprint": fp,
        "pages": {f.dest_uri: {"key": keys[i], "search": entries.get(i, [])} for i, f in enumerate(run.doc_files)},
    }
    return manifest, result


def _collect(config, template_cache: Path | None = None) -> _Run:
    """Plugins' config and pre-build events, then the files, the theme and the navigation, as `mkdocs build` does;
    the theme's templates compiled once for all builds when there is a `template_cache` folder."""
    from mkdocs import utils
    from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page

    config = config.plugins.on_config(config)
    config.plugins.on_pre_build(config=config)
    utils.clean_directory(config.site_dir)
    files = _with_packed(get_files(config), config)
    env = config.theme.get_env()
    if template_cache is not None:
        env.bytecode_cache = TemplateCache.at(template_cache, env)
    files.add_files_from_theme(_ThemeListing.of(env), config)
    files = config.plugins.on_files(files, config=config)
    set_exclusions(files, config)
    nav = get_navigation(files, config)
    nav = config.plugins.on_nav(nav, config=config, files=files)
    doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
    for file in doc_files:
        if file.page is None and file.inclusion.is_not_in_nav():
            Page(None, file, config)
    return _Run(config, files, doc_files, nav, env)


def _with_packed(files, config):
    """The docs folder's files and its packed pages (`pipelines.page_packs`), in the order `get_files` gives a
    folder's files: each packed page where it would be as a file of its own. The packs themselves are left out
    (MkDocs would leave them out of the site too, a name starting with a dot): their names change every build,
    and the files are part of what a reused page is checked against (`_fingerprint`)."""
    from mkdocs.structure.files import File, Files, file_sort_key

    packed = page_packs.read_index(Path(config.docs_dir))
    pages = [f for f in files if f.src_uri.split("/", 1)[0] != page_packs.FOLDER]
    if not packed and len(pages) == len(files):
        return files
    for rel, entry in packed.items():
        f = File(rel, config.docs_dir, config.site_dir, config.use_directory_urls)
        f.packed = entry
        pages.append(f)
    return Files(sorted(pages, key=file_sort_key))


def _source(file) -> bytes:
    """A docs page's bytes: from its pack (`pipelines.page_packs`), or its own file."""
    entry = getattr(file, "packed", None)
    if entry is not None:
        return page_packs.read(Path(file.src_dir), entry)
    return Path(file.abs_src_path).read_bytes()


def _source_key(file) -> str:
    """A docs page's key in the manifest: the sha256 of its file, or of a packed page's bytes as its pack holds them
    (the same page is always packed as the same bytes, and hashing them needs no file to be made of them)."""
    entry = getattr(file, "packed", None)
    return _key(page_packs.read_raw(Path(file.src_dir), entry) if entry is not None else _source(file))


class _ThemeListing:
    """The theme's environment as `Files.add_files_from_theme` reads it: its templates listed without walking a
    folder whose name starts with a dot.

    MkDocs lists every file of the theme folders (Jinja's `FileSystemLoader.list_templates`) and keeps those its
    filter lets through; the filter turns down every name with a part that starts with a dot ('.*', '*/.*'),
    and Material's `.icons` folder alone holds some 14,000 of the 14,500 files: listing and filtering them took
    37 ms of every build (a tenth of a 50-rep org's site stage). The names are made as Jinja makes them, and
    MkDocs' own filter still decides, so the files added are the same.
    """

    def __init__(self, loader: jinja2.FileSystemLoader):
        self.loader = loader

    @classmethod
    def of(cls, env: jinja2.Environment):
        """This listing for a theme environment with Jinja's file system loader, else `env` itself."""
        return cls(env.loader) if type(env.loader) is jinja2.FileSystemLoader else env

    def list_templates(self, filter_func) -> list[str]:
        found = set()
        for searchpath in self.loader.searchpath:
            for dirpath, dirnames, filenames in os.walk(searchpath, followlinks=self.loader.followlinks):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for filename in filenames:
                    template = os.path.join(dirpath, filename)[len(searchpath):].strip(os.path.sep)
                    template = template.replace(os.path.sep, "/")
                    found.add(template[2:] if template[:2] == "./" else template)
        return [name for name in sorted(found) if filter_func(name)]


def _reusable(doc_files, keys: dict[int, str], old_pages: dict, previous_site: Path | None) -> dict[int, dict]:
    """Pages that can be taken over from the previous site as they are: same markdown, output file untouched."""
    reuse: dict[int, dict] = {}
    if previous_site is None:
        return reuse
    for i, f in enumerate(doc_files):
        rec = old_pages.get(f.dest_uri)
        if not rec or rec["key"] != keys[i]:
            continue
        try:
            st = os.stat(previous_site / f.dest_uri)
        except OSError:
            continue
        if st.st_size == rec["size"] and st.st_mtime_ns == rec["mtime_ns"]:
            reuse[i] = rec
    return reuse


def _read_nav_pages(run: _Run, reuse: dict[int, dict]) -> list[int]:
    """Read the pages in the navigation first and return their indexes.

    `mkdocs build` reads every page before writing any: every page shows the navigation, its
    titles and its pages' front matter (Material's nav shows a page's `icon`, `status`...). Only
    nav pages are in it, so only they are read up front. A page whose title the navigation does
    not give (it is then its first heading) is rendered here; the others only read (their front
    matter), and rendered while the workers fill the other pages (`_render_pages`): the nav pages'
    Markdown was a fifth of the one-core time before the workers start, at 5,000 reps.
    """
    from mkdocs.commands import build as mkb

    nav_ids = {id(p) for p in run.nav.pages}
    in_nav = [i for i, f in enumerate(run.doc_files) if id(f.page) in nav_ids]
    for i in in_nav:
        page = run.doc_files[i].page
        if "title" not in vars(page):
            mkb._populate_page(page, run.config, run.files)
        elif i not in reuse:
            page.read_source(run.config)
    return in_nav


def _write_theme(run: _Run) -> None:
    """The static files and theme templates (`mkdocs build` writes them before the pages; no page reads them,
    so they are written while the workers fill pages). The env event ran before the workers forked."""
    from mkdocs.commands import build as mkb
    from mkdocs.structure.files import InclusionLevel

    run.files.copy_static_files(inclusion=InclusionLevel.is_included)
    for template in run.config.theme.static_templates:
        mkb._build_theme_template(template, run.env, run.files, run.config, run.nav)
    for template in run.config.extra_templates:
        mkb._build_extra_template(template, run.files, run.config, run.nav)


def _render_pages(run: _Run, in_nav: list[int], reuse: dict[int, dict], jobs: int | None,
                  keys: dict[int, str]) -> tuple[dict[int, list], int, int, tuple[int, int]]:
    """Render every page not reused: nav pages here, the rest in workers; returns entries, workers, their
    warnings, and how many pages were filled into a shell and how many of those converted by fast_markdown.
    Each page rendered has its key put in `keys`: the workers hash the Markdown they read anyway.

    Nav pages stay in this process, rendered the ordinary way, with the theme's static files and templates,
    while the workers fill the others into their kind's shell (`pipelines.shell`); with one worker, after
    it. Warnings logged in a worker are counted there and added up here; in this process the build's own
    handler already counts them.
    """
    entries: dict[int, list] = {}

    def nav_pages_and_theme() -> None:
        for i in in_nav:
            if i not in reuse:
                entries[i] = _render_one(run, i, free=False)
                if i not in keys:  # known already when the previous build's pages were looked at for reuse
                    keys[i] = _source_key(run.doc_files[i])
        _write_theme(run)

    nav_set = set(in_nav)
    todo = [i for i in range(len(run.doc_files)) if i not in reuse and i not in nav_set]
    shells = shell.Shells.prepare(run) if todo else None

    def counts() -> tuple[int, int]:
        return (shells.filled, shells.fast_pages) if shells else (0, 0)

    def chunk(indexes: list[int]) -> tuple[dict[int, list], int, tuple[int, int]]:
        counter = _WarningTotal()
        logging.getLogger("mkdocs").addHandler(counter)
        before = counts()
        try:
            got = {i: _render_filled(run, i, shells, keys.get(i)) for i in indexes}
            return got, counter.n, tuple(n - b for n, b in zip(counts(), before))
        finally:
            logging.getLogger("mkdocs").removeHandler(counter)

    results, n_workers = workers.fork_map(chunk, todo, jobs=jobs, min_per_worker=MIN_PAGES_PER_WORKER,
                                          meanwhile=nav_pages_and_theme)
    for got, _, _ in results:
        for i, (key, page_entries) in got.items():
            keys.setdefault(i, key)
            entries[i] = page_entries
    worker_warnings = sum(n for _, n, _ in results) if n_workers > 1 else 0
    return entries, n_workers, worker_warnings, tuple(map(sum, zip((0, 0), *(f for _, _, f in results))))


def _link_reused(run: _Run, reuse: dict[int, dict], previous_site: Path | None, entries: dict[int, list]) -> None:
    """Hard-link each reused page's HTML from the previous site (copy across filesystems); take its search entries."""
    for i, rec in reuse.items():
        dest = run.doc_files[i].dest_uri
        target = Path(run.config.site_dir) / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(previous_site / dest, target)
        except OSError:
            shutil.copy2(previous_site / dest, target)
        entries[i] = rec["search"]


def _finish(run: _Run, entries: dict[int, list], counts: dict[str, int], worker_warnings: int) -> None:
    """The search index in page order, the post-build event, and strict mode's verdict on the warnings."""
    from mkdocs.exceptions import Abort

    if run.search is not None:
        run.search.entries = [e for i in range(len(run.doc_files)) for e in entries.get(i, [])]
    run.config.plugins.on_post_build(config=run.config)
    if worker_warnings:
        counts["WARNING"] = counts.get("WARNING", 0) + worker_warnings
    if run.config.strict and counts:
        raise Abort("Aborted with " + ", ".join(f"{v} {k.lower()}s" for k, v in counts.items()) + " in strict mode!")


def _search_index(config):
    for name in PARALLEL_SAFE_PLUGINS:
        plugin = config.plugins.get(name)
        if plugin is not None and plugin.config.enabled:
            return getattr(plugin, "search_index", None)
    return None


def _render_one(run: _Run, i: int, free: bool) -> list:
    """Read, convert and write one page as `mkdocs build` does; return its search entries."""
    from mkdocs.commands import build as mkb

    page = run.doc_files[i].page
    if page.content is None:
        mkb._populate_page(page, run.config, run.files)
    n0 = len(run.search.entries) if run.search is not None else 0
    mkb._build_page(page, run.config, run.doc_files, run.nav, run.env)
    blocks.fill_file(Path(page.file.abs_dest_path))
    page.validate_anchor_links(files=run.files, log_level=run.config.validation.links.anchors)
    if free:
        _forget(page)
    return _entries_since(run, n0)


def _entries_since(run: _Run, n0: int) -> list:
    """The search entries added since there were n0, taken out of the index (the parent puts them in order)."""
    if run.search is None:
        return []
    got = run.search.entries[n0:]
    del run.search.entries[n0:]
    return got


def _forget(page) -> None:
    """A page outside the nav is never looked at again: keep memory flat."""
    page.markdown = page.content = None
    page.toc = []


def _render_filled(run: _Run, i: int, shells: shell.Shells, key: str | None = None) -> tuple[str, list]:
    """A page outside the nav: what `_populate_page` and `_build_page` do, with one Markdown converter for all
    pages and the theme's HTML from the page's kind's shell; its blocks filled before it is written.
    Returns its key (`key` when it is known already) and its search entries."""
    from mkdocs import utils as mkdocs_utils
    from mkdocs.commands import build as mkb

    page, config = run.doc_files[i].page, run.config
    config._current_page = page
    page.active = True
    try:
        page = config.plugins.on_pre_page(page, config=config, files=run.files)
        key, page_blocks = _read_source(page, config, key)
        page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=run.files)
        shells.convert(page)
        page.content = config.plugins.on_page_content(page.content, page=page, config=config, files=run.files)
        n0 = len(run.search.entries) if run.search is not None else 0
        shells.page_context(page, lambda: config.plugins.on_page_context({}, page=page, config=config, nav=run.nav))

        def theme(p) -> str:
            context = mkb.get_context(run.nav, run.doc_files, config, p)
            return run.env.get_template(p.meta.get("template", "main.html")).render(context)

        output = shells.html(page, theme) or theme(page)
        output = config.plugins.on_post_page(output, page=page, config=config)
        output = blocks.fill_text(output, page_blocks) or output
        mkdocs_utils.write_file(output.encode("utf-8", errors="xmlcharrefreplace"), page.file.abs_dest_path)
        page.validate_anchor_links(files=run.files, log_level=config.validation.links.anchors)
    except Exception as e:
        logging.getLogger("mkdocs").error(f"Error building page '{page.file.src_uri}': {e}")
        raise
    finally:
        page.active = False
        config._current_page = None
    _forget(page)
    return key, _entries_since(run, n0)


def _key(markdown: bytes) -> str:
    """A page's key in the manifest: the sha256 of its Markdown file, or of a packed page's bytes as packed."""
    return hashlib.sha256(markdown).hexdigest()


def _read_source(page, config, key: str | None = None) -> tuple[str, list[str] | None]:
    """`Page.read_source` then `blocks.take`, the file read once: returns the page's key (`_source_key`, unless
    `key` is given: an incremental build hashed every page already) and its blocks.

    The text is what `File.content_string` reads: UTF-8 (a byte-order mark dropped), universal newlines.
    The blocks are taken out of the bytes before they are decoded when the front matter ends before them
    (so MkDocs reads the same front matter and `take` would cut at the same place), else out of the text.
    A packed page is read from its parts, no JSON (`_read_apart`), unless that might read it otherwise: then
    as the file `page_packs.read` makes of it, in the same way as any file.
    """
    log = logging.getLogger("mkdocs.structure.pages")
    source = config.plugins.on_page_read_source(page=page, config=config)
    entry = getattr(page.file, "packed", None)
    if source is None and entry is not None:
        apart = _read_apart(page, entry)
        if apart is not None:
            page.markdown, page.meta = _front_matter(apart[1])
            return key or apart[0], apart[2]
    try:
        data = _source(page.file)
        if entry is not None and key is None:  # a packed page's key is its bytes' as packed, whichever way it is read
            key = _source_key(page.file)
    except OSError:
        log.error(f"File not found: {page.file.src_path}")
        raise
    except ValueError:  # a damaged pack's text that does not decode (a file's is decoded below)
        log.error(f"Encoding error reading file: {page.file.src_path}")
        raise
    if source is None:
        early = _taken_early(data)
        if early is not None:
            page.markdown, page.meta = _front_matter(early[0])
            return key or _key(data), early[1]
        try:
            source = _decoded(data)
        except ValueError:
            log.error(f"Encoding error reading file: {page.file.src_path}")
            raise
    page.markdown, page.meta = _front_matter(source)
    page.markdown, page_blocks = blocks.take(page.markdown)
    return key or _key(data), page_blocks


# A front matter's first line when it is a title in double quotes that YAML reads as it is written: no
# escape, quote, tab, line break (YAML's include \x85, \u2028 and \u2029) or character YAML refuses.
_TITLE_LINE = re.compile(r'title: "([^"\\\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*)"\n')


def _front_matter(doc: str) -> tuple[str, dict]:
    """`mkdocs.utils.meta.get_data(doc)`: the Markdown after the front matter, and the front matter.

    Pages of a kind differ in their front matter's title alone, and YAML took 60 us a page to read it:
    a title line as `_TITLE_LINE` has it is read here, and the rest of the front matter (the same on
    thousands of pages) by YAML once per process (`_after_title`).
    """
    from mkdocs.utils import meta

    m = meta.YAML_RE.match(doc)
    title = _TITLE_LINE.match(m.group(1)) if m else None
    rest = _after_title(m.group(1)[title.end():]) if title else None
    if rest is None:
        return meta.get_data(doc)
    return doc[m.end():].lstrip("\n"), {"title": title.group(1), **copy.deepcopy(rest)}


@functools.lru_cache(maxsize=64)
def _after_title(rest: str) -> dict | None:
    """The front matter's keys after a title line, if YAML reads that line and `rest` together as the title
    followed by what it reads in `rest` alone (not so for an indented or flow-style `rest`, or a second title);
    else None."""
    import yaml
    from mkdocs.utils import meta

    try:
        alone = yaml.load(rest, meta.SafeLoader) if rest else {}
        together = yaml.load('title: "T"\n' + rest, meta.SafeLoader)
    except Exception:  # as `get_data`: a front matter YAML cannot read is none
        return None
    if not isinstance(alone, dict) or "title" in alone or together != {"title": "T", **alone}:
        return None
    return alone if list(together) == ["title", *alone] else None


def _read_apart(page, entry) -> tuple[str, str, list[str]] | None:
    """A packed page read as `_taken_early` reads its file, from its parts (no JSON): its key, its text with an
    empty blocks comment, and its blocks; None when the file's way might read it otherwise (no blocks, a
    blocks mark of its own, no front matter or one that does not end before the comment, as `_taken_early`
    asks) or it does not decode: the file's way then reads it, from `page_packs.read`."""
    from mkdocs.utils import meta

    try:
        raw = page_packs.read_raw(Path(page.file.src_dir), entry)
        markdown, parts = page_packs.parts(raw)
        text = _decoded(markdown)  # decoded before the comment is added: it holds no byte-order mark or "\r"
        found = [p.decode("utf-8", "surrogatepass") for p in parts]
    except (OSError, ValueError):  # for the error the file's way gives, and logs
        return None
    if not found or blocks.MARK in text:
        return None
    short = blocks.emptied(text)
    front = meta.YAML_RE.match(short)
    if front is None or short.find(blocks.MARK) < front.end():
        return None
    return _key(raw), short, found


def _taken_early(data: bytes) -> tuple[str, list[str]] | None:
    """The file's text with its blocks comment emptied, and its blocks; None unless the comment lies after
    the front matter and the text decodes (else the whole file is decoded, for MkDocs' own error)."""
    from mkdocs.utils import meta

    try:
        taken = blocks.take_bytes(data)
        short = _decoded(taken[0]) if taken else ""
    except ValueError:  # a comment that is not the blocks' (in the front matter, say) or text that does not decode
        return None
    front = meta.YAML_RE.match(short)
    if front is None or short.find(blocks.MARK) < front.end():
        return None
    return short, taken[1]


def _decoded(data: bytes) -> str:
    """The text `File.content_string` reads from these bytes."""
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


class _WarningTotal(logging.Handler):
    """Counts the warnings a worker logs, so strict mode sees them in the parent."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.n = 0

    def emit(self, record):
        self.n += 1
