"""The demo org written in the shapes real CRMs export: a Salesforce Data Export and a HubSpot UI export.

`demo-data --flavor salesforce|hubspot` simulates exactly the org of the default flavor (same people,
deals, history and activities: the simulation is untouched) and writes it the way each CRM does, with
the traps real exports carry, so the presets are tested at scale, end to end:

* Salesforce: one Windows-1252 CSV per object, every field quoted, CRLF, dates `2026-02-20 00:00:00`,
  booleans 1/0; custom stage names (accents and an en dash) that only IsClosed/IsWon/StageSortOrder/
  Probability describe; deals in USD, EUR and GBP with CurrencyType.csv and dated rates; ManagerId
  blank for most users while UserRole.csv carries the hierarchy; 000000000000000AAA lookups; system
  users; open deals without a close (or created) date; won deals without an amount, lost ones at 0.
* HubSpot: the "Export" button's deals CSV (UTF-8 with BOM, column labels, the owner by display name)
  beside the owners API export; early-stage deals without a close date or an amount.

Every trap is drawn from its own random stream (seeded from the org's seed), so the default flavor's
bytes never depend on these writers.
"""

from __future__ import annotations

import math
import pathlib
import random
import zlib
from datetime import date

from pipelines import demo as d

# The demo stages as an org renamed them: (name, StageSortOrder, probability %).
SF_STAGES = [("Découverte", 1, 10), ("Qualification", 2, 20), ("Propuesta", 3, 50), ("Negociación", 4, 80),
             ("Closed – Won", 5, 100), ("Closed – Lost", 6, 0)]
SF_FORECAST = {"Pipeline": "Pipeline", "Best Case": "BestCase", "Commit": "Forecast", "Closed": "Closed",
               "Omitted": "Omitted"}
# Units per one USD, the corporate currency; the dated rates wander around these by fiscal quarter.
SF_RATES = {"EUR": 0.92, "GBP": 0.79}
PLACEHOLDER = "000000000000000AAA"
HS_STAGES = ["Appointment scheduled", "Qualified to buy", "Presentation scheduled", "Contract sent", "Closed won",
             "Closed lost"]
HS_FORECAST = {"Pipeline": "Pipeline", "Best Case": "Best case", "Commit": "Commit", "Closed": "Closed",
               "Omitted": "Omitted"}


def _q(value) -> str:
    """One Salesforce Data Export field: always double-quoted."""
    return '"' + ("" if value is None else str(value)).replace('"', '""') + '"'


def _sf_line(values) -> bytes:
    return (",".join(_q(v) for v in values) + "\r\n").encode("cp1252")


def sf_id(prefix: str, n: int) -> str:
    """A Salesforce-looking 15-character id: key prefix, pod letters, a number."""
    return f"{prefix}Dm{n:010d}"


def dated_rate(code: str, day: date) -> float:
    """The demo's EUR/GBP rate in force on `day` (one per fiscal quarter, wandering ±3% around the base)."""
    quarter_start = d.fiscal_quarter_start(day)
    k = quarter_start.year * 4 + quarter_start.month // 3
    return round(SF_RATES[code] * (1 + 0.03 * math.sin(k + len(code))), 6)


