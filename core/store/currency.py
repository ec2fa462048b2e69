"""The shop's currency: which currencies shoplens knows, reading one from text, and the setting.

A shop has one currency (an ISO 4217 code such as ``EUR``), kept in its settings (``currency``)
with who chose it (``currency_source``: ``explicit`` for the merchant's own choice, ``import``
for one the importer read from a file). An import never replaces an explicit choice.

``parse_currency`` reads a code from text: ISO codes ("EUR", "usd"), symbols ("€", "£", "R$",
"CA$", "zł", "kr") and amounts that carry them ("€12.50", "12,50 EUR"). The rule for a symbol
several currencies share ("$", "kr", "¥"):

1. an ISO code in the same text decides ("$12 CAD" is CAD);
2. else the shop's country decides when that country uses the symbol ("$" in CA is CAD);
3. else "$" alone is the US dollar, the dollar most exports mean;
4. else ("kr" or "¥" with no country to go by) it is ambiguous: ``ValueError`` names the
   candidates, and the merchant picks the currency (the dashboard's sidebar).

Text with two different currencies ("EUR or USD") is a ``ValueError`` too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.store import settings

CURRENCY, SOURCE = "currency", "currency_source"
EXPLICIT, IMPORTED = "explicit", "import"


@dataclass(frozen=True)
class Currency:
    """How amounts of one currency are written: ``symbol`` before or after the number."""

    code: str
    symbol: str
    before: bool
    name: str


_TABLE = [  # code, symbol, symbol before the number, name
    ("EUR", "€", True, "euro"), ("USD", "$", True, "US dollar"), ("GBP", "£", True, "pound sterling"),
    ("CHF", "CHF", True, "Swiss franc"), ("SEK", "kr", False, "Swedish krona"),
    ("NOK", "kr", False, "Norwegian krone"), ("DKK", "kr.", False, "Danish krone"),
    ("ISK", "kr", False, "Icelandic króna"), ("PLN", "zł", False, "Polish złoty"),
    ("CZK", "Kč", False, "Czech koruna"), ("HUF", "Ft", False, "Hungarian forint"),
    ("RON", "lei", False, "Romanian leu"), ("BGN", "лв", False, "Bulgarian lev"),
    ("TRY", "₺", True, "Turkish lira"), ("RUB", "₽", False, "Russian rouble"),
    ("UAH", "₴", False, "Ukrainian hryvnia"), ("ILS", "₪", True, "Israeli shekel"),
    ("CAD", "CA$", True, "Canadian dollar"), ("AUD", "A$", True, "Australian dollar"),
    ("NZD", "NZ$", True, "New Zealand dollar"), ("MXN", "MX$", True, "Mexican peso"),
    ("BRL", "R$", True, "Brazilian real"), ("SGD", "S$", True, "Singapore dollar"),
    ("HKD", "HK$", True, "Hong Kong dollar"), ("JPY", "¥", True, "Japanese yen"),
    ("CNY", "CN¥", True, "Chinese yuan"), ("KRW", "₩", True, "South Korean won"),
    ("INR", "₹", True, "Indian rupee"), ("THB", "฿", True, "Thai baht"),
    ("PHP", "₱", True, "Philippine peso"), ("VND", "₫", False, "Vietnamese dong"),
    ("ZAR", "R", True, "South African rand"), ("AED", "AED", True, "UAE dirham"),
]
CURRENCIES: dict[str, Currency] = {c[0]: Currency(*c) for c in _TABLE}
COMMON = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CAD", "AUD")

# Symbols that name one currency (longest first, so "CA$" is not read as "$").
_UNIQUE = {"US$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD",
           "MX$": "MXN", "R$": "BRL", "S$": "SGD", "HK$": "HKD", "CN¥": "CNY", "RMB": "CNY",
           "元": "CNY", "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB",
           "₴": "UAH", "₪": "ILS", "฿": "THB", "₱": "PHP", "₫": "VND", "zł": "PLN", "Kč": "CZK",
           "Ft": "HUF", "lei": "RON", "лв": "BGN", "円": "JPY", "euro": "EUR", "euros": "EUR"}
# Symbols several currencies share: the country that decides, and a default where one is clear.
_SHARED = {
    "$": {"US": "USD", "CA": "CAD", "AU": "AUD", "NZ": "NZD", "MX": "MXN", "SG": "SGD",
          "HK": "HKD", "BR": "BRL"},
    "kr": {"SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK"},
    "¥": {"JP": "JPY", "CN": "CNY"},
}
_DEFAULT = {"$": "USD"}
_LETTERS = "A-Za-zÀ-ÿ"


def _token(symbol: str) -> str:
    """A symbol as a regex: a symbol made of letters must stand alone ("kr", not "kroner")."""
    body = re.escape(symbol)
    return rf"(?<![{_LETTERS}]){body}(?![{_LETTERS}])" if symbol[-1].isalpha() else body


_SYMBOLS = sorted([*_UNIQUE, *_SHARED, "kr."], key=len, reverse=True)
_SYMBOL_RE = re.compile("|".join(_token(s) for s in _SYMBOLS))
_CODE_RE = re.compile(rf"(?<![{_LETTERS}])([A-Za-z]{{3}})(?![{_LETTERS}])")


def parse_currency(text: str | None, country: str | None = None) -> str | None:
    """The ISO code ``text`` names (None when it names none); ``country`` (ISO 3166 alpha-2)
    decides a shared symbol. Raises ValueError for an ambiguous symbol or two currencies."""
    if not text or not str(text).strip():
        return None
    text = str(text).strip()
    codes = {m.upper() for m in _CODE_RE.findall(text) if m.upper() in CURRENCIES}
    rest = _CODE_RE.sub(lambda m: " " if m.group(1).upper() in CURRENCIES else m.group(0), text)
    shared: set[str] = set()
    for found in _SYMBOL_RE.findall(rest):
        symbol = "kr" if found == "kr." else found
        if symbol in _UNIQUE:
            codes.add(_UNIQUE[symbol])
        else:
            shared.add(symbol)
    place = (country or "").strip().upper()
    for symbol in shared:
        candidates = _SHARED[symbol]
        if codes & set(candidates.values()):
            continue  # "$12 CAD": the code says which dollar
        if place in candidates:
            codes.add(candidates[place])
        elif symbol in _DEFAULT:
            codes.add(_DEFAULT[symbol])
        else:
            raise ValueError(f"'{symbol}' is used by several currencies "
                             f"({', '.join(candidates.values())}): name one, for example "
                             f"'{next(iter(candidates.values()))}'.")
    if len(codes) > 1:
        raise ValueError(f"{text!r} names more than one currency ({', '.join(sorted(codes))}).")
    return next(iter(codes), None)


def currency(handle: settings.Handle) -> str | None:
    """The shop's currency code, or None (amounts shown as plain numbers)."""
    code = settings.get(handle, CURRENCY)
    return code if code in CURRENCIES else None


