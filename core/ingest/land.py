"""Write a staged table (``fin`` minus ``dup``) into the shop's tables, inside the import's
transaction, and record its rejected rows. Lines already in the store are skipped, so
importing the same file twice adds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from core.ingest.checks import RULES
from core.ingest.load import EVENT_KEY, REVIEW_KEY
from core.ingest.presets import GENERIC_NON_PRODUCT_TITLE
from core.store import settings
from core.store.store import Store, Transaction

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

REPORT_ROWS = 1000
_NEW = "FROM fin f ANTI JOIN dup d ON f.src_row = d.src_row"
_UPDATABLE = {
    "customers": ("country", "region", "city", "lat", "lon", "consent_profiling", "age_band",
                  "gender"),
    "products": ("title", "category", "brand", "price", "description", "image_path", "active",
                 "stock"),
}


def _same(columns: tuple[str, ...], alias: str) -> str:
    """Join condition: every key column equal, NULLs equal to NULLs."""
    return " AND ".join(f"f.{c} IS NOT DISTINCT FROM {alias}.{c}" for c in columns)


def land_table(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int,
               store: Store | None = None) -> None:
    """Insert the staged rows of ``plan`` and its rejections; drop the temporary tables. With the
    ``store``: leave out erased customers and expired rows, and apply waiting objections."""
    if store is not None:
        _drop_erased(tx, store, report)
        _drop_expired(tx, report)
    _rejections(tx, plan, report, import_id)
    writer = {"events": _events, "customers": _customers, "products": _products,
              "reviews": _reviews}[plan.kind]
    writer(tx, plan, report, import_id)
    if store is not None:
        _apply_objections(tx, store, import_id)
    tx.execute("DROP VIEW IF EXISTS chk")
    for table in ("fin", "chk_rows", "dup", "dupkeys", "rj", "idmap", "badlines"):
        tx.execute("DROP TABLE IF EXISTS " + table)


def _drop_erased(tx: Transaction, store: Store, report: TableReport) -> None:
    """Leave out the lines of customers who were erased: their keys' suppression tokens are on
    the shop's suppression list (``core.privacy.erasure``), so a re-import cannot bring them back."""
    if not tx.scalar("SELECT count(*) FROM suppressed"):
        return
    columns = {r[0] for r in tx.rows("SELECT column_name FROM information_schema.columns "
                                     "WHERE table_name = 'fin'")}
    if "customer_key" not in columns:
        return
    from core.store import pseudonym
    keys = [r[0] for r in tx.rows("SELECT DISTINCT customer_key FROM fin WHERE customer_key IS NOT NULL")]
    tokens = pseudonym.suppression_tokens(store, keys)
    erased = {t for (t,) in tx.rows("SELECT token FROM suppressed")}
    gone = [k for k, t in zip(keys, tokens, strict=True) if t in erased]
    if not gone:
        return
    tx.register("erased_keys", pd.DataFrame({"k": gone}))
    lines = int(tx.scalar("SELECT count(*) FROM fin WHERE customer_key IN (SELECT k FROM erased_keys)") or 0)
    tx.execute("DELETE FROM fin WHERE customer_key IN (SELECT k FROM erased_keys)")
    tx.unregister("erased_keys")
    report.warnings.append(f"{lines:,} lines of {len(gone):,} erased customer(s) were left out: they asked "
                           "to be erased, and stay erased.")


def _apply_objections(tx: Transaction, store: Store, import_id: int) -> None:
    """Customers new in this import who objected to profiling before they were in the shop."""
    if not tx.scalar("SELECT count(*) FROM objections"):
        return
    from core.store import pseudonym
    keys = [r[0] for r in tx.rows("SELECT customer_key FROM customers WHERE import_id = ? AND "
                                  "consent_profiling", [import_id])]
    waiting = {t for (t,) in tx.rows("SELECT token FROM objections")}
    tokens = pseudonym.objection_tokens(store, keys)
    objecting = [k for k, t in zip(keys, tokens, strict=True) if t in waiting]
    if objecting:
        tx.register("objecting", pd.DataFrame({"k": objecting}))
        tx.execute("UPDATE customers SET consent_profiling = FALSE "
                   "WHERE customer_key IN (SELECT k FROM objecting)")
        tx.unregister("objecting")