class SalesforceWriter:
    """Writes the simulated org as a Salesforce weekly Data Export (one CSV per object)."""

    FILES = {
        "Opportunity": ["Id", "IsDeleted", "AccountId", "Name", "StageName", "StageSortOrder", "Amount", "Probability",
                        "CloseDate", "Type", "NextStep", "IsClosed", "IsWon", "ForecastCategory",
                        "ForecastCategoryName", "CurrencyIsoCode", "OwnerId", "CreatedDate", "LastModifiedDate",
                        "LastActivityDate"],
        "OpportunityHistory": ["Id", "OpportunityId", "CreatedById", "CreatedDate", "StageName", "Amount",
                               "ExpectedRevenue", "CloseDate", "Probability", "ForecastCategory", "IsDeleted"],
        "User": ["Id", "Username", "LastName", "FirstName", "Name", "Department", "Title", "Email", "IsActive",
                 "UserRoleId", "UserType", "ManagerId", "CreatedDate"],
        "UserRole": ["Id", "Name", "ParentRoleId", "ForecastUserId", "DeveloperName"],
        "Task": ["Id", "OwnerId", "WhatId", "Subject", "ActivityDate", "Status", "Type", "TaskSubtype", "IsClosed"],
        "Event": ["Id", "OwnerId", "WhatId", "Subject", "ActivityDate", "ActivityDateTime", "DurationInMinutes"],
        "ForecastingQuota": ["Id", "QuotaOwnerId", "StartDate", "QuotaAmount", "CurrencyIsoCode", "IsAmount"],
        "CurrencyType": ["Id", "IsoCode", "ConversionRate", "DecimalPlaces", "IsActive", "IsCorporate"],
        "DatedConversionRate": ["Id", "IsoCode", "StartDate", "NextStartDate", "ConversionRate"],
    }

    def __init__(self, out_dir: pathlib.Path, cal, opp_width: int, act_width: int, seed: int):
        self.cal, self.act_width = cal, act_width
        self.rng = random.Random(seed * 7919 + 11)  # the traps' own stream
        self.files = {}
        for name, header in self.FILES.items():
            self.files[name] = open(out_dir / f"{name}.csv", "wb")
            self.files[name].write(_sf_line(header))
        self.opp_num = self.act_num = self.hist_num = 1
        self.users: dict[str, str] = {}  # demo rep_id -> Salesforce user id
        self.currency: dict[str, str] = {}  # Salesforce user id -> the currency they sell in

    def close(self) -> None:
        self._currencies()
        for f in self.files.values():
            f.close()

    @staticmethod
    def config_text(as_of: date) -> str:
        return (f"# A Salesforce Data Export of the demo org (demo-data --flavor salesforce).\npreset: salesforce\n"
                f"extracts_dir: .\nas_of: {as_of.isoformat()}\nfiscal_year_start_month: {d.DEMO_FISCAL_YEAR_START_MONTH}\n")

    def _day(self, ordinal: int) -> str:
        return f"{self.cal.day(ordinal)} 00:00:00"

    def reps(self, people: list) -> None:
        """User.csv and UserRole.csv: the org chart lives in the roles; ManagerId is mostly blank."""
        for i, p in enumerate(people, start=1):
            self.users[p.rep_id] = sf_id("005", i)
        roles, team_roles = self._roles(people)
        for role in roles:
            self.files["UserRole"].write(_sf_line(role))
        codes = ["USD", "EUR", "GBP"]
        teams = sorted({p.team for p in people if p.kind != "vp"})
        for p in people:
            uid = self.users[p.rep_id]
            self.currency[uid] = codes[teams.index(p.team) % 3] if p.team in teams else "USD"
            role_id = team_roles[(p.team, p.kind)]
            manager = "" if p.kind != "rep" or self.rng.random() < 0.7 else self.users.get(p.manager_id, "")
            if not manager and self.rng.random() < 0.2:
                manager = PLACEHOLDER
            department = p.team_label if p.kind == "manager" else ""
            self.files["User"].write(_sf_line([
                uid, p.email, p.last, p.first, f"{p.first} {p.last}", department, p.role, p.email,
                "0" if p.term is not None else "1", role_id, "Standard", manager, self._day(p.hire)]))
        for n, (name, kind) in enumerate([("Integration User", "CloudIntegrationUser"),
                                          ("Automated Process", "AutomatedProcess")], start=len(people) + 1):
            self.files["User"].write(_sf_line([sf_id("005", n), f"{kind.lower()}@demo.example", name, "", name, "",
                                               "", f"{kind.lower()}@demo.example", "1", "", kind, "",
                                               self._day(self.cal.window_start)]))

    def _roles(self, people: list) -> tuple[list[list[str]], dict]:
        """A VP role on top; per team a manager role (half name their ForecastUserId) and a role for its reps."""
        vp = next(p for p in people if p.kind == "vp")
        rows = [[sf_id("00E", 1), "VP Sales", "", "", "VP_Sales"]]
        team_roles = {(vp.team, "vp"): rows[0][0]}
        managers = [p for p in people if p.kind == "manager"]
        for t, mgr in enumerate(managers):
            mgr_role, rep_role = sf_id("00E", 2 * t + 2), sf_id("00E", 2 * t + 3)
            forecast = self.users[mgr.rep_id] if t % 2 == 0 else ""
            rows.append([mgr_role, f"{mgr.team} Management", rows[0][0], forecast, f"Mgr_{t}"])
            rows.append([rep_role, mgr.team, mgr_role, PLACEHOLDER if t % 4 == 3 else "", f"AE_{t}"])
            team_roles[(mgr.team, "manager")], team_roles[(mgr.team, "rep")] = mgr_role, rep_role
        return rows, team_roles

    def person(self, p, deals: list) -> None:
        """One person's deals, their history and activities, in Salesforce's shape."""
        ids = [sf_id("006", n) for n in range(self.opp_num, self.opp_num + len(deals))]
        self.opp_num += len(deals)
        acts, last = d._activities(p, self.cal, deals, ids, self.act_num, self.act_width)
        self.act_num += len(acts)
        uid = self.users[p.rep_id]
        for oid, deal, touched in zip(ids, deals, last):
            code = self.currency[uid] if self.rng.random() < 0.9 else "USD"
            self._history(oid, uid, deal, code)
            self._opportunity(oid, uid, deal, code, touched)
        self._activities(acts, uid)

    def _money(self, usd: float | None, code: str, close: int) -> str:
        """An amount written in the deal's currency at the rate in force on its close date."""
        if usd is None:
            return ""
        rate = 1.0 if code == "USD" else dated_rate(code, date.fromordinal(close))
        return f"{usd * rate:.2f}"

    def _opportunity(self, oid: str, uid: str, deal, code: str, touched: int) -> None:
        name, order, prob = SF_STAGES[deal.stage]
        is_open, won = deal.stage < d._N_OPEN, deal.stage == d._WON
        r = self.rng.random()
        close, created = self._day(deal.close), f"{self.cal.day(deal.created)} 09:{deal.created % 60:02d}:00"
        amount = self._money(deal.amount, code, deal.close)
        if is_open and deal.stage == 0 and r < 0.3:
            close = ""  # early-stage deals often have no expected close date yet
            created = "" if r < 0.05 else created
        elif won and r < 0.03:
            amount = ""  # won without an amount
        elif deal.stage == d._LOST and r < 0.2:
            amount = "0.00"  # a lost deal's value exported as 0
        if is_open and deal.stage == 3 and r > 0.9:
            prob = 75  # probability differs per deal within one stage
        account = sf_id("001", zlib.crc32(deal.account.encode("utf-8")) % 10**9) if r > 0.05 else PLACEHOLDER
        fc = SF_FORECAST[deal.fc]
        self.files["Opportunity"].write(_sf_line([
            oid, "0", account, deal.name, name, order, amount, prob, close, "New Business", deal.next_step,
            "0" if is_open else "1", "1" if won else "0", fc, deal.fc, code, uid, created,
            self._day(touched if touched >= 0 else deal.created), self.cal.day(touched) if touched >= 0 else ""]))

    def _history(self, oid: str, uid: str, deal, code: str) -> None:
        for ts, stage, amount, close, fc in deal.history:
            name, _, prob = SF_STAGES[stage]
            money = self._money(amount, code, deal.close)
            self.files["OpportunityHistory"].write(_sf_line([
                sf_id("008", self.hist_num), oid, uid, ts, name, money,
                "" if not money else f"{float(money) * prob / 100:.2f}", self._day(close), prob, SF_FORECAST[fc], "0"]))
            self.hist_num += 1

    def _activities(self, lines: list[str], uid: str) -> None:
        """Calls and emails as Tasks, meetings as Events; WhatId is the deal, else a placeholder or empty."""
        for line in lines:
            aid, _, day, kind, opp = line.rstrip("\n").split(",")
            n = int(aid[1:])
            what = opp or (PLACEHOLDER if n % 7 == 0 else "")
            if kind == "meeting":
                self.files["Event"].write(_sf_line([sf_id("00U", n), uid, what, "Meeting", f"{day} 00:00:00",
                                                    f"{day} 14:00:00", "30"]))
            else:
                label = "Call" if kind == "call" else "Email"
                self.files["Task"].write(_sf_line([sf_id("00T", n), uid, what, label, f"{day} 00:00:00", "Completed",
                                                   label if n % 5 else "", label, "1"]))

    def quotas(self, people: list, quarters: list) -> None:
        """ForecastingQuota.csv: one row per quarter, in the quota owner's currency at the quarter's first day's rate."""
        n = 1
        for p in people:
            if p.quota_factor <= 0:
                continue
            uid = self.users[p.rep_id]
            code = self.currency[uid]
            for s, e in quarters:
                if e.toordinal() < p.hire or (p.term is not None and s.toordinal() > p.term):
                    continue
                ramp = d._QUOTA_RAMP[min(3, max(0, self.cal.qtr(s.toordinal()) - self.cal.qtr(p.hire)))]
                usd = d._round100(d._BASE_QUOTA * p.quota_factor * ramp)
                rate = 1.0 if code == "USD" else dated_rate(code, s)
                self.files["ForecastingQuota"].write(_sf_line([sf_id("0J9", n), uid, f"{s.isoformat()} 00:00:00",
                                                               f"{usd * rate:.2f}", code, "1"]))
                n += 1

    def _currencies(self) -> None:
        """CurrencyType.csv (today's rates, USD corporate) and DatedConversionRate.csv (one rate per quarter)."""
        as_of = date.fromordinal(self.cal.as_of)
        self.files["CurrencyType"].write(_sf_line([sf_id("01L", 1), "USD", "1.000000", "2", "1", "1"]))
        for i, code in enumerate(SF_RATES, start=2):
            self.files["CurrencyType"].write(_sf_line([sf_id("01L", i), code, f"{dated_rate(code, as_of):.6f}", "2",
                                                       "1", "0"]))
        starts = [q for q, _ in d.fiscal_quarters(date.fromordinal(self.cal.base), date.fromordinal(self.cal.as_of + 700))]
        n = 1
        for code in SF_RATES:
            for i, start in enumerate(starts):
                begin = "0001-01-01 00:00:00" if i == 0 else f"{start.isoformat()} 00:00:00"
                end = "9999-12-31 00:00:00" if i == len(starts) - 1 else f"{starts[i + 1].isoformat()} 00:00:00"
                self.files["DatedConversionRate"].write(_sf_line([sf_id("04w", n), code, begin, end,
                                                                  f"{dated_rate(code, start):.6f}"]))
                n += 1


