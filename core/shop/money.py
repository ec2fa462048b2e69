"""Amounts of money as the shop writes them: in its currency, on pages, figures and in the CLI.

``currency`` is an ISO code (``core.store.currency.CURRENCIES``) or None for a shop without
one (plain numbers). ``format_money`` writes one amount ("€1,235", "1,235 kr", "CHF 12.50");
``hover`` is the same inside a plotly hovertemplate, ``column_format`` inside a Streamlit
number column, ``titled`` adds the currency to an axis or column title.
"""

from __future__ import annotations

import math

from core.store.currency import CURRENCIES


def _affixes(currency: str | None) -> tuple[str, str]:
    """(before, after) the number: '€' and '', or '' and ' kr'."""
    c = CURRENCIES.get(currency or "")
    if c is None:
        return "", ""
    gap = " " if c.symbol[-1 if c.before else 0].isalpha() else ""
    return (c.symbol + gap, "") if c.before else ("", " " + c.symbol)


def symbol(currency: str | None) -> str:
    """The currency's symbol ('€'), or '' for a shop without a currency."""
    c = CURRENCIES.get(currency or "")
    return c.symbol if c else ""


def format_money(value: float | None, currency: str | None, decimals: int = 0,
                 sign: bool = False) -> str:
    """1234.5, 'EUR' -> '€1,235'; -3, 'SEK' -> '-3 kr'; None or NaN -> '-'. ``sign``: '+€5'."""
    if value is None or not math.isfinite(float(value)):
        return "-"
    before, after = _affixes(currency)
    number = f"{abs(float(value)):,.{int(decimals)}f}"
    lead = "-" if float(value) < 0 and float(number.replace(",", "")) != 0 else (
        "+" if sign else "")
    return f"{lead}{before}{number}{after}"


def hover(field: str, currency: str | None, decimals: int = 0) -> str:
    """A plotly hovertemplate piece: hover('x', 'EUR') -> '€%{x:,.0f}'."""
    before, after = _affixes(currency)
    return f"{before}%{{{field}:,.{int(decimals)}f}}{after}"


def column_format(currency: str | None, decimals: int = 0) -> str:
    """A printf format for ``st.column_config.NumberColumn``: '€%.0f', '%.0f kr'."""
    before, after = _affixes(currency)
    return f"{before}%.{int(decimals)}f{after}"


def titled(title: str, currency: str | None) -> str:
    """'net revenue' -> 'net revenue (€)'; unchanged without a currency."""
    mark = symbol(currency)
    return f"{title} ({mark})" if mark else title
