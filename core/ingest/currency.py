"""Which currency a file's amounts are in, and the shop's currency set from it during the import.

Evidence, strongest first: a currency column ("Currency", "currency_code", "Presentment
Currency") or the symbols and codes the money columns carry ("€12.50", "12,50 EUR"), read from
the file's first ``SAMPLE_ROWS`` rows. A shared symbol ("$", "kr") is decided by the file's
country column, else the shop's customers' country (``core.store.currency.parse_currency``).
The currency is set inside the import's transaction (a dry run sets nothing) and never over the
merchant's own choice; amounts in several currencies, or an undecidable symbol, leave the
currency as it is and say so in the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.ingest.guess import norm, words
from core.store import currency
from core.store.store import Transaction, quote_ident

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

log = logging.getLogger(__name__)
SAMPLE_ROWS = 10_000
MONEY_FIELDS = ("line_total", "unit_price", "price")
_NOT_CURRENCY = {"rate", "exchange", "converted", "conversion", "amount", "total"}
ADVICE = {"page": "choose it with the sidebar's Currency picker",
          "cli": "set it with `shoplens currency --shop {shop} CODE`"}


@dataclass(frozen=True)
class Found:
    """The currency the file's amounts are in (or None), where it was read, what went wrong."""

    code: str | None
    evidence: str = ""
    problem: str | None = None


def currency_columns(columns: list[str]) -> list[str]:
    """Columns that name the currency of each line ('Currency', 'currency_code')."""
    return [c for c in columns
            if ("currency" in words(c) or norm(c) in ("curr", "ccy", "currencycode"))
            and not _NOT_CURRENCY & set(words(c))]


def _values(tx: Transaction, plan: TablePlan, column: str, strip_digits: bool) -> list[str]:
    text = f"trim(CAST({quote_ident(column)} AS VARCHAR))"
    if strip_digits:  # what an amount carries besides its number: '€', 'EUR', ''
        text = f"trim(regexp_replace({text}, '[0-9.,\\s+\\-()]', '', 'g'))"
    rows = tx.rows(f"SELECT DISTINCT v FROM (SELECT {text} AS v FROM (SELECT * FROM "
                   f"{plan.relation} LIMIT {SAMPLE_ROWS})) WHERE v IS NOT NULL AND v <> '' "
                   "LIMIT 50", plan.params)
    return [str(r[0]) for r in rows]


def _country(tx: Transaction, plan: TablePlan) -> str | None:
    """The file's most common two-letter country, else the shop's customers' (for '$', 'kr')."""
    column = plan.mapping.columns.get("country")
    if column:
        row = tx.rows(f"SELECT upper(trim(CAST({quote_ident(column)} AS VARCHAR))) AS c FROM "
                      f"(SELECT * FROM {plan.relation} LIMIT {SAMPLE_ROWS}) WHERE length(c) = 2 "
                      "GROUP BY c ORDER BY count(*) DESC LIMIT 1", plan.params)
        if row:
            return str(row[0][0])
    row = tx.rows("SELECT upper(country) AS c FROM customers WHERE length(country) = 2 "
                  "GROUP BY c ORDER BY count(*) DESC LIMIT 1")
    return str(row[0][0]) if row else None


def detect(tx: Transaction, plan: TablePlan) -> Found:
    """The currency of ``plan``'s amounts, from a currency column or the money columns' signs."""
    if plan.kind not in ("events", "products"):
        return Found(None)
    sources = [(c, False, f"column '{c}'") for c in currency_columns(plan.columns)]
    sources += [(plan.mapping.columns[f], True, f"the amounts in '{plan.mapping.columns[f]}'")
                for f in MONEY_FIELDS if f in plan.mapping.columns]
    country = None
    for column, strip, evidence in sources:
        values = _values(tx, plan, column, strip)
        if not values:
            continue
        if country is None:
            country = _country(tx, plan) or ""
        codes: set[str] = set()
        for value in values:
            try:
                code = currency.parse_currency(value, country)
            except ValueError as err:
                return Found(None, evidence, f"The currency of {evidence} is unclear ({err}).")
            if code:
                codes.add(code)
        if len(codes) > 1:
            return Found(None, evidence, f"{evidence[0].upper() + evidence[1:]} are in several "
                                         f"currencies ({', '.join(sorted(codes))}): they are added "
                                         "up as they are, without conversion.")
        if codes:
            return Found(codes.pop(), evidence)
    return Found(None)


def adopt(tx: Transaction, plan: TablePlan, report: TableReport, shop: str,
          where: str = "page") -> None:
    """Set the shop's currency from the file's (in the import's transaction), said in the report."""
    found = detect(tx, plan)
    advice = ADVICE.get(where, ADVICE["page"]).format(shop=shop)
    if found.problem:
        now = currency.currency(tx)
        kept = f"The shop's currency stays {now}" if now else "The shop has no currency yet"
        report.warnings.append(f"{found.problem} {kept}: {advice}.")
        return
    if found.code is None:
        return
    report.currency = found.code
    before = currency.currency(tx)
    try:
        now = currency.set_currency(tx, found.code, explicit=False)
    except ValueError as err:  # not expected for a parsed code; the import goes on
        log.warning("could not set the currency %s: %s", found.code, err)
        return
    if now != found.code:
        report.warnings.append(
            f"Amounts look like {found.code} ({found.evidence}), but the shop's currency is "
            f"{now or 'none (plain numbers)'}, as you chose: left as it is (if {found.code} is "
            f"right, {advice}).")
    elif before != now:
        report.warnings.append(f"Amounts in {now} ({found.evidence}): the shop's currency is now {now}.")
