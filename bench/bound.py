"""The lower bound a build of an org is measured against, in the same run on the same machine.

What no build of the org can avoid: running the SQL models in DuckDB, and writing as many
HTML files of the same total size as the built site has. Everything a build spends above
it (reading extracts, data tests, Jinja2, Markdown, MkDocs, search) is the price of the
tooling, and the `× bound` column says how large that price is.

It runs in its own process (`python -m bench.bound`), so the bench process stays small and
DuckDB's memory is that process's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.builds import run_process, set_aside


def measure(config: Path, files: int, total_bytes: int, scratch: Path) -> dict:
    """Seconds of the models' SQL alone, and of writing `files` HTML files of `total_bytes` in all."""
    sql_seconds = _models_sql(config, scratch)
    write_seconds = _write_html(scratch / "site", max(1, files), total_bytes)
    return {"models_sql": sql_seconds, "write_html": write_seconds, "total": sql_seconds + write_seconds}


def _models_sql(config: Path, scratch: Path) -> float:
    """Extract and load untimed, then time each model's `create table` in dependency order (no data tests)."""
    import duckdb

    from pipelines import cli, extract, load, models
    from pipelines.catalog import load_catalog

    cfg = cli.prepare(config)
    if cfg.as_of is None:
        raise SystemExit(f"{config}: the lower bound needs as_of set (the demo orgs set it)")
    con = duckdb.connect()
    try:
        extracted = extract.extract(cfg, con)
        load.load(con, extracted, scratch / "warehouse", cfg.as_of, cfg=cfg, keep_history=False)
        catalog = load_catalog()
        models.prepare(con, cfg, catalog, cfg.as_of)
        start = time.perf_counter()
        for m in catalog.models:
            models.run_model(con, m)  # as the build makes it: a table, or a view (`materialized: view`)
        return time.perf_counter() - start
    finally:
        con.close()


def _write_html(site: Path, files: int, total_bytes: int) -> float:
    """Seconds to write `files` index.html files, one folder each, `total_bytes` in all."""
    size, extra = divmod(total_bytes, files)
    body = b"<!doctype html>" + b"x" * max(0, size - 15)
    start = time.perf_counter()
    for i in range(files):
        d = site / f"p{i:06d}"
        os.makedirs(d, exist_ok=True)
        with open(d / "index.html", "wb") as fh:
            fh.write(body + (b"x" * extra if i == 0 else b""))
    return time.perf_counter() - start  # the files are deleted with the scratch, once timing is over


def run(config: Path, files: int, total_bytes: int, work: Path) -> dict:
    """The bound for one org, measured in its own process; {"error": ...} if it failed."""
    scratch = Path(tempfile.mkdtemp(prefix=".bound-", dir=work))
    result = scratch / "bound.json"
    try:
        measured = run_process(["-m", "bench.bound", "--config", str(config), "--files", str(files),
                                "--bytes", str(total_bytes), "--scratch", str(scratch), "--result", str(result)])
        if measured.returncode != 0:
            return measured.error()
        return json.loads(result.read_text(encoding="utf-8"))
    finally:
        set_aside(scratch)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bound", description="Measure the lower bound of one org's build.")
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--files", type=int, required=True, help="HTML files the built site has")
    p.add_argument("--bytes", type=int, required=True, help="bytes the built site has")
    p.add_argument("--scratch", type=Path, required=True, help="a folder to write into (emptied by the caller)")
    p.add_argument("--result", type=Path, required=True, help="where the figures go, as JSON")
    a = p.parse_args(argv)
    a.result.write_text(json.dumps(measure(a.config, a.files, a.bytes, a.scratch)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
