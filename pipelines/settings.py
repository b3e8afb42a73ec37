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
    # No infinity or NaN in any number: 1e999 reads as infinity, and no setting means it (a quota of inf failed late).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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
        None, description="strptime format for every date column of this file (e.g. %d/%m/%Y; the same followed by a time "
        "such as 10:22 or 10:22:01, and ISO dates such as 2026-12-06 10:22:01, still read); detected when empty."
    )
    decimal: Literal["auto", ".", ","] = Field(
        "auto",
        description="Decimal mark of this file's amounts. auto: a comma when an amount such as 45.000 or 1.234 "
        "(a dot before groups of three digits) appears and none is written with a decimal point (45.00, 1,234.50), "
        "so that 45.000 reads as 45 000 in a file of 1.234,56; a point otherwise. The build notes when it read a "
        "comma. Amounts that say which they use (1.234,56 and 1,234.56) read the same either way.",
    )
    optional: bool = Field(False, description="Skip quietly when no file matches (presets use it for tables a CRM may not export).")
    encoding: Literal["auto", "utf-8", "utf-16", "utf-16-le", "utf-16-be", "windows-1252", "latin-1"] = Field(
        "auto",
        description="Text encoding of the CSV files. auto detects UTF-8 (with or without byte order mark), UTF-16 "
        "and Windows-1252, and the build notes which it used when it is not UTF-8; set it when a file is in "
        "another of these (latin-1 is ISO-8859-1, which differs from Windows-1252 on € ’ “ ” – —; utf-16 takes "
        "the byte order from the file's byte order mark, or from its NUL bytes when it has none).",
    )


class Stage(Strict):
    name: str = Field(description="Stage name exactly as the CRM writes it.")
    kind: Literal["open", "won", "lost"] = Field(description="open, won or lost.")
    probability: float | None = Field(None, ge=0, le=1, description="Win probability 0-1, used for the weighted pipeline.")


class Currency(Strict):
    """How amounts in several currencies become one: for any export, not only Salesforce's."""

    code: str | None = Field(
        None,
        description="ISO code of the corporate currency every amount is converted into (e.g. EUR). Empty: the "
        "currency the rates table marks as corporate, else the one currency the deals are in.",
    )
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Fixed conversion rates, ISO code -> units of that currency per one unit of the corporate "
        "currency (corporate amount = amount ÷ rate), e.g. {USD: 1.08, GBP: 0.86}; used beside or instead of a "
        "currency_rates extract. Map the deals' currency column as `sources.opportunities.columns.currency`.",
    )

    @field_validator("rates")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = sorted(code for code, rate in v.items() if not rate > 0)
        if bad:
            raise ValueError(f"rates must be above 0 (not for {', '.join(bad)})")
        return v


class Demo(Strict):
    reps: int = Field(60, ge=4, le=20000, description="Number of reps in the generated demo org.")
    seed: int = Field(42, description="Random seed; the same seed gives byte-identical extracts.")
    forecast_calls: bool = Field(
        False, description="Also give the demo org forecast calls (forecast_calls.csv): reps and managers who call "
        "their quarter accurately, conservatively or optimistically, so forecast accuracy scores calls."
    )


