"""One site per audience: who may see what, decided at build time, for pages and downloads alike.

A static file cannot filter rows when it is read, so each audience gets a site of its own that holds only
its scope: a team's audience holds its teams, their managers and reps, and org-level totals, and nothing
that names anyone else (no page, name, id, deal or amount, in any file). The host then puts each
audience's folder behind the company login (`pipelines.access` writes who each folder is for).

Everything here picks rows; no figure is computed. The models run once for every audience.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipelines.errors import ConfigError
from pipelines.page_data import Bundle
from pipelines.settings import Config, Privacy
from pipelines.slugs import team_slug
from pipelines.sqltext import lit, q


@dataclass(frozen=True)
class Audience:
    """A resolved audience: its folder ("" for the one site of a build without audiences), its teams (None: all)."""

    name: str
    teams: frozenset[str] | None
    coaching: bool
    privacy: Privacy
    groups: tuple[str, ...] = ()

    @property
    def is_all(self) -> bool:
        return self.teams is None


def _privacy(cfg: Config, override) -> Privacy:
    given = {k: v for k, v in override.model_dump().items() if v is not None}
    return cfg.privacy.model_copy(update=given)


def resolve(cfg: Config, teams: list[str]) -> list[Audience]:
    """The audiences to build, from config.yml and the teams the data has; a team that does not exist is one
    error naming the key and the teams that do."""
    if not cfg.audiences:
        return [Audience("", None, True, cfg.privacy)]
    known = sorted(set(teams))
    out: list[Audience] = []
    for i, a in enumerate(cfg.audiences):
        privacy, groups = _privacy(cfg, a.privacy), tuple(a.groups)
        if a.per_team:
            out += [Audience(team_slug(t), frozenset([t]), bool(a.coaching), privacy, groups) for t in known]
            continue
        if a.scope == "all":
            out.append(Audience(a.name, None, True if a.coaching is None else a.coaching, privacy, groups))
            continue
        unknown = [t for t in a.scope.teams if t not in known]
        if unknown:
            raise ConfigError(
                f"`audiences[{i}].scope.teams` names {', '.join(repr(t) for t in unknown)}, which is not a team of "
                f"the data; the teams are {', '.join(known)}", cfg.config_file,
            )
        out.append(Audience(a.name, frozenset(a.scope.teams), bool(a.coaching), privacy, groups))
    names = [a.name for a in out]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise ConfigError(f"`audiences`: two audiences have the path {', '.join(clash)} (per_team names each team's "
                          "audience after the team); rename one", cfg.config_file)
    return out


def people_in(b: Bundle, aud: Audience) -> set[str]:
    """The rep_ids an audience may see: everyone in its teams today, and the managers of those teams."""
    if aud.is_all:
        return set(b.people)
    people = {p["rep_id"] for p in b.directory if p["team"] in aud.teams}
    for team in aud.teams:
        people |= {r["manager_id"] for r in b.by_team.get(team, {}).get("selling", []) if r.get("manager_id")}
    return people & set(b.people)


def _scoped_org(org: dict, aud: Audience, people: set[str]) -> dict:
    """Org-level rows: totals stay; rows about single people or single teams keep only the audience's."""
    scoped = dict(org)
    scoped["quarantine_sample"] = [r for r in org["quarantine_sample"] if r["rep_id"] in people]
    scoped["rep_quality"] = [r for r in org["rep_quality"] if r["rep_id"] in people]
    return scoped


def _scoped_counts(b: Bundle, aud: Audience) -> list[dict]:
    """The data-quality counts of the audience's teams (team_data_quality), in place of the org's."""
    return [r for t in sorted(aud.teams) for r in b.by_team.get(t, {}).get("data_quality", [])]


def scope_bundle(b: Bundle, aud: Audience) -> Bundle:
    """The bundle an audience's pages are rendered from; for scope all, the bundle itself."""
    if aud.is_all:
        return b
    people = people_in(b, aud)
    directory = [p for p in b.directory if p["rep_id"] in people]
    return replace(
        b, directory=directory, people={p["rep_id"]: p for p in directory},
        by_rep={rid: d for rid, d in b.by_rep.items() if rid in people},
        by_team={t: d for t, d in b.by_team.items() if t in aud.teams},
        org=_scoped_org(b.org, aud, people) | {"quarantine_counts": _scoped_counts(b, aud)},
    )


def row_filter(columns: list[str], aud: Audience, people: set[str]) -> str:
    """The WHERE clause that keeps a mart's rows an audience may see (True for scope all)."""
    if aud.is_all:
        return "true"
    ids = ", ".join(lit(p) for p in sorted(people)) or "null"
    teams = ", ".join(lit(t) for t in sorted(aud.teams))
    if "rep_id" in columns:
        return f"{q('rep_id')} in ({ids})"
    if "team" in columns:
        # stage-funnel rows for the whole organisation are totals
        org_rows = " or is_org" if "is_org" in columns else ""
        return f"({q('team')} in ({teams}){org_rows})"
    return "true"


def person_columns(columns: list[str], aud: Audience, people: set[str]) -> dict[str, str]:
    """Columns naming a person who may be outside the scope (a manager), blanked unless they are inside."""
    if aud.is_all:
        return {}
    ids = ", ".join(lit(p) for p in sorted(people)) or "null"
    blank = {}
    if "manager_id" in columns:
        blank |= {c: f"case when manager_id in ({ids}) then {q(c)} end"
                  for c in ("manager_id", "manager_name") if c in columns}
    if "submitted_by" in columns:
        blank["submitted_by"] = f"case when submitted_by in ({ids}) then submitted_by end"
    return blank
