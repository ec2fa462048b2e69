"""Checks of a staged table as a whole, said before anything lands: money that does not add
up, and what the importer had to assume for a history without orders or products.

``money_warnings`` looks for a line total mapped as a unit price. A unit price stays the same
when more units are bought; a line's total grows with the quantity. Within each product (or
over the whole file when it has no product column), the slope of log(price) on log(quantity)
is near 0 for unit prices and near 1 for totals, whatever the shop sells. A slope above
``LINE_TOTAL_SLOPE`` with a clear correlation turns into a warning that gives both revenues.
``assumption_notes`` says what was derived: orders from customer and day, one product for a
spend-only history, unit prices from line totals.

``adopt_currency`` reads the currency the amounts are in, strongest evidence first: a currency
column ("Currency", "currency_code", "Presentment Currency") or the symbols and codes the money
columns carry ("€12.50", "12,50 EUR"), from the first ``SAMPLE_ROWS`` rows; a shared symbol
("$", "kr") is decided by the file's country column, else the shop's customers' country
(``core.store.currency.parse_currency``). It is set inside the import's transaction (a dry run
sets nothing) and never over the merchant's own choice; amounts in several currencies, or an
undecidable symbol, leave the currency as it is and say so in the report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.ingest.guess import norm, words
from core.ingest.presets import SPEND_ONLY_PRODUCT
from core.store import currency as shop_currency
from core.store.store import Transaction, quote_ident

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

log = logging.getLogger(__name__)
LINE_TOTAL_SLOPE = 0.6  # unit prices: ~0 (or below, for bulk discounts); line totals: ~1
MIN_CORRELATION = 0.4  # promotions blur a unit price; a total still follows the quantity
MIN_LINES = 20  # lines whose quantity differs from their product's usual quantity


def money_warnings(tx: Transaction, plan: TablePlan, report: TableReport, mapped: set[str]) -> None:
    """Warn when the unit price column behaves like a line total (reads the staged ``chk``)."""
    if plan.kind != "events" or "unit_price" not in mapped or "line_total" in mapped:
        return
    if "quantity" not in mapped:
        return
    group = "v_product_id" if "product_id" in mapped or "title" in mapped else "1"
    row = tx.rows(
        "WITH l AS (SELECT " + group + " AS g, ln(abs(v_quantity)) AS x, ln(v_unit_price) AS y, "
        "abs(v_quantity) * v_unit_price AS as_unit, v_unit_price AS as_total FROM chk WHERE rule "
        "IS NULL AND v_unit_price > 0 AND abs(v_quantity) >= 1), d AS (SELECT x - avg(x) OVER "
        "(PARTITION BY g) AS dx, y - avg(y) OVER (PARTITION BY g) AS dy FROM l) "
        "SELECT (SELECT regr_slope(dy, dx) FROM d), (SELECT corr(dy, dx) FROM d), "
        "(SELECT count(*) FROM d WHERE abs(dx) > 1e-9), (SELECT sum(as_unit) FROM l), "
        "(SELECT sum(as_total) FROM l)")[0]
    slope, corr, n, as_unit, as_total = row
    if slope is None or corr is None or n < MIN_LINES:
        return
    if slope >= LINE_TOTAL_SLOPE and corr >= MIN_CORRELATION:
        column = plan.mapping.columns["unit_price"]
        report.warnings.append(
            f"Column '{column}' is read as a unit price, but it grows with the quantity "
            f"(slope {slope:.2f} over {n:,} lines; a unit price stays the same): it looks like "
            f"the line's total. Revenue read as unit prices: {as_unit:,.2f}; read as line "
            f"totals: {as_total:,.2f}. If '{column}' is the line's total, map it to line_total."
        )


def assumption_notes(tx: Transaction, plan: TablePlan, report: TableReport,
                     mapped: set[str]) -> None:
    """What the importer derived, in the report's notes (reads the staged ``fin``)."""
    if plan.kind != "events":
        return
    if "order_id" not in mapped and "session_id" not in mapped:
        orders = int(tx.scalar("SELECT count(DISTINCT order_id) FROM fin WHERE outcome = 'accepted'"))
        report.warnings.append(
            f"No order column: each customer's lines of one day count as one order "
            f"({orders:,} orders; a guest's lines at the same second are one order).")
    if "product_id" not in mapped and "title" not in mapped:
        report.warnings.append(
            f"No product column: a spend-only history. Every line is one purchase of "
            f"'{SPEND_ONLY_PRODUCT}': revenue, orders, customer value, churn and segments work; "
            "recommendations need product ids.")
    elif "product_id" not in mapped:
        report.warnings.append(
            f"No product code column: products are told apart by their name "
            f"('{plan.mapping.columns['title']}').")
    if "line_total" in mapped:
        column = plan.mapping.columns["line_total"]
        report.warnings.append(
            f"Unit prices derived from the line totals in '{column}' (total / quantity).")


# -- the currency of the amounts ---------------------------------------------------------------
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


def detect_currency(tx: Transaction, plan: TablePlan) -> Found:
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
                code = shop_currency.parse_currency(value, country)
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


def adopt_currency(tx: Transaction, plan: TablePlan, report: TableReport, shop: str,
          where: str = "page") -> None:
    """Set the shop's currency from the file's (in the import's transaction), said in the report."""
    found = detect_currency(tx, plan)
    advice = ADVICE.get(where, ADVICE["page"]).format(shop=shop)
    if found.problem:
        now = shop_currency.currency(tx)
        kept = f"The shop's currency stays {now}" if now else "The shop has no currency yet"
        report.warnings.append(f"{found.problem} {kept}: {advice}.")
        return
    if found.code is None:
        return
    report.currency = found.code
    before = shop_currency.currency(tx)
    try:
        now = shop_currency.set_currency(tx, found.code, explicit=False)
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