def _drop_expired(tx: Transaction, report: TableReport) -> None:
    """Leave out events and reviews older than the shop's retention period (``core.privacy.retention``):
    a re-import of an old export does not bring back what was purged."""
    days = settings.get(tx, settings.RETENTION_DAYS)
    columns = {r[0] for r in tx.rows("SELECT column_name FROM information_schema.columns "
                                     "WHERE table_name = 'fin'")}
    if not days or "ts" not in columns or "customer_key" not in columns:
        return
    where = "FROM fin WHERE ts < now()::TIMESTAMP - to_days(CAST(? AS INTEGER))"
    lines = int(tx.scalar("SELECT count(*) " + where, [int(days)]) or 0)
    if lines:
        tx.execute("DELETE " + where, [int(days)])
        report.warnings.append(f"{lines:,} lines older than the retention period ({int(days):,} days) "
                               "were left out.")


def _rejections(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int) -> None:
    from core.ingest.plan import Rejection

    info = pd.DataFrame(
        [(name, plan.mapping.columns.get(rule.field, "*"), rule.problem, rule.fix)
         for name, rule in RULES.items()],
        columns=["rule", "column_name", "problem", "fix"], dtype="string")
    fmt = report.date_format or "YYYY-MM-DD hh:mm:ss"
    info["problem"] = info["problem"].str.replace("{fmt}", fmt)
    info["fix"] = info["fix"].str.replace("{fmt}", fmt)
    tx.register("rule_info", info)
    tx.execute(
        "INSERT INTO rejections SELECT ?, ?, r.row_number, i.column_name, r.value, r.rule, "
        "i.problem || ': ' || i.fix FROM rj r LEFT JOIN rule_info i USING (rule) "
        # the same file imported again: its rejections are on record already
        "WHERE NOT EXISTS (SELECT 1 FROM rejections o WHERE o.file = ? AND o.row_number = "
        "r.row_number AND o.rule = r.rule AND o.value IS NOT DISTINCT FROM r.value)",
        [import_id, plan.label, plan.label])
    rows = tx.rows(
        "SELECT r.row_number, i.column_name, r.value, r.rule, i.problem, i.fix FROM rj r "
        "LEFT JOIN rule_info i USING (rule) ORDER BY r.row_number LIMIT ?", [REPORT_ROWS])
    tx.unregister("rule_info")
    report.rejections = [Rejection(plan.label, int(n), col, val, rule, problem, fix)
                         for n, col, val, rule, problem, fix in rows]


def _events(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int) -> None:
    report.inserted = int(tx.scalar(
        "INSERT INTO events SELECT f.customer_key, f.session_id, f.ts, f.event_type, "
        "f.product_id, f.quantity, f.unit_price, f.order_id, f.device, f.channel, f.region, "
        "f.country, ? " + _NEW + " ANTI JOIN events e ON " + _same(EVENT_KEY, "e"),
        [import_id]) or 0)
    report.already_present = report.accepted + report.returns - report.inserted
    pattern = plan.mapping.non_product_pattern
    code_rule = "regexp_matches(upper(product_id), ?) OR " if pattern else ""
    params: list = [pattern] if pattern else []
    tx.execute(
        "INSERT INTO products (product_id, title, category, brand, price, active, is_product, "
        "import_id) SELECT product_id, title, category, brand, price, true, NOT (" + code_rule
        + "regexp_matches(coalesce(title, ''), ?)), ? FROM (SELECT f.product_id, "
        "arg_max(f.title, f.ts) AS title, arg_max(f.category, f.ts) AS category, "
        "arg_max(f.brand, f.ts) AS brand, median(f.unit_price) FILTER (WHERE f.event_type = "
        "'purchase' AND f.unit_price > 0) AS price " + _NEW + " GROUP BY f.product_id) "
        "ON CONFLICT (product_id) DO UPDATE SET title = coalesce(products.title, excluded.title),"
        " category = coalesce(products.category, excluded.category), brand = coalesce("
        "products.brand, excluded.brand), price = coalesce(products.price, excluded.price), "
        "is_product = products.is_product AND excluded.is_product",
        [*params, GENERIC_NON_PRODUCT_TITLE, import_id])
    report.non_product = int(tx.scalar(
        "SELECT count(*) " + _NEW + " JOIN products p USING (product_id) WHERE NOT p.is_product"))
    _customers_seen(tx, import_id)


