"""Pages and site for every audience: one complete site each, from one extract, one load and one model run.

Without `audiences:` this is the one site of the build, as it always was. With them, each audience's
pages are rendered from the same bundle of mart rows (fetched once) into a site of its own in
`<out>/<name>/`, with its own navigation, search index, downloads, sitemap and 404; the files the
host needs to gate them (`pipelines.access`) go beside them. Files that come out the same in two
audiences (the theme, the chart bundle, a rep page both may see) are hard-linked, not stored twice.
All of it is staged in one scratch folder and swapped in as one, like a single site.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from pipelines import access, atomic, audiences
from pipelines import pages as pages_stage
from pipelines import site as site_stage
from pipelines.models import release
from pipelines.page_data import load_bundle


@dataclass
class AudienceSites:
    """The staged output and what each audience's pages stage wrote."""

    staged: site_stage.StagedSite
    pages: list[pages_stage.PagesResult]
    names: list[str]


def stage(cfg, con, catalog, as_of, out: Path, timer) -> AudienceSites:
    """Render and stage every audience's site (or the one site); nothing at `out` changes until `swap`."""
    made: list[Path] = []  # scratch docs folders, removed whatever happens
    pages = 0  # the site's pages once it is staged: the docs folders' size, for `atomic.remove_folder`
    try:
        drafts = _pages(cfg, con, catalog, as_of, out, timer, made)
        release(con, set())  # the pages and downloads hold the marts now: MkDocs needs nothing from DuckDB
        sites = _sites(cfg, out, timer, drafts)
        pages = sites.staged.result.pages or 0
        return sites
    finally:
        for docs in made:
            atomic.remove_folder(docs, pages)


def _pages(cfg, con, catalog, as_of, out: Path, timer, made: list[Path]) -> list[tuple]:
    """Every audience's pages, each into a scratch docs folder (added to `made` as it is made):
    (audience, PagesResult, docs folder) each.

    The mart rows the pages are made of (the bundle) live only in here: by the time MkDocs runs,
    the largest thing this build held in Python is gone.
    """

    def docs_for(aud: audiences.Audience) -> Path:
        made.append(Path(tempfile.mkdtemp(prefix=f".{out.name}-docs-{aud.name}", dir=out.parent)))
        return made[-1]

    # The one site (no audiences): its downloads need nothing from the page data, so they start now, on a
    # thread, while that is read (`pages.start_downloads`); not when the build is told to use one core.
    single = None if cfg.audiences else audiences.resolve(cfg, [])[0]
    single_docs = docs_for(single) if single is not None else None
    downloads = None
    try:
        with timer.stage("pages"):  # reading the marts is the pages' work, and a second of it at 5,000 reps
            if single is not None and cfg.build.jobs != 1:
                downloads = pages_stage.start_downloads(cfg, con, catalog, single_docs, single)
            bundle = load_bundle(con, cfg.site.recent_quarters)
        drafts = []
        for aud in [single] if single is not None else audiences.resolve(cfg, list(bundle.by_team)):
            docs = single_docs if single is not None else docs_for(aud)
            with timer.stage("pages"):
                rendered = pages_stage.render(cfg, con, catalog, as_of, docs, audience=aud, bundle=bundle,
                                              downloads=downloads)
            drafts.append((aud, rendered, docs))
        return drafts
    except BaseException:
        if downloads is not None:  # stopped before its docs folder goes and the connection closes
            downloads.stop(cancel=True)
        raise


def _sites(cfg, out: Path, timer, drafts: list[tuple]) -> AudienceSites:
    """Each audience's site from its pages: `out` itself without audiences, else `<out>/<name>/` each."""
    if not drafts[0][0].name:  # no audiences: the site is `out` itself
        _, rendered, docs = drafts[0]
        staged = _site(cfg, docs, out, timer, cfg.site.url, cfg.build.page_cache)
        return AudienceSites(staged, [rendered], [""])
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    root = scratch / "site"
    root.mkdir()
    try:
        results = []
        for aud, _, docs in drafts:
            url = f"{cfg.site.url.rstrip('/')}/{aud.name}/" if cfg.site.url else None
            staged = _site(cfg, docs, scratch / aud.name, timer, url, False)
            try:
                staged.site_dir.rename(root / aud.name)
            finally:
                staged.discard()
            results.append(staged.result)
        resolved = [aud for aud, _, _ in drafts]
        access.write(root, resolved, cfg.site.title, cfg.site.oauth2_proxy_url)
        link_identical(root, [a.name for a in resolved])
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return AudienceSites(site_stage.StagedSite(scratch, root, out, _sum(results), None),
                         [rendered for _, rendered, _ in drafts], [a.name for a in resolved])


def _site(cfg, docs: Path, out: Path, timer, site_url, reuse):
    """One audience's site staged beside `out` from its docs folder."""
    with timer.stage("site"):
        return site_stage.stage_site(cfg.site.title, docs, out, site_url=site_url, jobs=cfg.build.jobs,
                                     reuse=reuse, cache_dir=cfg.build.cache_path)


def _sum(results: list[site_stage.SiteResult]) -> site_stage.SiteResult:
    """The site figures of all audiences together: pages and seconds added up, the most workers any used."""
    first = results[0]
    total = {f.name: getattr(first, f.name) for f in fields(first)}
    for key in ("pages", "rendered", "reused", "seconds", "filled", "fast_markdown"):
        values = [getattr(r, key) for r in results]
        total[key] = None if None in values else sum(values)
    total["workers"] = max(r.workers for r in results)
    return site_stage.SiteResult(**total)


def link_identical(root: Path, names: list[str]) -> int:
    """Hard-link each file of a later audience that is byte for byte the file at the same path of the first
    audience that has it; the number of files linked."""
    linked = 0
    seen: dict[str, Path] = {}
    for name in names:
        base = root / name
        for path in sorted(p for p in base.rglob("*") if p.is_file() and not p.is_symlink()):
            rel = str(path.relative_to(base))
            first = seen.setdefault(rel, path)
            if first is path or first.stat().st_size != path.stat().st_size:
                continue
            if filecmp.cmp(first, path, shallow=False):
                tmp = path.with_name(f".{path.name}.link")
                os.link(first, tmp)
                tmp.replace(path)
                linked += 1
    return linked
