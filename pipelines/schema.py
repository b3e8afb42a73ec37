"""The canonical input contract: the tables and columns every extract is mapped onto.

It is declared as data so that the loader, the config validator, the docs and the tests
all read the same list; a column documented here is a column the SQL can rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # id | text | date | timestamp | money | number | bool
    help: str
    required: bool = False  # must be mapped (the file must have it)
    not_null: bool = False  # a row with an empty value is rejected


@dataclass(frozen=True)
class Table:
    name: str
    help: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    owner_column: str | None = None  # whose row this is, for per-rep data-quality pages
    extra: dict = field(default_factory=dict)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "reps",
            "People who own deals or activities, and their managers. Optional: without it, "
            "reps are the owners found in the other extracts.",
            (
                Column("rep_id", "id", "The CRM user id; the rep's page URL derives from it.", True, True),
                Column("name", "text", "Display name (may change; URLs do not)."),
                Column("team", "text", "Team name. Empty: the manager's team, or 'Team <manager>'."),
                Column("manager_id", "id", "rep_id of the rep's manager."),
                Column("role", "text", "Role, e.g. AE, Senior AE, Manager; selects per-role targets."),
                Column("hire_date", "date", "Start date; drives ramp views for new hires."),
                Column("email", "text", "Email; published only when privacy.publish_emails is true."),
                Column("active", "bool", "Whether the rep still works here (default true)."),
            ),
            key=("rep_id",),
            owner_column="rep_id",
        ),
        Table(
            "opportunities",
            "Deals as they stand in the CRM today (one row per deal).",
            (
                Column("opportunity_id", "id", "Unique deal id.", True, True),
                Column("owner_id", "id", "rep_id of the deal owner.", True, True),
                Column("account", "text", "Account (customer) name."),
                Column("name", "text", "Deal name."),
                Column("stage", "text", "Current stage; must be one of config `stages`.", True, True),
                Column("amount", "money", "Deal value. Empty is allowed and counted as a hygiene problem.", True),
                Column("created_date", "date", "Date the deal was created.", True, True),
                Column("close_date", "date", "Expected (open) or actual (closed) close date.", True, True),
                Column("forecast_category", "text", "Pipeline, Best Case, Commit, Closed or Omitted."),
                Column("next_step", "text", "The rep's next step; empty is a hygiene problem."),
                Column("last_activity_date", "date", "Last logged activity on the deal."),
            ),
            key=("opportunity_id",),
            required=True,
            owner_column="owner_id",
        ),
        Table(
            "opportunity_history",
            "One row per change of a deal (stage, amount, close date). Optional: without it, "
            "history comes from the dated snapshots the loader keeps.",
            (
                Column("opportunity_id", "id", "The deal that changed.", True, True),
                Column("changed_at", "timestamp", "When the change was made.", True, True),
                Column("stage", "text", "Stage after the change.", True, True),
                Column("amount", "money", "Amount after the change."),
                Column("close_date", "date", "Close date after the change."),
                Column("forecast_category", "text", "Forecast category after the change."),
                Column("history_id", "id", "The CRM's own id of the change (e.g. OpportunityHistory.Id). Optional: "
                       "with it, stored history tells a corrected row from a new one by this id."),
            ),
        ),
        Table(
            "activities",
            "Calls, emails and meetings. Optional: activity metrics show 'no data' without it.",
            (
                Column("activity_id", "id", "Unique activity id.", True, True),
                Column("owner_id", "id", "rep_id of who did it.", True, True),
                Column("activity_date", "date", "Day it happened.", True, True),
                Column("type", "text", "call, email, meeting, ... (lower-cased)."),
                Column("opportunity_id", "id", "The deal it relates to, if any."),
            ),
            key=("activity_id",),
            owner_column="owner_id",
        ),
        Table(
            "quotas",
            "Quota per rep per period (month, quarter or year: prorated by day onto fiscal quarters). "
            "Optional: attainment shows 'no data' without it.",
            (
                Column("rep_id", "id", "Whose quota.", True, True),
                Column("period_start", "date", "First day of the quota period.", True, True),
                Column("period_end", "date", "Last day of the quota period.", True, True),
                Column("amount", "money", "Quota amount for the period.", True, True),
            ),
            key=("rep_id", "period_start"),
            owner_column="rep_id",
        ),
        Table(
            "targets",
            "Per-rep plan overrides: one row per rep and metric. Optional: config `targets` "
            "(per role) applies where a rep has no row.",
            (
                Column("rep_id", "id", "Whose plan.", True, True),
                Column("metric", "text", "A target name from config `targets` (e.g. activities_per_week).", True, True),
                Column("target", "number", "The rep's own target for that metric.", True, True),
            ),
            key=("rep_id", "metric"),
            owner_column="rep_id",
        ),
    ]
}

DUCKDB_TYPES = {
    "id": "varchar",
    "text": "varchar",
    "date": "date",
    "timestamp": "timestamp",
    "money": "decimal(18, 2)",
    "number": "double",
    "bool": "boolean",
}
