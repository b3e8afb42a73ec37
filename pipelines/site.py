"""Stage 5: build the static site with MkDocs Material, and swap it in only when it is whole.

The build happens in a scratch folder beside the output; the previous site is replaced by
a rename at the very end, so a failure at any stage leaves the last good site in place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import jinja2

from pipelines.errors import BuildError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CACHE = Path(__file__).resolve().parent.parent / ".cache"


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


def _mkdocs_yml(title: str, docs_dir: Path, site_dir: Path, target: Path) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True)
    env.filters["tojson"] = lambda v: json.dumps(str(v))
    target.write_text(
        env.get_template("mkdocs.yml.j2").render(title=title, docs_dir=docs_dir, site_dir=site_dir), encoding="utf-8"
    )
    return target


def swap_in(new: Path, out: Path) -> None:
    """Replace `out` with `new` by renames, so readers never see a half-written site."""
    old = out.parent / f".{out.name}-old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    new.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def build_site(title: str, docs_dir: Path, out: Path) -> Path:
    """Render docs_dir into a finished site at `out` (replaced whole, only on success)."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config as mkdocs_config

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_assets(docs_dir)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    site_dir = scratch / "site"
    try:
        yml = _mkdocs_yml(title, docs_dir.resolve(), site_dir, scratch / "mkdocs.yml")
        logging.getLogger("mkdocs").setLevel(logging.WARNING)
        try:
            mkdocs_build(mkdocs_config(config_file=str(yml)))
        except Exception as e:  # MkDocs raises many types; all mean "no site"
            raise BuildError(f"MkDocs could not build the site: {e}", yml) from e
        swap_in(site_dir, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return out
