"""The two halves of importing one table inside the import's transaction.

``stage_table`` streams the source once into a checked temporary table (typed values, the first
broken rule of each row, the outcome), pseudonymises customer ids, keys every line and finds
repeated lines, and fills the table's report. ``land_table`` writes the accepted rows into the
shop's tables (skipping lines already in the store) and records every rejected row.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.ingest import checks, pii, sanity
from core.ingest.checks import FIELD_TYPES, RULES
from core.ingest.plan import refuse_swallowed
from core.ingest.presets import FIELDS, SPEND_ONLY_PRODUCT, SPEND_ONLY_TITLE
from core.store import pseudonym
from core.store.store import Store, Transaction, quote_ident

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

log = logging.getLogger(__name__)
_FILL_BY_ORDER = ("ts", "customer_id", "status", "country", "region", "city", "channel")


def _value_expr(f: str, mapped: set[str], formats: dict[str, tuple[str, bool]]) -> str:
    col = f"f_{f}"
    if f == "unit_price" and "line_total" in mapped:
        # The line's total is what was paid: the unit price is derived from it (a unit price
        # column beside it may be before discounts).
        return (f"abs({checks.number_expr('f_line_total')}) / nullif(abs({_quantity(mapped)}), 0)")
    if f == "quantity":
        return _quantity(mapped)
    if f not in mapped:
        if f == "product_id":  # no product column: the product name, else one for everything
            return pii.scrub_sql("f_title") if "title" in mapped else f"'{SPEND_ONLY_PRODUCT}'"
        if f == "title" and "product_id" not in mapped:
            return f"'{SPEND_ONLY_TITLE}'"
        defaults = {"event_type": "'purchase'"}
        return defaults.get(f, "NULL")
    ftype = FIELD_TYPES.get(f)
    if ftype == "timestamp":
        fmt, clean = formats[f]
        return checks.ts_expr(col, fmt, f"fmt_{f}", clean)
    if ftype in ("number", "integer"):
        return checks.number_expr(col)
    if ftype == "bool":
        return checks.bool_expr(col)
    if f == "event_type":
        return checks.map_expr(col, checks.EVENT_TYPES, keep_unknown=True)
    if f == "device":
        return pii.scrub_sql(checks.map_expr(col, checks.DEVICES, keep_unknown=True))
    if f in ("channel", "status"):
        return pii.scrub_sql(f"lower({col})")
    if f in pii.TEXT_FIELDS or f in pii.LABEL_FIELDS:
        return pii.scrub_sql(col)  # e-mails and phone numbers in free text -> [email] / [phone]
    return col


def _quantity(mapped: set[str]) -> str:
    qty = (f"CASE WHEN f_quantity IS NULL THEN 1.0 ELSE {checks.quantity_expr('f_quantity')} END"
           if "quantity" in mapped else "1.0")
    if "line_total" in mapped:  # a negative total on a positive quantity is a refund line
        return f"CASE WHEN {checks.number_expr('f_line_total')} < 0 THEN -abs({qty}) ELSE {qty} END"
    return qty


def _conditions(kind: str, mapped: set[str]) -> list[tuple[str, str]]:
    required = [f for f, req in FIELDS[kind].items() if req]
    present = [f for f in FIELDS[kind] if f in mapped]
    conds = checks.typed_conditions(present, required)
    conds += checks.finite_conditions(present)
    if kind == "events":
        conds += [
            ("v_product_id IS NULL", "missing_product_id"),
            ("v_ts < TIMESTAMP '1990-01-01' OR v_ts > now()::TIMESTAMP + INTERVAL 2 DAY",
             "implausible_ts"),
            ("v_quantity <> round(v_quantity)", "bad_quantity"),
            ("v_quantity = 0", "zero_quantity"),
            ("v_unit_price < 0", "negative_unit_price"),
            ("v_event_type NOT IN ('view', 'cart', 'purchase', 'return')", "unknown_event_type"),
        ]
    elif kind == "customers":
        conds += [("abs(v_lat) > 90", "bad_lat"), ("abs(v_lon) > 180", "bad_lon")]
    elif kind == "products":
        conds += [("v_price < 0", "negative_price"),
                  ("v_stock <> round(v_stock) OR v_stock > 2147483647", "bad_stock")]
    elif kind == "reviews":
        conds += [("v_rating NOT BETWEEN 1 AND 5 OR v_rating <> round(v_rating)", "bad_rating")]
    return conds


def _fixes(kind: str, mapped: set[str]) -> dict[str, str]:
    out = {}
    for f in ("unit_price", "price"):
        if f in mapped:
            out[f"{f}_cleaned"] = (f"f_{f} IS NOT NULL AND try_cast(f_{f} AS DOUBLE) IS NULL "
                                   f"AND v_{f} IS NOT NULL")
    if kind == "products" and "stock" in mapped:
        out["negative_stock_set_to_0"] = "v_stock < 0"
    if kind == "events" and "quantity" in mapped:
        out["quantity_defaulted_to_1"] = "f_quantity IS NULL"
        out["quantity_unit_removed"] = checks.unit_quantity("f_quantity")
    if "event_type" in mapped:
        out["event_type_normalised"] = "v_event_type <> lower(f_event_type)"
    if "device" in mapped:
        out["device_normalised"] = "v_device <> lower(f_device)"
    for f in pii.TEXT_FIELDS:
        if f in FIELDS[kind] and f in mapped:
            out[f"{f}_contact_details_hidden"] = f"v_{f} <> f_{f}"
    return out


def _outcome(kind: str, plan: TablePlan) -> str:
    if kind != "events":
        return "CASE WHEN rule IS NOT NULL THEN 'rejected' ELSE 'accepted' END"
    cancel = "starts_with(v_order_id, $cancel_prefix)" if plan.mapping.cancel_prefix else "false"
    cancelled = ", ".join(f"'{s}'" for s in checks.CANCELLED_STATUS)
    return (
        "CASE WHEN rule IS NOT NULL THEN 'rejected' "
        "WHEN v_event_type = 'return' OR (v_event_type = 'purchase' AND "
        f"(v_quantity < 0 OR {cancel})) THEN 'return' "
        f"WHEN v_event_type = 'purchase' AND v_status IN ({cancelled}) THEN 'cancelled' "
        "ELSE 'accepted' END"
    )


def _fills_by_order(plan: TablePlan, mapped: set[str]) -> bool:
    return plan.mapping.fill_by_order and "order_id" in mapped


def _source_select(plan: TablePlan, mapped: set[str], params: dict[str, Any]) -> str:
    m = plan.mapping
    cols = (["CAST(" + quote_ident(plan.row_column) + " AS BIGINT) AS src_row"]
            if plan.row_column else [])
    if not plan.row_column and _fills_by_order(plan, mapped):
        # The window that fills order fields reorders the rows: number them while reading.
        cols.append("row_number() OVER () AS src_row")
    # Raw text, trimmed once, blanks as NULL: every rule and parser reads these.
    cols += [f"nullif(trim(CAST({quote_ident(c)} AS VARCHAR)), '') AS f_{f}"
             for f, c in m.columns.items()]
    for f, value in m.constants.items():
        if f not in m.columns:
            params[f"const_{f}"] = value
            cols.append(f"nullif(trim(CAST($const_{f} AS VARCHAR)), '') AS f_{f}")
    sql = "SELECT " + ", ".join(cols) + " FROM " + plan.relation
    if _fills_by_order(plan, mapped):
        filled = [f"coalesce(f_{f}, max(f_{f}) OVER (PARTITION BY f_order_id)) AS f_{f}"
                  if f in _FILL_BY_ORDER else f"f_{f}" for f in sorted(mapped)]
        sql = "SELECT src_row, " + ", ".join(filled) + " FROM (" + sql + ")"
    return sql


def _order_expr(mapped: set[str]) -> str:
    """The order of a line: its order id; without order and session columns, one order per
    customer and day (a guest's lines at the same second)."""
    if "order_id" in mapped or "session_id" in mapped:
        return "c.v_order_id"
    return ("CASE WHEN m.customer_key IS NULL THEN 'guest-' || strftime(c.v_ts, '%Y%m%d%H%M%S') "
            "ELSE 'day-' || strftime(c.v_ts, '%Y%m%d') || '-' || right(m.customer_key, 8) END")


# The columns that make a line the same line: repeated within a file = duplicate, already in
# the store = skipped on re-import.
EVENT_KEY = ("customer_key", "ts", "event_type", "product_id", "quantity", "unit_price",
             "order_id", "session_id", "device", "channel")
REVIEW_KEY = ("customer_key", "product_id", "ts", "rating", "text")
_FIN = {
    "events": (
        "m.customer_key, coalesce(c.v_session_id, {order_id}) AS session_id, c.v_ts AS ts, "
        "CASE c.outcome WHEN 'return' THEN 'return' WHEN 'cancelled' THEN 'cart' "
        "ELSE c.v_event_type END AS event_type, c.v_product_id AS product_id, "
        "CAST(abs(c.v_quantity) AS INTEGER) AS quantity, round(c.v_unit_price, 6) AS unit_price, "
        "{order_id} AS order_id, c.v_device AS device, c.v_channel AS channel, "
        "c.v_region AS region, c.v_country AS country, c.v_city AS city, c.v_title AS title, "
        "c.v_category AS category, c.v_brand AS brand",
        EVENT_KEY,
    ),
    "customers": (
        "m.customer_key, c.v_country AS country, c.v_region AS region, c.v_city AS city, "
        "round(c.v_lat, 2) AS lat, round(c.v_lon, 2) AS lon, c.v_first_seen AS first_seen, "
        "coalesce(c.v_consent_profiling, true) AS consent_profiling, c.v_age_band AS age_band, "
        "c.v_gender AS gender",
        ("customer_key",),
    ),
    "products": (
        "c.v_product_id AS product_id, c.v_title AS title, c.v_category AS category, "
        "c.v_brand AS brand, c.v_price AS price, c.v_description AS description, "
        "c.v_image_path AS image_path, coalesce(c.v_active, true) AS active, "
        "CAST(CASE WHEN c.v_stock < 0 THEN 0 ELSE c.v_stock END AS INTEGER) AS stock",
        ("product_id",),
    ),
    "reviews": (
        "m.customer_key, c.v_product_id AS product_id, c.v_ts AS ts, "
        "CAST(c.v_rating AS INTEGER) AS rating, CASE WHEN c.v_title IS NOT NULL AND c.v_text "
        "IS NOT NULL THEN c.v_title || '. ' || c.v_text ELSE coalesce(c.v_text, c.v_title) END "
        "AS text",
        REVIEW_KEY,
    ),
}


def stage_table(tx: Transaction, plan: TablePlan, report: TableReport, store: Store) -> None:
    """Read, type and check every row of ``plan``; fill ``report``; leave temp tables behind."""
    kind, m = plan.kind, plan.mapping
    mapped = set(m.columns) | set(m.constants)
    params = dict(plan.params)
    formats: dict[str, tuple[str, bool]] = {}
    for f in FIELDS[kind]:
        if FIELD_TYPES.get(f) == "timestamp" and f in m.columns:
            formats[f] = checks.choose_date_format(tx, plan, f, report)
            if formats[f][0] not in (checks.EPOCH_S, checks.EPOCH_MS):
                params[f"fmt_{f}"] = formats[f][0]
    if "ts" in formats:
        report.date_format = checks.human_format(formats["ts"][0])
    _drop_rejects(tx, plan)  # the sampling scans above logged rejects of their own
    if kind == "events" and m.cancel_prefix:
        params["cancel_prefix"] = m.cancel_prefix
    values = [f"{_value_expr(f, mapped, formats)} AS v_{f}" for f in FIELDS[kind]]
    fixes = _fixes(kind, mapped)
    fix_cols = "".join(f", coalesce({cond}, false) AS fix_{name}" for name, cond in fixes.items())
    value_case = " ".join(f"WHEN '{r}' THEN {pii.shown_value_sql(rule.field)}" for r, rule in RULES.items()
                          if rule.field in mapped)
    bad_value = pii.scrub_sql(f"CASE rule {value_case} END") if value_case else "NULL"
    # Only typed values, the rule, the outcome and the offending raw value are materialised.
    keep = ", ".join(f"v_{f}" for f in FIELDS[kind])
    numbered = bool(plan.row_column) or _fills_by_order(plan, mapped)
    sql = ("SELECT " + "src_row, " * numbered + keep + ", rule, " + bad_value + " AS bad_value, "
           + _outcome(kind, plan) + " AS outcome" + fix_cols + " FROM ("
           "SELECT *, " + checks.rule_case(_conditions(kind, mapped)) + " AS rule FROM ("
           "SELECT *, " + ", ".join(values) + " FROM (" + _source_select(plan, mapped, params)
           + ")))")
    tx.execute("CREATE OR REPLACE TEMP TABLE chk_rows AS " + sql, params)
    if numbered:
        tx.execute("CREATE OR REPLACE TEMP VIEW chk AS SELECT * FROM chk_rows")
    else:
        # The table keeps the file's order (DuckDB preserves insertion order), so a row's
        # number is its rowid from the first: cheaper than numbering rows while reading.
        base = int(tx.scalar("SELECT coalesce(min(rowid), 0) FROM chk_rows"))
        tx.execute("CREATE OR REPLACE TEMP VIEW chk AS SELECT rowid - " + str(base)
                   + " + 1 AS src_row, * FROM chk_rows")

    sanity.money_warnings(tx, plan, report, mapped)
    tx.execute("CREATE OR REPLACE TEMP TABLE idmap (raw_id VARCHAR, customer_key VARCHAR)")
    if "customer_id" in mapped:
        # Only the distinct ids go through Python: normalised, then keyed-hashed.
        raw = [r[0] for r in tx.rows(
            "SELECT DISTINCT v_customer_id FROM chk WHERE rule IS NULL AND v_customer_id IS NOT NULL")]
        keys = pseudonym.pseudonymize(store, [checks.normalize_customer_id(r) for r in raw])
        frame = pd.DataFrame({"raw_id": raw, "customer_key": keys}, dtype="string")
        tx.register("idmap_frame", frame)
        tx.execute("INSERT INTO idmap SELECT raw_id, customer_key FROM idmap_frame")
        tx.unregister("idmap_frame")
    columns, keys = _FIN[kind]
    columns = columns.replace("{order_id}", _order_expr(mapped) if kind == "events" else "")
    join = (" LEFT JOIN idmap m ON c.v_customer_id = m.raw_id"
            if "customer_id" in FIELDS[kind] else "")
    # A table, not a view: later steps join and aggregate it several times, and re-running the
    # join with idmap inside each of them does not fit a small memory_limit.
    tx.execute("CREATE OR REPLACE TEMP TABLE fin AS SELECT c.src_row, c.outcome, " + columns
               + " FROM chk c" + join + " WHERE c.rule IS NULL")
    sanity.assumption_notes(tx, plan, report, mapped)
    # Repeated lines: find the (few) repeated keys by aggregating a hash of the key (grouping by
    # the whole key does not fit a small memory_limit), then every later copy of the same key.
    key_list = ", ".join(keys)
    tx.execute("CREATE OR REPLACE TEMP TABLE dupkeys AS SELECT hash(" + key_list + ") AS h "
               "FROM fin GROUP BY h HAVING count(*) > 1")
    tx.execute("CREATE OR REPLACE TEMP TABLE dup AS SELECT src_row, outcome FROM (SELECT f.* FROM "
               "fin f SEMI JOIN dupkeys g ON hash(" + ", ".join(f"f.{k}" for k in keys)
               + ") = g.h) QUALIFY row_number() OVER (PARTITION BY " + key_list
               + " ORDER BY src_row) > 1")
    _count(tx, plan, report, fixes)


def _count(tx: Transaction, plan: TablePlan, report: TableReport, fixes: dict[str, str]) -> None:
    fix_sums = "".join(f", count(*) FILTER (WHERE rule IS NULL AND fix_{n})" for n in fixes)
    any_fix = " OR ".join(f"fix_{n}" for n in fixes) or "false"
    row = tx.rows(
        "SELECT count(*), count(*) FILTER (WHERE outcome = 'accepted'), count(*) FILTER (WHERE "
        "outcome = 'return'), count(*) FILTER (WHERE outcome = 'cancelled'), count(*) FILTER "
        f"(WHERE outcome = 'rejected'), count(*) FILTER (WHERE rule IS NULL AND ({any_fix}))"
        + fix_sums + " FROM chk")[0]
    total, accepted, returns, cancelled, rejected, fixed = row[:6]
    report.fixes = {n: int(v) for n, v in zip(fixes, row[6:]) if v}
    dups = dict(tx.rows("SELECT outcome, count(*) FROM dup GROUP BY outcome"))
    n_dup = sum(dups.values())
    report.accepted = accepted - dups.get("accepted", 0)
    report.cancelled_orders = cancelled - dups.get("cancelled", 0)
    report.returns = returns - dups.get("return", 0) + report.cancelled_orders
    report.fixed = fixed
    dup_rule = "duplicate_row" if plan.kind in ("events", "reviews") else "duplicate_key"
    head = str(int(all(src.header for src in plan.sources)))  # the header is line 1
    tx.execute("CREATE OR REPLACE TEMP TABLE rj AS SELECT src_row + " + head + " AS row_number, "
               "rule, bad_value AS value FROM chk WHERE rule IS NOT NULL UNION ALL SELECT src_row + "
               + head + ", '"
               + dup_rule + "', NULL FROM dup")
    malformed = _malformed_lines(tx, plan)
    report.lines_read = total + malformed
    report.rejected = rejected + n_dup + malformed
    if plan.kind == "events":
        report.guests = int(tx.scalar(
            "SELECT count(*) FROM fin f ANTI JOIN dup d ON f.src_row = d.src_row "
            "WHERE f.customer_key IS NULL AND f.outcome = 'accepted'"))
        report.free = int(tx.scalar(
            "SELECT count(*) FROM fin f ANTI JOIN dup d ON f.src_row = d.src_row "
            "WHERE f.unit_price = 0 AND f.event_type = 'purchase' AND f.outcome = 'accepted'"))
    report.rejected_by_rule = {r: int(n) for r, n in tx.rows(
        "SELECT rule, count(*) FROM rj GROUP BY rule ORDER BY count(*) DESC")}


def _malformed_lines(tx: Transaction, plan: TablePlan) -> int:
    """Lines DuckDB's CSV reader could not split; fold them into ``rj`` with true line numbers."""
    total = 0
    for i, table in enumerate(plan.rejects_tables):
        exists = tx.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table])
        if not exists:
            continue
        refuse_swallowed(tx, plan, table, plan.sources[min(i, len(plan.sources) - 1)].path)
        # DuckDB logs one reject per problem (a line with two surplus fields twice): one per line.
        # The raw line is not kept: it may hold names or e-mails. DuckDB's message says what
        # is wrong with it ("Expected Number of Columns: 8 Found: 9").
        bad = ("(SELECT line, CASE WHEN bool_or(error_type = 'INVALID ENCODING') THEN "
               "'bad_encoding' ELSE 'malformed_line' END AS rule, max("
               "error_message) AS message FROM " + quote_ident(table) + " GROUP BY line)")
        n = int(tx.scalar("SELECT count(*) FROM " + bad))
        if n and not plan.row_column:
            # The k-th good record sits on line k + 1 + (bad lines before it).
            tx.execute(
                "CREATE OR REPLACE TEMP TABLE badlines AS SELECT line - row_number() OVER "
                "(ORDER BY line) AS shift FROM " + bad)
            tx.execute("UPDATE rj SET row_number = row_number + (SELECT count(*) FROM badlines "
                       "WHERE shift <= rj.row_number - 1)")
        if n:
            tx.execute("INSERT INTO rj SELECT line, rule, " + pii.scrub_sql("left(message, 300)")
                       + " FROM " + bad)
        total += n
    _drop_rejects(tx, plan)
    return total


def _drop_rejects(tx: Transaction, plan: TablePlan) -> None:
    for table in plan.rejects_tables:
        scans = table.removesuffix("_rejects") + "_scans"
        tx.execute("DROP TABLE IF EXISTS " + quote_ident(table))
        tx.execute("DROP TABLE IF EXISTS " + quote_ident(scans))
