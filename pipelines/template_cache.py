"""Compiled Jinja templates kept between builds, for the theme (site stage) and the page templates (pages stage).

Compiling a template costs far more than loading its compiled code: Material's templates were half the site
stage of a 50-rep org, and the page templates (rep, coaching, team pages and their macros) about 0.2 s of
every build's pages stage, once per audience site.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import jinja2


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """Templates as Jinja compiles them, in a folder of `build.cache_dir`.

    Jinja loads a template's compiled code only if the template's source is the one compiled. The folder the
    code is kept in is named after what else shapes it: the versions of Jinja (its own check is only of the
    Python version), MkDocs and the theme, and the environment's syntax and extensions (MkDocs adds i18n when
    Babel is installed). Other folders in `directory` (an upgrade's leftovers) are removed, so the cache does
    not grow with upgrades: each environment needs a `directory` of its own. A cache that cannot be written is
    no cache: the build compiles as before. A damaged file (a crash or a full disk mid-write) is compiled
    again, never a failed build.
    """

    @classmethod
    def at(cls, directory: Path, env: jinja2.Environment) -> TemplateCache | None:
        salt = compile_settings(env)
        folder = directory / hashlib.sha256(salt.encode("utf-8")).hexdigest()[:16]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stale = [p for p in directory.iterdir() if p != folder]
        except OSError:
            return None
        for old in stale:
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)
        return cls(str(folder))

    def load_bytecode(self, bucket) -> None:
        # Jinja guards only the marshal load: a file cut short in its checksum header raises here instead.
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _setting(value) -> str:
    """A setting as text that is the same in every process: a function by its name, not its address."""
    if callable(value):
        return f"{getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', type(value).__qualname__)}"
    return repr(value)


def _pass_arg(func) -> str:
    arg = getattr(func, "jinja_pass_arg", None)
    return getattr(arg, "name", str(arg))


def _sources(objects) -> list[str]:
    """A hash of each module that defines one of `objects`: the code generator, the filters and tests are code
    people edit, and a cached template must not outlive the code that compiled it."""
    out = []
    for name in sorted({getattr(obj, "__module__", None) or type(obj).__module__ for obj in objects}):
        file = getattr(sys.modules.get(name), "__file__", None)
        try:
            out.append(f"{name}={hashlib.sha256(Path(file).read_bytes()).hexdigest()}" if file else f"{name}=built in")
        except OSError:
            out.append(f"{name}=?")
    return out


def compile_settings(env: jinja2.Environment) -> str:
    """What, besides a template's source, its compiled code depends on, as text.

    Jinja compiles into a template whether each filter and test exists and what it is passed (the context, the
    environment), so their names and pass arguments count, as do the files that define them and the code
    generator. Jinja also computes a filter of constants into the code unless the filter takes the context: a
    filter that reads state set at run time must (pipelines.page_env makes the project's filters do so).
    """
    from importlib.metadata import PackageNotFoundError, version

    def installed(dist: str) -> str:
        try:
            return version(dist)
        except PackageNotFoundError:
            return "?"

    names = ("block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
             "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
             "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "optimized",
             "autoescape", "finalize", "is_async", "newstyle_gettext", "code_generator_class")
    settings = [installed(d) for d in ("jinja2", "mkdocs", "mkdocs-material")]
    settings += [f"{type(env).__module__}.{type(env).__qualname__}"]
    settings += [f"{n}={_setting(getattr(env, n, None))}" for n in names]
    settings += sorted(f"{type(e).__module__}.{type(e).__qualname__}" for e in env.extensions.values())
    for kind, funcs in (("filter", env.filters), ("test", env.tests)):
        settings += sorted(f"{kind} {name}={_setting(f)} pass={_pass_arg(f)}" for name, f in funcs.items())
    settings += _sources([type(env), env.code_generator_class, env.finalize, *env.filters.values(),
                          *env.tests.values()])
    return "\n".join(settings)
