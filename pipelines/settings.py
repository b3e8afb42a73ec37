"""config.yml, declared as data with help text, validated before anything runs.

Every key has a default and a description; `docs/config` and the tests read the same
declarations, so a key cannot exist without being documented.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.errors import ConfigError
from pipelines.schema import TABLES

PRESETS_DIR = Path(__file__).parent / "presets"
# Relative folders in `build:` are relative to the project, not to config.yml: a cache is the
# checkout's, shared by every config built from it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What DuckDB's memory_limit accepts: an amount with a unit, or a share of the machine's memory.
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(%|[kmgt]i?b?|bytes?|(kilo|mega|giga|tera)bytes?)\s*$", re.I)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(Strict):
    path: str = Field(description="A file or glob (CSV, Parquet or JSON), relative to config.yml or to extracts_dir.")
    format: Literal["auto", "csv", "parquet", "json"] = Field("auto", description="File format; auto uses the file extension.")
    columns: dict[str, Union[str, list[str]]] = Field(
        default_factory=dict,
        description="Canonical column -> source column name, a DuckDB SQL expression over the source columns, "
        "or a list of candidates: the first that is a column of the file, or an expression whose columns all "
        "exist, wins. A constant last candidate (e.g. \"'(unassigned)'\") is a fallback the build reports as a "
        "note. `parse_date(x)` reads any recognised date. Unmapped canonical columns default to a source "
        "column of the same name.",
    )
    delimiter: str | None = Field(None, description="CSV delimiter; detected among , ; tab and | when empty.")
    date_format: str | None = Field(
        None, description="strptime format for every date column of this file (e.g. %d/%m/%Y); detected when empty."
    )
    optional: bool = Field(False, description="Skip quietly when no file matches (presets use it for tables a CRM may not export).")


class Stage(Strict):
    name: str = Field(description="Stage name exactly as the CRM writes it.")
    kind: Literal["open", "won", "lost"] = Field(description="open, won or lost.")
    probability: float | None = Field(None, ge=0, le=1, description="Win probability 0-1, used for the weighted pipeline.")


class Demo(Strict):
    reps: int = Field(60, ge=4, le=20000, description="Number of reps in the generated demo org.")
    seed: int = Field(42, description="Random seed; the same seed gives byte-identical extracts.")


class Targets(Strict):
    """Targets are per role: a number applies to every role, a mapping gives per-role values with `default`."""

    pipeline_coverage: float | dict[str, float] = Field(3.0, description="Open pipeline closing in the quarter ÷ quota still to close.")
    win_rate: float | dict[str, float] = Field(0.25, description="Deals won ÷ deals closed (count).")
    activities_per_week: float | dict[str, float] = Field(
        {"default": 15.0, "Manager": 5.0}, description="Logged calls, emails and meetings per working week."
    )
    avg_cycle_days: float | dict[str, float] = Field(60.0, description="Mean days from created to won (lower is better).")
    discipline_score: float | dict[str, float] = Field(0.9, description="Share of open deals with no hygiene problem.")
    forecast_accuracy: float | dict[str, float] = Field(0.8, description="1 − |won − commit| ÷ won at quarter end.")

    def for_role(self, metric: str, role: str | None) -> float:
        value = getattr(self, metric)
        if isinstance(value, dict):
            return float(value.get(role or "", value.get("default", next(iter(value.values())))))
        return float(value)


class Thresholds(Strict):
    deviation: float = Field(0.2, gt=0, description="Alert when a metric is more than this share off its target.")
    stuck_stage_multiple: float = Field(1.5, gt=0, description="A deal is stuck after this multiple of its stage's median days.")
    stuck_no_activity_days: int = Field(14, gt=0, description="A deal is stuck after this many days without activity.")
    untouched_days: int = Field(30, gt=0, description="Hygiene: an open deal with no activity for this many days.")
    manager_selling_share: float = Field(0.3, ge=0, le=1, description="Flag a manager owning more than this share of the team's won amount.")
    max_rejected_share: float = Field(0.05, ge=0, le=1, description="Fail the build when more than this share of an extract's rows is rejected.")
    max_row_drop: float = Field(
        0.5, ge=0, le=1,
        description="Fail the build (yesterday's site stays) when an extract has more than this share fewer rows "
        "than the history holds for it: a broken or partial export. `--accept-row-drop` lets a genuine drop through.",
    )
    new_hire_months: int = Field(9, gt=0, description="Reps hired this recently are shown in the ramp view.")


class Quality(Strict):
    close_before_created: Literal["flagged", "rejected"] = Field(
        "flagged",
        description="A deal whose close date is before its created date: flagged keeps it (migrated records often "
        "carry the import date as created date) but leaves it out of cycle time; rejected quarantines it.",
    )
    owner_not_in_reps: Literal["flagged", "rejected"] = Field(
        "flagged",
        description="A row whose owner is not in the reps extract (checked only when reps is given): flagged keeps "
        "it (users export often omits people who left, and their won deals still count; the owner gets a page); "
        "rejected quarantines it.",
    )


class Grades(Strict):
    cutoffs: list[float] = Field(
        [0.5, 0.8, 1.0, 1.2],
        description="Score ÷ target ratios where grades 2, 3, 4 and 5 start (grade 1 below the first).",
    )
    precision: int = Field(
        4, ge=0, le=10,
        description="Decimals a ratio is rounded to before it is compared with the cut-offs, so a ratio exactly "
        "at a cut-off (2.4× coverage against 3× is 0.8) lands on the documented side.",
    )

    @field_validator("cutoffs")
    @classmethod
    def _four_ascending(cls, v: list[float]) -> list[float]:
        if len(v) != 4 or sorted(v) != v:
            raise ValueError("needs four ascending numbers")
        return v


class Privacy(Strict):
    publish_emails: bool = Field(False, description="Show reps' email addresses on the site.")
    hide_amounts: bool = Field(False, description="Hide deal amounts on rep pages (totals still feed the metrics).")
    hide_quotas: bool = Field(False, description="Hide quota figures on rep pages.")


class Site(Strict):
    title: str = Field("Sales Scorecards", description="Site title.")
    url: str | None = Field(
        None,
        description="Address the site is served at (e.g. https://example.github.io/scorecards/); "
        "needed for the 404 page when the site lives under a sub-path.",
    )
    recent_quarters: int = Field(6, ge=1, le=20, description="How many fiscal quarters rep and team pages show.")
    contest_metric: Literal["attainment", "won_amount", "deals_won", "pipeline_created"] = Field(
        "attainment", description="Metric the team leaderboard ranks by."
    )
    contest_period: Literal["quarter", "week"] = Field("quarter", description="Period the leaderboard covers.")


class Build(Strict):
    """How a build uses the machine; none of it changes what the site shows."""

    jobs: int | None = Field(
        None, ge=1,
        description="Worker processes that render rep pages and the site's HTML; empty: one per core this "
        "process may use. 1 renders everything in the build's own process.",
    )
    page_cache: bool = Field(
        True,
        description="Reuse, from the previous site at the same --out, the HTML of every page whose markdown and "
        "surroundings are unchanged (recorded in .<out>-cache/ beside it); false renders every page.",
    )
    duckdb_memory: str = Field(
        "1GB",
        description="DuckDB's memory_limit (e.g. 1GB, 512MiB, 50%): above it DuckDB spills to a scratch folder "
        "beside the site instead of growing with the extracts.",
    )
    lock_wait_seconds: float = Field(
        60, ge=0,
        description="How long a build or load waits for another one writing the same warehouse or site to finish "
        "before it gives up with an error (0: give up at once).",
    )
    cache_dir: str = Field(
        ".cache",
        description="Folder for the generated demo org, the Vega bundle and `make bench`'s orgs and builds; "
        "relative to the project root.",
    )

    @field_validator("duckdb_memory")
    @classmethod
    def _memory_amount(cls, v: str) -> str:
        if not _MEMORY.match(v):
            raise ValueError(f"{v!r} is not an amount of memory DuckDB reads (e.g. 1GB, 512MiB, 50%)")
        return v.strip()

    @property
    def cache_path(self) -> Path:
        """cache_dir as an absolute folder (relative to the project root, as the default `.cache` is)."""
        path = Path(self.cache_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path


class Config(Strict):
    org_name: str = Field("Demo Org", description="Organisation name shown on the home page.")
    preset: Literal["salesforce", "hubspot"] | None = Field(None, description="Map a standard CRM export without listing columns.")
    extracts_dir: str | None = Field(None, description="Folder holding the extracts; source paths are relative to it.")
    as_of: dt.date | None = Field(None, description="The reporting date; default the latest date in the data.")
    fiscal_year_start_month: int = Field(1, ge=1, le=12, description="First month of the fiscal year (1 = January).")
    fiscal_year_named_by: Literal["end", "start"] = Field("end", description="Name a fiscal year by the calendar year it ends (or starts) in.")
    currency_symbol: str = Field("$", description="Shown before amounts.")
    sources: dict[str, Union[Source, list[Source]]] = Field(
        default_factory=dict, description="Canonical table -> the extract(s) it is read from. Empty: the demo org."
    )
    stages: list[Stage] = Field(default_factory=list, description="Ordered stages with their kind.")
    demo: Demo = Field(default_factory=Demo, description="The generated demo org used when no sources are configured.")
    targets: Targets = Field(default_factory=Targets, description="Plan values each rep is measured against.")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="Alert and hygiene thresholds.")
    quality: Quality = Field(default_factory=Quality, description="How each data-quality rule treats a row.")
    grades: Grades = Field(default_factory=Grades, description="Balanced-scorecard grade cut-offs.")
    privacy: Privacy = Field(default_factory=Privacy, description="What is published about each rep.")
    site: Site = Field(default_factory=Site, description="Site presentation.")
    warehouse: str = Field(
        "warehouse",
        description="Folder of the history: versions of every extract as Hive-partitioned Parquet, with a manifest "
        "per load day (README: History); relative to config.yml.",
    )
    build: Build = Field(default_factory=Build, description="How the build uses the machine: workers, page reuse, memory, caches.")

    # Not from YAML: the config file itself, to resolve relative paths and name it in errors.
    base_dir: Path = Field(default=Path("."), exclude=True, description="(internal)")
    config_file: Path = Field(default=Path("config.yml"), exclude=True, description="(internal)")
    is_demo: bool = Field(default=False, exclude=True, description="(internal) the sources are the generated demo org")

    @field_validator("sources")
    @classmethod
    def _known_tables(cls, v: dict) -> dict:
        unknown = sorted(set(v) - set(TABLES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; known: {sorted(TABLES)}")
        return v

    @model_validator(mode="after")
    def _stages_make_sense(self) -> "Config":
        if self.stages:
            names = [s.name for s in self.stages]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"stages: duplicate stage name(s) {dupes}")
            kinds = {s.kind for s in self.stages}
            if not {"won", "lost"} <= kinds:
                raise ValueError("stages: need at least one stage of kind won and one of kind lost")
        return self

    def source_list(self, table: str) -> list[Source]:
        src = self.sources.get(table)
        if src is None:
            return []
        return src if isinstance(src, list) else [src]

    def resolve(self, path: str) -> Path:
        root = self.base_dir / self.extracts_dir if self.extracts_dir else self.base_dir
        p = Path(path)
        return p if p.is_absolute() else root / p

    @property
    def uses_demo(self) -> bool:
        return not self.sources


def _merge_preset(raw: dict[str, Any], file: Path) -> dict[str, Any]:
    """A preset supplies sources and stages; anything the user wrote wins."""
    name = raw.get("preset")
    if not name:
        return raw
    preset_file = PRESETS_DIR / f"{name}.yml"
    if not preset_file.exists():
        raise ConfigError(f"preset '{name}' is not known; use salesforce or hubspot", file)
    preset = yaml.safe_load(preset_file.read_text(encoding="utf-8")) or {}
    merged = dict(raw)
    own = raw.get("sources") or {}
    if not isinstance(own, dict):
        return raw  # not a mapping: validation names the key
    sources = dict(preset.get("sources", {}))
    sources.update(own)
    merged["sources"] = sources
    if not raw.get("stages") and preset.get("stages"):
        merged["stages"] = preset["stages"]
    return merged


def _format_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(p) for p in e["loc"] if not isinstance(p, int) or True)
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key `{loc}`")
        else:
            parts.append(f"`{loc}`: {e['msg']}" if loc else e["msg"])
    more = len(err.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_config(raw: dict[str, Any] | None, file: Path) -> Config:
    """Validate an already-parsed YAML mapping; errors name the key. An empty file is the demo org."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"must be a YAML mapping of keys to values, not a {type(raw).__name__}", file)
    internal = sorted(k for k in raw if k in INTERNAL_FIELDS)
    if internal:
        raise ConfigError(f"unknown key `{internal[0]}`", file)
    try:
        raw = _merge_preset(raw, file)
        cfg = Config.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(_format_error(e), file) from e
    except RecursionError as e:
        raise ConfigError("is nested too deeply to be a config file", file) from e
    cfg.base_dir = file.parent
    cfg.config_file = file
    return cfg


def load_config(path: str | Path) -> Config:
    """Read and validate config.yml: any file that cannot be read or parsed is one error naming it."""
    file = Path(path)
    if not file.exists():
        raise ConfigError("config file not found", file, hint="pass --config FILE")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        line = e.object[: e.start].count(b"\n") + 1
        raise ConfigError(f"is not UTF-8 text (first invalid byte on line {line}); save it as UTF-8", file) from e
    except OSError as e:
        raise ConfigError(f"cannot be read ({e.strerror or type(e).__name__})", file) from e
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}".replace("\n", " "), file) from e
    except RecursionError as e:
        raise ConfigError("is nested too deeply to be a config file", file) from e
    return parse_config(raw, file)


INTERNAL_FIELDS = ("base_dir", "config_file", "is_demo")


def iter_settings(model: type[BaseModel] = Config, prefix: str = ""):
    """Yield (dotted key, default, help) for every setting: the config reference page reads this."""
    for name, field in model.model_fields.items():
        if name in INTERNAL_FIELDS:
            continue
        key = f"{prefix}{name}"
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield key, None, field.description or ""
            yield from iter_settings(ann, key + ".")
        else:
            default = field.get_default(call_default_factory=True)
            yield key, default, field.description or ""
