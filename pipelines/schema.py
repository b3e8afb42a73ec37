"""The canonical input contract: the tables and columns every extract is mapped onto.

It is declared as data so that the loader, the config validator, the docs and the tests
all read the same list; a column documented here is a column the SQL can rely on.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # id | text | currency | date | timestamp | money | number | bool
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
    # An event table: each row is something that happened (a forecast call), so rows accumulate in
    # the history store: a key missing from a later extract has not gone away, and the models read
    # every stored row up to as_of with today's, not today's extract only.
    events: bool = False
    # A column that, when the extract leaves it empty, is the day the extract is loaded: a source that
    # holds only the current state of an event (Salesforce's forecasting objects hold the current call)
    # still builds up its history, one row per load day.
    load_day_column: str | None = None

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
                Column("role_id", "id", "Id of the person's role in the CRM's role hierarchy (Salesforce UserRoleId): "
                       "with the roles table it gives the team and manager when these are empty."),
                Column("user_type", "text", "Kind of user (Salesforce UserType): people other than Standard ones "
                       "(integration, automated-process, licence-manager users) are left out of the directory "
                       "unless they own deals, activities or quota."),
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
                Column("amount", "money", "Deal value. Empty is allowed: a hygiene problem on an open deal, and a "
                       "won deal without one is counted beside the won amount, not in it.", True),
                Column("created_date", "date", "Date the deal was created. Empty is allowed and flagged: cycle time "
                       "and age are then unknown for the deal.", True),
                Column("close_date", "date", "Expected (open) or actual (closed) close date. Empty is allowed on an "
                       "open deal (undated pipeline, a hygiene problem); a closed deal without one takes the date of "
                       "its last stage change from the history, and is rejected only when nothing says when it "
                       "closed.", True),
                Column("forecast_category", "text", "Pipeline, Best Case, Commit, Closed or Omitted."),
                Column("next_step", "text", "The rep's next step; empty is a hygiene problem."),
                Column("last_activity_date", "date", "Last logged activity on the deal."),
                Column("is_closed", "bool", "Whether the deal's stage is a closed one (Salesforce IsClosed). With "
                       "is_won it says what each stage is when config lists no `stages`."),
                Column("is_won", "bool", "Whether the deal's stage is a won one (Salesforce IsWon)."),
                Column("stage_sort_order", "number", "Position of the deal's stage in the sales process "
                       "(Salesforce StageSortOrder); orders the stages when config lists none."),
                Column("probability", "number", "The deal's win probability, 0-1 or a percentage (Salesforce "
                       "Probability); a stage's most common value is its probability when config lists no stages."),
                Column("currency", "currency", "ISO code of the currency the deal's amounts are in (Salesforce "
                       "CurrencyIsoCode), or its English name (Dynamics 365's 'US Dollar'), read as the code; amounts "
                       "are converted into the corporate currency (see currency_rates). Empty: the corporate currency."),
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
                Column("probability", "number", "Win probability after the change (0-1 or a percentage); says what "
                       "a stage that only the history has is, when config lists no stages."),
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
                Column("currency", "currency", "ISO code (or English name) of the quota's currency (converted at the "
                       "rate in force on period_start); empty: the corporate currency."),
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
        Table(
            "forecast_calls",
            "What a rep or a manager called (forecast) for a fiscal quarter, one row per submission: a plain "
            "CSV, or Salesforce's forecasting, Clari's or HubSpot's forecast export. Optional: without it, "
            "forecast accuracy scores the CRM's own forecast (won to date plus open Commit) at "
            "forecast.checkpoint_days. An event table: calls build up in the history store day by day.",
            (
                Column("rep_id", "id", "Whose call: the rep, or the manager for a team call.", True, True),
                Column("period_start", "date", "First day of the fiscal quarter called for, or of one of its "
                       "months (monthly calls sum into their quarter).", True, True),
                Column("submitted_at", "timestamp", "When the call was submitted (a date or a timestamp). Empty "
                       "or not exported: the load day, so a source that holds only the current call (as "
                       "Salesforce's ForecastingItem does) builds up its history one load a day."),
                Column("amount", "money", "The amount called for the period.", True, True),
                Column("category", "text", "The forecast category the amount calls (e.g. Commit), mapped like "
                       "opportunities.forecast_category; shown beside the call."),
                Column("submitted_by", "id", "rep_id of who entered the call when it is not rep_id (e.g. a "
                       "manager's adjustment)."),
                Column("scope", "text", "self (the person's own deals) or team (the manager's team). Empty: team "
                       "for a manager (anyone with reports), self for everyone else."),
            ),
            key=("rep_id", "period_start", "submitted_at"),
            owner_column="rep_id",
            events=True,
            load_day_column="submitted_at",
        ),
        Table(
            "currency_rates",
            "Conversion rates into the corporate currency, for exports whose deals carry a currency "
            "(Salesforce CurrencyType.csv and DatedConversionRate.csv). Optional: config `currency.rates` "
            "gives fixed rates instead, and a single-currency export needs neither.",
            (
                Column("currency", "currency", "ISO code of the currency (e.g. EUR), or its English name (Euro).", True,
                       True),
                Column("rate", "number", "Units of this currency per one unit of the corporate currency: "
                       "corporate amount = amount ÷ rate.", True, True),
                Column("start_date", "date", "First day the rate is in force; empty: from the start."),
                Column("end_date", "date", "Day the next rate takes over (the rate holds until the day before); "
                       "empty: open-ended. A rate without either date applies where no dated one does."),
                Column("is_corporate", "bool", "Marks the corporate currency (Salesforce IsCorporate)."),
            ),
        ),
        Table(
            "roles",
            "The CRM's role hierarchy (Salesforce UserRole.csv). Optional: where a person's manager_id is empty, "
            "the manager is the parent role's forecast manager, else the one active person in the parent role; "
            "where the team is empty, it is the role's name.",
            (
                Column("role_id", "id", "Role id (as in reps.role_id).", True, True),
                Column("name", "text", "Role name."),
                Column("parent_role_id", "id", "The role above it; empty at the top."),
                Column("forecast_user_id", "id", "rep_id of the role's forecast manager (Salesforce ForecastUserId)."),
            ),
            key=("role_id",),
        ),
    ]
}

DUCKDB_TYPES = {
    "id": "varchar",
    "text": "varchar",
    "currency": "varchar",
    "date": "date",
    "timestamp": "timestamp",
    "money": "decimal(18, 2)",
    "number": "double",
    "bool": "boolean",
}