class Targets(Strict):
    """Targets are per role: a number applies to every role, a mapping gives per-role values with `default`."""

    pipeline_coverage: float | dict[str, float] = Field(3.0, description="Open pipeline closing in the quarter ÷ quota still to close.")
    win_rate: float | dict[str, float] = Field(0.25, description="Deals won ÷ deals closed (count).")
    activities_per_week: float | dict[str, float] = Field(
        {"default": 15.0, "Manager": 5.0}, description="Logged calls, emails and meetings per working week."
    )
    avg_cycle_days: float | dict[str, float] = Field(60.0, description="Mean days from created to won (lower is better).")
    discipline_score: float | dict[str, float] = Field(0.9, description="Share of open deals with no hygiene problem.")
    forecast_accuracy: float | dict[str, float] = Field(
        0.8, description="1 − |won − forecast| ÷ won for a closed quarter, the forecast being the call at "
        "forecast.checkpoint_days (else the CRM's own forecast that day)."
    )
    quota: float | dict[str, float] | None = Field(
        None,
        description="A quarterly quota per role, used only for a rep and quarter that the quotas extract has no row "
        "for (the extract is the plan of record); empty: such a rep has no quota (no data).",
    )
    ramp: list[float] = Field(
        default_factory=list,
        description="Share of targets.quota a new hire carries in each completed month since hire, e.g. "
        "[0.25, 0.5, 0.75] (100% after); applies only where targets.quota is used, never to the quotas extract.",
    )

    @field_validator("*")  # every metric (`metrics`); the ramp is a list
    @classmethod
    def _some_value(cls, v):
        """A per-role mapping with no value at all would give nobody a target: say so, instead of failing later."""
        if isinstance(v, dict) and not v:
            raise ValueError("a per-role mapping needs at least one value, e.g. {default: 3, Manager: 2}, or give "
                             "one number for every role")
        return v

    @field_validator("ramp")
    @classmethod
    def _shares(cls, v: list[float]) -> list[float]:
        if any(not 0 <= x <= 1 for x in v):
            raise ValueError("each month's share is between 0 and 1")
        return v

    @classmethod
    def metrics(cls) -> list[str]:
        """The plan metrics (everything but the ramp, which shapes the quota)."""
        return [name for name in cls.model_fields if name != "ramp"]

    def for_role(self, metric: str, role: str | None) -> float | None:
        value = getattr(self, metric)
        if value is None:
            return None
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
    min_closed_deals: int = Field(
        5, ge=1, description="Win rate is graded and alerted only on at least this many deals closed in the quarter."
    )
    min_won_deals: int = Field(3, ge=1, description="Cycle time is graded and alerted only on at least this many won deals.")
    min_activity_days: int = Field(
        14, ge=1,
        description="Activity is graded and alerted only once the quarter (or the rep's time in it, from the hire "
        "date) is at least this many days old: a day or two of calls says nothing about a weekly rate.",
    )
    min_expected_share: float = Field(
        0.1, ge=0, le=1,
        description="No Results grade or attainment alert while less than this share of a quarter's won amount is "
        "expected by now (the first days of a quarter say nothing yet).",
    )


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


FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")


class Forecast(Strict):
    """How forecast categories are read, and how calls are scored (the forecast roll-up and accuracy)."""

    categories: dict[str, Literal["Pipeline", "Best Case", "Commit", "Closed", "Omitted"]] = Field(
        default_factory=dict,
        description="CRM forecast category value -> one of Pipeline, Best Case, Commit, Closed, Omitted, for values "
        "other than those five (which map by default, compared without case, spaces or punctuation), e.g. "
        "{Forecast: Commit, Upside: Best Case}. Applies to opportunities, opportunity_history and forecast_calls; "
        "a value that maps to none stops the build naming it.",
    )
    checkpoint_days: int = Field(
        28, ge=1, le=89,
        description="The day of the quarter a forecast is scored at (the quarter's first day is day 1): the last "
        "call submitted on or before it is the forecast; without a call, the CRM's own forecast that day (won to "
        "date plus open Commit closing in the quarter).",
    )
    stale_days: int = Field(
        14, ge=1, description="Flag a rep's or manager's latest call for the current quarter older than this many days."
    )
    min_quarters: int = Field(
        1, ge=1, le=20,
        description="Grade the forecast dimension only once the rep (or team) has at least this many closed "
        "quarters with a forecast accuracy, up to the graded one.",
    )


DIMENSIONS = ("results", "pipeline", "conversion", "activity", "discipline", "forecast", "cycle")
# The dimension that measures attainment (against pace): privacy.hide_quotas hides a rep's, on pages and downloads.
QUOTA_DIMENSION = "results"
# What team_leaderboard's `value` is, by site.contest_metric: privacy hides it by that kind.
CONTEST_VALUE_KINDS = {"attainment": "attainment", "won_amount": "money", "deals_won": "count",
                       "pipeline_created": "money"}


