"""Currencies as CRMs write them: an ISO 4217 code, or the currency's English name.

Rates, `currency.code` and `currency.rates` are keyed by ISO code, and Salesforce, HubSpot, Pipedrive and Zoho
export codes. Dynamics 365 and NetSuite export the currency record's name ("US Dollar", "Euro"), and some
exports write both ("USD - US Dollar", "US Dollar (USD)"). Unread, each name is a currency of its own with no
rate, and the build stops asking for `currency.rates.US Dollar`. So a value is read as its code: a known name,
matched without case, gives its code; three letters alone are a code; a value that ends with a code written in
capitals in parentheses gives that one ("Yen (JPY)"), else one that starts with three letters followed by a
separator gives those ("USD - US Dollar", "AUD (Aus)"). Anything else is kept as written, and the rate check
names it. A name that several currencies share ("Dollar", "Peso", "Krone") is not in the list:
guessing would convert at the wrong rate. Config's `currency.code` and `currency.rates` keys are read the same
way (`resolve._as_code`).
"""

from __future__ import annotations

from pipelines.sqltext import lit

# The English names (ISO 4217's, and the ones CRMs ship) of the currencies sales teams report in.
CURRENCY_NAMES: dict[str, str] = {
    "us dollar": "USD", "u.s. dollar": "USD", "us dollars": "USD", "united states dollar": "USD",
    "euro": "EUR", "euros": "EUR",
    "pound sterling": "GBP", "british pound": "GBP", "british pound sterling": "GBP", "uk pound": "GBP",
    "japanese yen": "JPY", "yen": "JPY",
    "swiss franc": "CHF",
    "canadian dollar": "CAD",
    "australian dollar": "AUD",
    "new zealand dollar": "NZD",
    "danish krone": "DKK",
    "swedish krona": "SEK",
    "norwegian krone": "NOK",
    "iceland krona": "ISK", "icelandic krona": "ISK",
    "polish zloty": "PLN", "zloty": "PLN",
    "czech koruna": "CZK",
    "hungarian forint": "HUF", "forint": "HUF",
    "romanian leu": "RON",
    "bulgarian lev": "BGN",
    "turkish lira": "TRY",
    "ukrainian hryvnia": "UAH", "hryvnia": "UAH",
    "chinese yuan": "CNY", "yuan renminbi": "CNY", "chinese yuan renminbi": "CNY", "renminbi": "CNY",
    "hong kong dollar": "HKD",
    "singapore dollar": "SGD",
    "new taiwan dollar": "TWD", "taiwan dollar": "TWD",
    "indian rupee": "INR",
    "south korean won": "KRW", "korean won": "KRW",
    "thai baht": "THB", "baht": "THB",
    "malaysian ringgit": "MYR", "ringgit": "MYR",
    "indonesian rupiah": "IDR", "rupiah": "IDR",
    "philippine peso": "PHP",
    "vietnamese dong": "VND", "dong": "VND",
    "new israeli sheqel": "ILS", "israeli new shekel": "ILS", "israeli shekel": "ILS",
    "uae dirham": "AED", "united arab emirates dirham": "AED",
    "saudi riyal": "SAR",
    "qatari rial": "QAR", "qatari riyal": "QAR",
    "south african rand": "ZAR", "rand": "ZAR",
    "egyptian pound": "EGP",
    "nigerian naira": "NGN", "naira": "NGN",
    "kenyan shilling": "KES",
    "mexican peso": "MXN",
    "brazilian real": "BRL",
    "argentine peso": "ARS",
    "chilean peso": "CLP",
    "colombian peso": "COP",
    "peruvian sol": "PEN",
}


def currency_sql(raw: str) -> str:
    """SQL for the ISO code of the trimmed text `raw` (NULL stays NULL; see the module's docstring)."""
    names = ", ".join(f"{lit(name)}: {lit(code)}" for name, code in sorted(CURRENCY_NAMES.items()))
    return (
        f"coalesce(map {{{names}}}[lower({raw})], "
        f"case when regexp_full_match({raw}, '[A-Za-z]{{3}}') then upper({raw}) "
        # a code in parentheses (written in capitals, as codes are) first: in 'Yen (JPY)' the leading three
        # letters are no code; in 'AUD (Aus)' the parentheses hold none
        f"when regexp_full_match({raw}, '.*\\(\\s*[A-Z]{{3}}\\s*\\)') "
        f"then regexp_extract({raw}, '\\(\\s*([A-Z]{{3}})\\s*\\)$', 1) "
        f"when regexp_full_match({raw}, '[A-Za-z]{{3}}\\s*[-–—(:/|].*') then upper(left({raw}, 3)) "
        f"else {raw} end)"
    )
