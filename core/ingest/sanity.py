"""Checks of a staged table as a whole, said before anything lands: money that does not add
up, and what the importer had to assume for a history without orders or products.

``money_warnings`` looks for a line total mapped as a unit price. A unit price stays the same
when more units are bought; a line's total grows with the quantity. Within each product (or
over the whole file when it has no product column), the slope of log(price) on log(quantity)
is near 0 for unit prices and near 1 for totals, whatever the shop sells. A slope above
``LINE_TOTAL_SLOPE`` with a clear correlation turns into a warning that gives both revenues.
``assumption_notes`` says what was derived: orders from customer and day, one product for a
spend-only history, unit prices from line totals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.ingest.presets import SPEND_ONLY_PRODUCT
from core.store.store import Transaction

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

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