class Grades(Strict):
    cutoffs: list[float] | dict[str, list[float]] = Field(
        {"default": [0.5, 0.8, 1.0, 1.2], "discipline": [0.6, 0.8, 1.0, 1.1]},
        description="Ratio-to-plan cut-offs where grades 2, 3, 4 and 5 start (grade 1 below the first): four "
        "ascending numbers, or per dimension (results, pipeline, conversion, activity, discipline, forecast, cycle) "
        "with `default` for the rest. The default discipline scale lets a perfect score (1.0 against the 0.9 "
        "target, a ratio of 1.11) reach grade 5.",
    )
    precision: int = Field(
        4, ge=0, le=10,
        description="Decimals a ratio is rounded to before it is compared with the cut-offs, so a ratio exactly "
        "at a cut-off (2.4× coverage against 3× is 0.8) lands on the documented side.",
    )
    roles: list[str] | None = Field(None, description="Roles that are graded and ranked; empty: every role.")
    require_quota: bool = Field(True, description="Grade and rank only people with a quota in the quarter.")
    min_dimensions: int = Field(
        4, ge=1, le=7, description="The overall grade needs at least this many graded dimensions, else it reads "
        "\"not enough data\"."
    )
    pace_quarters: int = Field(
        4, ge=1, le=12,
        description="Closed quarters whose won-by-day curve sets how much of the current quarter should be won by "
        "now (their median); with fewer than 2, the share of the quarter's days gone.",
    )

    @field_validator("cutoffs")
    @classmethod
    def _four_ascending(cls, v):
        scales = v.values() if isinstance(v, dict) else [v]
        if any(len(c) != 4 or sorted(c) != c for c in scales):
            raise ValueError("needs four ascending numbers")
        if isinstance(v, dict) and set(v) - {"default", *DIMENSIONS}:
            raise ValueError(f"dimensions are default, {', '.join(DIMENSIONS)}")
        return v

    def cutoffs_for(self, dimension: str) -> list[float]:
        if isinstance(self.cutoffs, list):
            return self.cutoffs
        return self.cutoffs.get(dimension, self.cutoffs.get("default", [0.5, 0.8, 1.0, 1.2]))


class Privacy(Strict):
    publish_emails: bool = Field(False, description="Show people's email addresses on the site (pages, downloads, "
                                 "the quarantine list).")
    hide_amounts: bool = Field(False, description="Take every per-rep and per-deal amount off the pages and out of the "
                               "downloads (team and org totals stay; deal counts stay).")
    hide_quotas: bool = Field(False, description="Take per-rep quotas, gaps to quota and attainment off the pages and "
                              "out of the downloads.")


class PrivacyOverride(Strict):
    """An audience's privacy: each switch given here replaces the site-wide one for that audience."""

    publish_emails: bool | None = Field(None, description="As privacy.publish_emails, for this audience.")
    hide_amounts: bool | None = Field(None, description="As privacy.hide_amounts, for this audience.")
    hide_quotas: bool | None = Field(None, description="As privacy.hide_quotas, for this audience.")


class Scope(Strict):
    teams: list[str] = Field(description="Team names exactly as on the site; the audience sees these teams, their "
                             "managers and reps, and org-level totals.")


AUDIENCE_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Audience(Strict):
    name: str | None = Field(None, pattern=AUDIENCE_NAME, description="The audience's folder: the site is built into "
                             "<out>/<name>/ (lower-case letters, digits, - and _).")
    scope: Literal["all"] | Scope = Field("all", description="all, or {teams: [...]}.")
    per_team: bool = Field(False, description="One audience per team, named after the team, with this entry's other "
                           "settings (no name or scope then).")
    coaching: bool | None = Field(None, description="Publish coaching pages; default true for scope all, false otherwise.")
    privacy: PrivacyOverride = Field(default_factory=PrivacyOverride, description="Privacy for this audience.")
    groups: list[str] = Field(default_factory=list, description="Identity groups meant to see this audience's site "
                              "(written to access.json and the generated nginx config).")

    @model_validator(mode="after")
    def _named(self) -> "Audience":
        if self.per_team and (self.name or self.scope != "all"):
            raise ValueError("an audience with per_team: true takes no name or scope (each team gets its own)")
        if not self.per_team and not self.name:
            raise ValueError("an audience needs a name (its folder under the site)")
        return self


