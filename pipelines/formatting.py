"""How values look on a page: escaping CRM text, page titles, numbers, dates and the "no data" mark.

Every value from the CRM is escaped on its way out of a template: CRM text is shown as text,
never run as HTML, markdown or Jinja. None always renders as "no data", never as 0 or "None".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from markupsafe import Markup

# One pass, character by character: HTML-significant characters and markdown syntax both
# become numeric character references, which markdown leaves alone and browsers show as text.
_ESCAPES = {ord(c): f"&#{ord(c)};" for c in "&<>\"'\\`*_{}[]()#+-!|~:=$"}
_ESCAPES.update({ord("\r"): " ", ord("\n"): " "})
# Any character _ESCAPES changes. Most values have none (a name, an id, a stage), and looking for one is about a
# fifth of what translating costs: a million values a large org's pages show are looked at, not translated.
_TO_ESCAPE = re.compile("[" + re.escape("".join(map(chr, _ESCAPES))) + "]")
NO_DATA = Markup('<span class="no-data">no data</span>')
# The symbol shown before amounts for a corporate currency; any other ISO code is shown as itself ("CHF 1.2k").
CURRENCY_SYMBOLS = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩", "BRL": "R$", "CAD": "CA$",
    "AUD": "A$", "NZD": "NZ$", "MXN": "MX$", "HKD": "HK$", "SGD": "S$", "ILS": "₪", "PLN": "zł ", "TRY": "₺",
}


def currency_symbol(code: str | None, configured: str, configured_explicitly: bool) -> str:
    """`currency_symbol` when config sets it, else the corporate currency's symbol, else the default ($)."""
    if configured_explicitly or not code:
        return configured
    return CURRENCY_SYMBOLS.get(code.upper(), f"{code} ")


def md_escape(value) -> Markup:
    """HTML-escape, then neutralise markdown syntax with character references.

    A deal called `[x](javascript:alert(1))` or `**{{ 7*7 }}**` must reach the reader as
    exactly those characters; entities survive markdown untouched and display as text.
    """
    if isinstance(value, Markup):
        return value
    return Markup(_escaped(str(value)))


def _escaped(text: str) -> str:
    return text if _TO_ESCAPE.search(text) is None else text.translate(_ESCAPES)


# What YAML may not hold even quoted (PyYAML's reader refuses it): C0/C1 controls, surrogates, U+FFFE/U+FFFF.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def plain_title(value) -> str:
    """A page title for front matter: letters kept, markup characters dropped, YAML-quoted.

    Written as the characters themselves, not as JSON's \\u escapes: YAML reads an emoji's escaped
    surrogate pair as two lone surrogates, MkDocs then drops the whole front matter and the page shows it.
    """
    text = _NOT_YAML.sub(" ", re.sub(r"[<>&\"'`{}\[\]|\\*_#]", " ", str(value)))
    return json.dumps(re.sub(r"\s+", " ", text).strip()[:80] or "untitled", ensure_ascii=False)


def finalize(value) -> Markup:
    """Jinja's last step for every `{{ value }}`: None is "no data", everything else is escaped text, as Markup
    (what the helpers in pipelines.page_env build their HTML from)."""
    text = finalize_text(value)
    return text if isinstance(text, Markup) else Markup(text)


def finalize_text(value) -> str:
    """`finalize` for a template's own `{{ value }}` output (`page_env._CodeGenerator`): the same characters, but
    plain text stays a str. Jinja joins a template's output into a str, and wraps a macro's or a block's in
    Markup itself, so nothing reads the type of one `{{ value }}`; a Markup object for each of the million text
    values a large org's pages show was about a second of the pages stage's CPU at 5,000 reps."""
    if type(value) is str:  # most values are (a million at 5,000 reps): _escaped written out, without its call
        return value if _TO_ESCAPE.search(value) is None else value.translate(_ESCAPES)
    if isinstance(value, Markup):  # a helper's or macro's HTML, as it is
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA
    return _escaped(str(value))  # a number, a date: as md_escape escapes it, without its Markup


@dataclass
class Fmt:
    """Number formatting with the org's currency; None is always 'no data'."""

    currency: str = "$"
    code: str | None = None  # ISO code of the corporate currency, shown beside "Data as of" when known

    def money(self, v) -> str | None:
        if v is None:
            return None
        v = float(v)
        if not math.isfinite(v):  # not an amount (round() used to raise on it): no data, as pct shows NaN
            return None
        # -$957.6k, not $-957.6k; no sign on what rounds to $0 (round(v) < 0, without the call: the pages
        # format some 800,000 amounts at 5,000 reps)
        sign = "-" if v < -0.5 else ""
        v = abs(v)
        # Each unit up to what would round to 1,000 of it: $999,960 is "$1.0M", never "$1,000.0k".
        if v < 999.5:
            return f"{sign}{self.currency}{v:,.0f}"
        if v < 999_950:
            return f"{sign}{self.currency}{v / 1e3:,.1f}k"
        if v < 999_950_000:
            return f"{sign}{self.currency}{v / 1e6:,.1f}M"
        return f"{sign}{self.currency}{v / 1e9:,.1f}B"

    @staticmethod
    def pct(v) -> str | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else f"{float(v):.0%}"

    @staticmethod
    def times(v) -> str | None:
        return None if v is None else f"{float(v):.1f}×"

    @staticmethod
    def days(v) -> str | None:
        return None if v is None else f"{float(v):.0f} d"

    @staticmethod
    def num(v) -> str | None:
        return None if v is None else f"{float(v):,.0f}"

    def filters(self) -> dict:
        return {"money": self.money, "pct": self.pct, "times": self.times, "days": self.days, "num": self.num}


def period_label(quarter: dict, fiscal: bool = True) -> str:
    """A fiscal quarter as a reader names it, with its dates: "FY2027 Q4 · 1 Nov – 31 Jan".

    Display text only: marts and CSVs keep `period` as YYYY-Qn.
    """
    start, end = quarter["period_start"], quarter["period_end"]
    year = f"FY{quarter['fiscal_year']}" if fiscal else str(quarter["fiscal_year"])
    return f"{year} Q{quarter['fiscal_quarter']} · {start.day} {start:%b} – {end.day} {end:%b}"
