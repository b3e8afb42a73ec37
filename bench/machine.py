"""What a results file says about where it was measured: the checkout, the machine, the packages.

Two results files are only comparable on the same machine and load, so each carries them.
"""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def checkout() -> dict:
    """The commit measured, and whether tracked files differed from it."""
    return {"sha": git("rev-parse", "--short=12", "HEAD") or "nogit",
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def environment() -> dict:
    """Python, platform, usable cores, memory and the versions of the packages that set the pace."""
    from importlib.metadata import PackageNotFoundError, version

    from pipelines.workers import available_cores

    versions = {}
    for dist in ("duckdb", "mkdocs", "mkdocs-material", "markdown", "jinja2", "altair", "psutil"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            versions[dist] = None
    mem = None
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": available_cores(),
            "memory_gib": round(mem, 1) if mem else None, "packages": versions}


def load_average() -> tuple[float, float, float] | None:
    return os.getloadavg() if hasattr(os, "getloadavg") else None