class Crm(Strict):
    deal_url: str | None = Field(
        None,
        description="Address of a deal in the CRM, with {opportunity_id} where its id goes (e.g. "
        "https://acme.my.salesforce.com/{opportunity_id}); deal names link there.",
    )
    account_url: str | None = Field(
        None,
        description="Address of an account in the CRM, with {account_id} where its id goes; account names link "
        "there when the opportunities extract maps account_id.",
    )

    @field_validator("deal_url", "account_url")
    @classmethod
    def _placeholder(cls, v: str | None, info) -> str | None:
        key = "{opportunity_id}" if info.field_name == "deal_url" else "{account_id}"
        if v is not None and key not in v:
            raise ValueError(f"needs {key} where the id goes")
        return v


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
    contest_includes_managers: bool = Field(False, description="Rank managers on their team's leaderboard too.")
    contest_includes_departed: bool = Field(False, description="Rank people who have left on the leaderboard too.")
    oauth2_proxy_url: str = Field(
        "http://127.0.0.1:4180", pattern=r"^https?://[A-Za-z0-9.\[\]:_-]+(/[A-Za-z0-9._~/-]*)?$",
        description="With audiences: the address of oauth2-proxy that the generated nginx config "
        "(nginx-oauth2-proxy.conf) asks who may open each audience's folder.",
    )


class Build(Strict):
    """How a build uses the machine; none of it changes what the site shows."""

    jobs: int | None = Field(
        None, ge=1,
        description="Worker processes that render rep pages and the site's HTML, and (up to 2, when DuckDB has "
        "spilled nothing and holds under half its memory) threads that run the SQL models side by side; empty: "
        "one per core this process may use. 1 does everything in the build's own process, one step at a time.",
    )
    page_cache: bool = Field(
        True,
        description="Reuse, from the previous site at the same --out, the HTML of every page whose markdown and "
        "surroundings are unchanged (recorded in .<out>-cache/ beside it); false renders every page.",
    )
    duckdb_memory: str = Field(
        "800MB",
        description="DuckDB's memory_limit (e.g. 1GB, 512MiB, 50%): above it DuckDB spills to a scratch folder "
        "beside the site instead of growing with the extracts. The default keeps a 5,000-rep build under 1 GiB "
        "in all; more can make a large org's load stage a little faster.",
    )
    lock_wait_seconds: float = Field(
        60, ge=0,
        description="How long a build or load waits for another one writing the same warehouse or site to finish "
        "before it gives up with an error (0: give up at once).",
    )
    cache_dir: str = Field(
        ".cache",
        description="Folder for the generated demo org, the Vega bundle, the page and theme templates as Jinja "
        "compiles them, the tables each SQL model reads, and `make bench`'s orgs and builds; relative to the "
        "project root.",
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
    org_name: str | None = Field(
        None,
        description="Organisation name shown on the home page. Empty: the site title, so your own extracts are "
        "never titled as the demo org is.",
    )
    preset: Literal["salesforce", "hubspot"] | None = Field(None, description="Map a standard CRM export without listing columns.")
    extracts_dir: str | None = Field(None, description="Folder holding the extracts; source paths are relative to it.")
    as_of: dt.date | None = Field(None, description="The reporting date; default the latest date in the data.")
    fiscal_year_start_month: int = Field(1, ge=1, le=12, description="First month of the fiscal year (1 = January).")
    fiscal_year_named_by: Literal["end", "start"] = Field("end", description="Name a fiscal year by the calendar year it ends (or starts) in.")
    currency_symbol: str = Field(
        "$", description="Shown before amounts. When not set and the corporate currency is known (currency.code or "
        "the rates table), the symbol follows its ISO code (€ for EUR, £ for GBP, the code itself for others)."
    )
    currency: Currency = Field(default_factory=Currency, description="Deals in several currencies: the corporate "
                               "currency and fixed conversion rates.")
    sources: dict[str, Union[Source, list[Source]]] = Field(
        default_factory=dict, description="Canonical table -> the extract(s) it is read from. Empty: the demo org."
    )
    stages: list[Stage] = Field(
        default_factory=list,
        description="Ordered stages with their kind. Empty: the stages the export describes (Salesforce's IsClosed, "
        "IsWon, StageSortOrder and Probability on every deal, mapped as is_closed, is_won, stage_sort_order and "
        "probability), else the preset's standard stages.",
    )
    demo: Demo = Field(default_factory=Demo, description="The generated demo org used when no sources are configured.")
    targets: Targets = Field(default_factory=Targets, description="Plan values each rep is measured against.")
    thresholds: Thresholds = Field(default_factory=Thresholds, description="Alert and hygiene thresholds.")
    quality: Quality = Field(default_factory=Quality, description="How each data-quality rule treats a row.")
    grades: Grades = Field(default_factory=Grades, description="Balanced-scorecard grade cut-offs.")
    privacy: Privacy = Field(default_factory=Privacy, description="What is published about each rep.")
    forecast: Forecast = Field(default_factory=Forecast, description="Forecast categories, calls and accuracy.")
    site: Site = Field(default_factory=Site, description="Site presentation.")
    crm: Crm = Field(default_factory=Crm, description="Links from the site into the CRM.")
    audiences: list[Audience] = Field(
        default_factory=list,
        description="One complete site per audience, each holding only what its scope may see, in <out>/<name>/; "
        "empty: one site for everyone.",
    )

    @field_validator("audiences")
    @classmethod
    def _one_path_each(cls, v: list[Audience]) -> list[Audience]:
        names = [a.name for a in v if a.name]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"two audiences have the path {', '.join(dupes)}; give each its own name")
        if sum(a.per_team for a in v) > 1:
            raise ValueError("per_team: true may be given once")
        return v
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

    @property
    def display_name(self) -> str:
        """The home page's title: org_name, else the site title (the demo org's config names itself)."""
        return self.org_name or self.site.title