def source(handle: settings.Handle) -> str | None:
    """Who set the currency: ``explicit`` (the merchant), ``import`` (read from a file), or None."""
    return settings.get(handle, SOURCE)


def set_currency(handle: settings.Handle, code: str | None, country: str | None = None,
                 explicit: bool = True) -> str | None:
    """Set the shop's currency from a code, symbol or amount (``None``: plain numbers) and
    return the currency now in force. An import (``explicit=False``) leaves a merchant's own
    choice alone. Raises ValueError for text that names no currency or an ambiguous one."""
    parsed = parse_currency(code, country) if code is not None else None
    if code is not None and parsed is None:
        raise ValueError(f"{code!r} is not a currency shoplens knows: use an ISO code such as "
                         f"{', '.join(COMMON[:4])}.")
    if not explicit and source(handle) == EXPLICIT:
        return currency(handle)
    settings.put(handle, CURRENCY, parsed)
    settings.put(handle, SOURCE, EXPLICIT if explicit else IMPORTED)
    return parsed


def choices() -> list[str]:
    """Codes for a picker: the common ones first, then the rest alphabetically."""
    return [*COMMON, *sorted(set(CURRENCIES) - set(COMMON))]


def label(code: str | None) -> str:
    """'EUR (€, euro)' for a picker; None: plain numbers."""
    if code is None:
        return "none (plain numbers)"
    c = CURRENCIES[code]
    return f"{code} ({c.symbol}, {c.name})" if c.symbol != code else f"{code} ({c.name})"