def _customers_seen(tx: Transaction, import_id: int) -> None:
    """Customers met in events or reviews: add the new ones, widen first_seen of known ones."""
    has_place = {"country", "region", "city"} <= {
        r[0] for r in tx.rows("SELECT column_name FROM (DESCRIBE fin)")}
    place = ("mode(f.country), mode(f.region), mode(f.city)" if has_place
             else "NULL, NULL, NULL")
    tx.execute(
        "INSERT INTO customers (customer_key, country, region, city, first_seen, import_id) "
        "SELECT f.customer_key, " + place + ", min(f.ts), ? " + _NEW
        + " WHERE f.customer_key IS NOT NULL GROUP BY f.customer_key ON CONFLICT (customer_key) "
        "DO UPDATE SET first_seen = least(customers.first_seen, excluded.first_seen), country = "
        "coalesce(customers.country, excluded.country), region = coalesce(customers.region, "
        "excluded.region), city = coalesce(customers.city, excluded.city)", [import_id])


def _upsert(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int,
            table: str, key: str, columns: list[str]) -> None:
    mapped = set(plan.mapping.columns) | set(plan.mapping.constants)
    report.inserted = int(tx.scalar(
        "SELECT count(*) " + _NEW + " ANTI JOIN " + table + " t ON f." + key + " = t." + key))
    report.already_present = report.accepted - report.inserted
    # an objection to profiling stands until it is withdrawn on purpose (core.privacy.consent.set_consent):
    # a re-imported export that says nothing, or "yes", does not undo it
    updates = [f"{c} = customers.{c} AND excluded.{c}" if c == "consent_profiling" else f"{c} = excluded.{c}"
               for c in _UPDATABLE[table] if c in mapped]
    if table == "customers" and "first_seen" in mapped:
        updates.append("first_seen = least(customers.first_seen, excluded.first_seen)")
    action = "DO UPDATE SET " + ", ".join(updates) if updates else "DO NOTHING"
    cols = ", ".join(columns)
    tx.execute("INSERT INTO " + table + " (" + cols + ", import_id) SELECT " + cols + ", ? "
               + _NEW + " ON CONFLICT (" + key + ") " + action, [import_id])


def _customers(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int) -> None:
    _upsert(tx, plan, report, import_id, "customers", "customer_key",
            ["customer_key", "country", "region", "city", "lat", "lon", "first_seen",
             "consent_profiling", "age_band", "gender"])


def _products(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int) -> None:
    _upsert(tx, plan, report, import_id, "products", "product_id",
            ["product_id", "title", "category", "brand", "price", "description", "image_path",
             "active", "stock"])


def _reviews(tx: Transaction, plan: TablePlan, report: TableReport, import_id: int) -> None:
    report.inserted = int(tx.scalar(
        "INSERT INTO reviews SELECT f.customer_key, f.product_id, f.ts, f.rating, "
        "f.text, ? " + _NEW + " ANTI JOIN reviews r ON " + _same(REVIEW_KEY, "r"),
        [import_id]) or 0)
    report.already_present = report.accepted - report.inserted
    tx.execute("INSERT INTO products (product_id, import_id) SELECT DISTINCT f.product_id, ? "
               + _NEW + " ON CONFLICT (product_id) DO NOTHING", [import_id])
    _customers_seen(tx, import_id)