def _read_preset(name: str, file: Path) -> dict[str, Any]:
    preset_file = PRESETS_DIR / f"{name}.yml"
    if not preset_file.exists():
        raise ConfigError(f"preset '{name}' is not known; use salesforce or hubspot", file)
    return yaml.safe_load(preset_file.read_text(encoding="utf-8")) or {}


def _merge_preset(raw: dict[str, Any], file: Path) -> dict[str, Any]:
    """A preset supplies sources and stages; anything the user wrote wins.

    A source the user gives without a `path` adjusts the preset's (e.g. `opportunities: {encoding:
    windows-1252}`) instead of replacing it, so one setting does not mean copying the whole mapping.
    """
    name = raw.get("preset")
    if not name:
        return raw
    preset = _read_preset(name, file)
    merged = dict(raw)
    own = raw.get("sources") or {}
    if not isinstance(own, dict):
        return raw  # not a mapping: validation names the key
    sources = dict(preset.get("sources", {}))
    for table, mine in own.items():
        theirs = sources.get(table)
        if isinstance(mine, dict) and "path" not in mine and isinstance(theirs, dict):
            sources[table] = {**theirs, **mine}
        else:
            sources[table] = mine
    merged["sources"] = sources
    if not raw.get("stages") and preset.get("stages"):
        merged["stages"] = preset["stages"]
    if preset.get("forecast"):
        merged["forecast"] = _merge_forecast(preset["forecast"], raw.get("forecast"))
    return merged


def _merge_forecast(preset: dict, own: Any) -> Any:
    """A preset's forecast categories (how its CRM spells them), under whatever the user wrote."""
    if own is not None and not isinstance(own, dict):
        return own  # not a mapping: let validation name the key
    own = dict(own or {})
    categories = own.get("categories")
    if categories is None or isinstance(categories, dict):
        own["categories"] = {**preset.get("categories", {}), **(categories or {})}
    return {**{k: v for k, v in preset.items() if k != "categories"}, **own}


def _key_path(loc: tuple) -> str:
    """A config key as the user wrote it: pydantic's union branches (`Scope`, `literal['all']`) left out."""
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and (p[:1].isupper() or "[" in p)))


def preset_standard_stages(cfg: "Config") -> list[Stage]:
    """The preset's fallback stages, for an export that does not describe its own (none without a preset)."""
    if not cfg.preset:
        return []
    raw = _read_preset(cfg.preset, cfg.config_file).get("standard_stages") or []
    return [Stage.model_validate(s) for s in raw]


def _format_error(err: ValidationError) -> str:
    """At most three problems, each naming its key; where one key failed every branch of a union (scope: all or
    {teams}), an unknown key is what the user got wrong, so it is the one reported."""
    errors = err.errors()
    unknown = {_key_path(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden"}
    kept, seen = [], set()
    for e in sorted(errors, key=lambda e: e["type"] != "extra_forbidden"):
        loc = _key_path(e["loc"])
        if e["type"] != "extra_forbidden" and any(loc == u or loc.startswith(u + ".") for u in unknown):
            continue
        if (loc, e["type"]) not in seen:
            seen.add((loc, e["type"]))
            kept.append(f"unknown key `{loc}`" if e["type"] == "extra_forbidden" else (f"`{loc}`: {e['msg']}" if loc else e["msg"]))
    more = len(kept) - 3
    return "; ".join(kept[:3]) + (f" (and {more} more)" if more > 0 else "")


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