class HubSpotWriter:
    """Writes the simulated org as HubSpot's deals export (the CRM's Export button) beside owners.csv."""

    HEADER = ["Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Create Date", "Deal owner",
              "Last Activity Date", "Next step", "Forecast category", "Associated Company (Primary)"]

    def __init__(self, out_dir: pathlib.Path, cal, opp_width: int, act_width: int, seed: int):
        self.cal, self.act_width = cal, act_width
        self.rng = random.Random(seed * 104729 + 5)
        as_of = date.fromordinal(cal.as_of).isoformat()
        self.deals = open(out_dir / f"hubspot-crm-exports-all-deals-{as_of}.csv", "w", encoding="utf-8-sig", newline="")
        self.deals.write(",".join(self.HEADER) + "\n")
        self.owners = open(out_dir / "owners.csv", "w", encoding="utf-8", newline="")
        self.owners.write("id,firstName,lastName,email,teams,archived\n")
        self.names: dict[str, str] = {}
        self.num = 1
        self.act_num = 1

    def close(self) -> None:
        self.deals.close()
        self.owners.close()

    @staticmethod
    def config_text(as_of: date) -> str:
        return (f"# A HubSpot deals export of the demo org (demo-data --flavor hubspot).\npreset: hubspot\n"
                f"extracts_dir: .\nas_of: {as_of.isoformat()}\nfiscal_year_start_month: {d.DEMO_FISCAL_YEAR_START_MONTH}\n")

    def reps(self, people: list) -> None:
        """owners.csv by id; the deals name their owner as HubSpot shows it, 'First Last' (numbered when two share it)."""
        seen: dict[str, int] = {}
        for i, p in enumerate(people, start=1):
            name = f"{p.first} {p.last}"
            seen[name] = seen.get(name, 0) + 1
            first = p.first if seen[name] == 1 else f"{p.first} {seen[name]}"
            self.names[p.rep_id] = f"{first} {p.last}"
            self.owners.write(f"{1000 + i},{d._csv_field(first)},{d._csv_field(p.last)},{p.email},"
                              f"{d._csv_field(p.team_label)},{'true' if p.term is not None else 'false'}\n")

    def person(self, p, deals: list) -> None:
        ids = [str(90000 + n) for n in range(self.num, self.num + len(deals))]
        self.num += len(deals)
        acts, last = d._activities(p, self.cal, deals, ids, self.act_num, self.act_width)
        self.act_num += len(acts)
        for oid, deal, touched in zip(ids, deals, last):
            r = self.rng.random()
            is_open = deal.stage < d._N_OPEN
            close = f"{self.cal.day(deal.close)} 12:00"
            amount = "" if deal.amount is None else str(deal.amount)
            if is_open and deal.stage <= 1 and r < 0.4:
                close = ""  # HubSpot leaves closedate empty until someone sets it
                amount = "" if r < 0.2 else amount
            activity = f"{self.cal.day(touched)} 10:00" if touched >= 0 else ""
            self.deals.write(",".join(d._csv_field(v) for v in [
                oid, deal.name, HS_STAGES[deal.stage], "Sales Pipeline", amount, close,
                f"{self.cal.day(deal.created)} 09:30", self.names[p.rep_id], activity, deal.next_step,
                HS_FORECAST[deal.fc], deal.account]) + "\n")

    def quotas(self, people: list, quarters: list) -> None:
        """HubSpot keeps goals elsewhere: no quota export."""


WRITERS = {"salesforce": SalesforceWriter, "hubspot": HubSpotWriter}
