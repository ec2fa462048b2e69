"""Validation rules of the importer, as SQL over a staged table of text columns.

Every staged row keeps its raw text in ``f_<field>`` columns, already trimmed, with blanks as
NULL (so the expressions below never trim again). ``parsed_columns`` turns them into
typed values (dates in the column's format, numbers with currency symbols or decimal commas
cleaned, event types and booleans normalised), ``rule_case`` names the first rule a row breaks,
and ``RULES`` says, for each rule, which field it is about, what went wrong and how to fix it.
Identifiers here are our own constants; user values only ever travel as parameters.

Deciding the date format of a column: once per column, from the whole column, and said.

A sample of the column's values is tried against every known format (and Unix times); the
format that reads most of them wins. When a day-first and a month-first format read the
sample equally well, both are counted over the whole column in DuckDB: the one that reads
more rows wins, and when they tie (every day is 12 or less) day-first is used and the report
says so. A user's own format always wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from core.ingest.guess import DATE_FORMATS, EPOCH_MS, EPOCH_S, TS_SUFFIX, strip_ts
from core.store.store import Transaction, quote_ident

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

# The type of each field; anything not listed is text.
FIELD_TYPES = {
    "ts": "timestamp", "first_seen": "timestamp", "quantity": "integer", "rating": "integer",
    "unit_price": "number", "line_total": "number", "price": "number", "lat": "number", "lon": "number",
    "active": "bool", "consent_profiling": "bool", "stock": "integer",
}
EVENT_TYPES = {
    "view": "view", "pageview": "view", "page_view": "view", "detail": "view", "click": "view",
    "product_view": "view", "viewed": "view", "impression": "view",
    "cart": "cart", "addtocart": "cart", "add_to_cart": "cart", "basket": "cart",
    "carted": "cart", "add": "cart",
    "purchase": "purchase", "order": "purchase", "buy": "purchase", "transaction": "purchase",
    "sale": "purchase", "checkout": "purchase", "purchased": "purchase", "payment": "purchase",
    "paid": "purchase", "charge": "purchase",
    "return": "return", "refund": "return", "returned": "return", "cancel": "return",
}
CANCELLED_STATUS = ("cancelled", "canceled", "refunded", "voided", "unavailable", "failed")
TRUE_WORDS = ("true", "t", "yes", "y", "1", "on", "opt-in", "subscribed")
FALSE_WORDS = ("false", "f", "no", "n", "0", "off", "opt-out", "unsubscribed", "objected")
DEVICES = {"smartphone": "mobile", "phone": "mobile", "ios": "mobile", "android": "mobile",
           "mobile": "mobile", "tablet": "tablet", "ipad": "tablet", "desktop": "desktop",
           "pc": "desktop", "computer": "desktop", "laptop": "desktop"}

def human_format(fmt: str) -> str:
    """'%d/%m/%Y %H:%M' -> 'DD/MM/YYYY hh:mm'."""
    for code, text in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"),
                       ("%I", "hh"), ("%M", "mm"), ("%S", "ss"), ("%p", "AM/PM"), ("%a", "Day"),
                       ("%b", "Mon"), ("%B", "Month")):
        fmt = fmt.replace(code, text)
    return fmt


def swapped(fmt: str) -> str | None:
    """The same format with day and month exchanged, if it has both as numbers."""
    if "%d" in fmt and "%m" in fmt:
        return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return None


def ts_text(col: str) -> str:
    """SQL: the raw date text with a 'T' separator, a fraction and a time zone removed."""
    return (f"regexp_replace(regexp_replace({col}, '(\\d)T(\\d)', '\\1 \\2'), "
            f"'{TS_SUFFIX}', '\\1')")


def ts_expr(col: str, fmt: str, param: str, clean: bool = True) -> str:
    """SQL turning raw text into TIMESTAMP (NULL when it does not fit).

    The format itself travels as the named parameter ``param`` (it may come from the user);
    ``clean`` strips a 'T' separator, fractions and time zones first (only when needed: the
    regular expression is the costliest part of reading a date).
    """
    if fmt == EPOCH_S:
        return f"make_timestamp(try_cast({col} AS BIGINT) * 1000000)"
    if fmt == EPOCH_MS:
        return f"make_timestamp(try_cast({col} AS BIGINT) * 1000)"
    text = ts_text(col) if clean else col
    return f"try_strptime({text}, ${param})"


def number_expr(col: str) -> str:
    """SQL: text -> DOUBLE; '£1,234.50', '3,50 €' and '1.234,5' are cleaned; else NULL.

    Plain numbers take the first, cheap branch (DuckDB's coalesce is lazy). 'NaN', 'inf' and
    overflowing exponents parse as DOUBLE too: the rules reject them (``finite_conditions``).
    """
    cleaned = f"regexp_replace({col}, '[^0-9,.\\-]', '', 'g')"
    return (
        f"coalesce(try_cast({col} AS DOUBLE), CASE "
        f"WHEN {cleaned} ~ '^-?\\d{{1,3}}(\\.\\d{{3}})+,\\d+$' "
        f"THEN try_cast(replace(replace({cleaned}, '.', ''), ',', '.') AS DOUBLE) "
        f"WHEN {cleaned} ~ '^-?\\d{{1,3}}(,\\d{{3}})+(\\.\\d+)?$' "
        f"THEN try_cast(replace({cleaned}, ',', '') AS DOUBLE) "
        f"WHEN {cleaned} ~ '^-?\\d+,\\d+$' THEN try_cast(replace({cleaned}, ',', '.') AS DOUBLE) "
        f"ELSE try_cast({cleaned} AS DOUBLE) END)"
    )


PLAIN_QUANTITY = r"^[+-]?[0-9][0-9.,]*$"  # digits, with separators: 2, 2.0, 1,000, 12.500
UNIT_QUANTITY = r"^[+-]?[0-9]+ *[A-Za-z][A-Za-z.]{0,5}$"  # 3 pcs, 2x, 4 Stk.


def quantity_expr(col: str) -> str:
    """SQL: a count of units -> DOUBLE, read strictly: plain digits (with separators) as
    numbers, '3 pcs' as 3 (a fix the report names), anything else — hex '0x10', exponents
    '1e3', words — NULL (rejected: a conversion there would be a guess)."""
    return (f"CASE WHEN regexp_full_match({col}, '{PLAIN_QUANTITY}') THEN {number_expr(col)} "
            f"WHEN regexp_full_match({col}, '{UNIT_QUANTITY}') THEN "
            f"try_cast(regexp_extract({col}, '^[+-]?[0-9]+') AS DOUBLE) END")


def unit_quantity(col: str) -> str:
    """SQL: the quantity carried a unit word ('3 pcs'): counted as a fix."""
    return f"regexp_full_match({col}, '{UNIT_QUANTITY}')"


def finite_conditions(fields: list[str]) -> list[tuple[str, str]]:
    """NaN and infinities ('NaN', 'inf', 'Infinity', '1e309') are no price or quantity."""
    return [(f"v_{f} IS NOT NULL AND NOT isfinite(v_{f})", f"nonfinite_{f}")
            for f in fields if FIELD_TYPES.get(f) in ("number", "integer")
            and f"nonfinite_{f}" in RULES]


def _in_list(words: tuple[str, ...]) -> str:
    return ", ".join("'" + w.replace("'", "''") + "'" for w in words)


def bool_expr(col: str) -> str:
    """SQL: yes/no/true/false/1/0 (any case) -> BOOLEAN, else NULL."""
    low = f"lower({col})"
    return (f"CASE WHEN {low} IN ({_in_list(TRUE_WORDS)}) THEN true "
            f"WHEN {low} IN ({_in_list(FALSE_WORDS)}) THEN false END")


def map_expr(col: str, mapping: dict[str, str], keep_unknown: bool) -> str:
    """SQL: normalise text through a synonym table (lower case, spaces -> '_').

    Values that are already canonical skip the synonym table.
    """
    canonical = ", ".join(f"'{v}'" for v in sorted(set(mapping.values())))
    key = f"replace(lower({col}), ' ', '_')"
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items())
    return (f"CASE WHEN {col} IN ({canonical}) THEN {col} "
            f"ELSE CASE {key} {whens} ELSE {key if keep_unknown else 'NULL'} END END")


def normalize_customer_id(raw: str) -> str:
    """'13085.0' -> '13085' (ids read as numbers), e-mails lower-cased."""
    raw = raw.strip()
    if re.fullmatch(r"\d+\.0+", raw):
        return raw.split(".")[0]
    return raw.lower() if "@" in raw else raw


@dataclass(frozen=True)
class Rule:
    """One thing a row can get wrong."""

    field: str
    problem: str
    fix: str


RULES: dict[str, Rule] = {
    "missing_ts": Rule("ts", "no date", "fill in when it happened, or remove the row"),
    "bad_ts": Rule("ts", "not a date in this column's format ({fmt})",
                   "write the date as {fmt}, or choose the right format in the mapping"),
    "implausible_ts": Rule("ts", "date before 1990 or in the future",
                           "correct the year, or remove the row"),
    "missing_product_id": Rule("product_id", "no product code",
                               "fill in the product code (SKU), or remove the row"),
    "bad_quantity": Rule("quantity", "not a whole number written in digits (hex, exponents "
                         "and words are not read)",
                         "write the quantity as a whole number such as 2"),
    "nonfinite_quantity": Rule("quantity", "not a finite number (NaN or infinity)",
                               "write the quantity as a whole number such as 2"),
    "nonfinite_unit_price": Rule("unit_price", "not a finite number (NaN or infinity)",
                                 "write the price as a number such as 4.95"),
    "nonfinite_line_total": Rule("line_total", "not a finite number (NaN or infinity)",
                                 "write the line's total as a number such as 19.80"),
    "nonfinite_price": Rule("price", "not a finite number (NaN or infinity)",
                            "write the price as a number such as 4.95"),
    "zero_quantity": Rule("quantity", "quantity is 0", "remove the row or set the quantity"),
    "bad_unit_price": Rule("unit_price", "not a number", "write the price as a number such as 4.95"),
    "bad_line_total": Rule("line_total", "not a number",
                           "write the line's total as a number such as 19.80"),
    "negative_unit_price": Rule("unit_price", "negative price",
                                "record refunds as returns (negative quantity), not as "
                                "negative prices; adjustments belong outside the sales export"),
    "unknown_event_type": Rule("event_type", "unknown event type",
                               "use view, cart, purchase or return"),
    "duplicate_row": Rule("*", "the same line appears earlier in the file",
                          "remove the repeated line (if it really happened twice, merge it "
                          "into one line with the summed quantity)"),
    "missing_customer_id": Rule("customer_id", "no customer id",
                                "fill in the customer id, or remove the row"),
    "bad_first_seen": Rule("first_seen", "not a date in this column's format ({fmt})",
                           "write the date as {fmt}"),
    "bad_lat": Rule("lat", "latitude is not a number between -90 and 90", "correct or clear it"),
    "bad_lon": Rule("lon", "longitude is not a number between -180 and 180",
                    "correct or clear it"),
    "bad_consent_profiling": Rule("consent_profiling", "not yes/no or true/false",
                                  "write true (may profile) or false (objected)"),
    "bad_price": Rule("price", "not a number", "write the price as a number such as 4.95"),
    "negative_price": Rule("price", "negative price", "correct the price"),
    "bad_active": Rule("active", "not yes/no or true/false", "write true or false"),
    # Negative stock (oversold) is not rejected: it is read as 0, sold out (fix
    # ``negative_stock_set_to_0``).
    "bad_stock": Rule("stock", "not a whole number of units in stock",
                      "write the stock as a whole number such as 12, or leave it blank "
                      "when it is not tracked"),
    "missing_rating": Rule("rating", "no rating", "fill in 1 to 5 stars, or remove the row"),
    "bad_rating": Rule("rating", "rating is not a whole number from 1 to 5",
                       "write the rating as 1, 2, 3, 4 or 5"),
    "malformed_line": Rule("*", "the line does not split into the header's columns",
                           "check quotes and delimiters on this line"),
    "bad_encoding": Rule("*", "the line has bytes that are not valid UTF-8",
                         "save the file again as UTF-8 (Excel: 'CSV UTF-8')"),
}


def rule_case(conditions: list[tuple[str, str]]) -> str:
    """SQL CASE naming the first broken rule, from (condition, rule) pairs in order."""
    if not conditions:
        return "NULL"
    whens = " ".join(f"WHEN {cond} THEN '{rule}'" for cond, rule in conditions)
    return f"CASE {whens} END"


def typed_conditions(fields: list[str], required: list[str]) -> list[tuple[str, str]]:
    """Generic rules: required fields present, typed fields parse."""
    out: list[tuple[str, str]] = []
    for f in fields:
        if f in required:
            out.append((f"f_{f} IS NULL", f"missing_{f}"))
        kind = FIELD_TYPES.get(f)
        if kind and f"bad_{f}" in RULES:
            out.append((f"f_{f} IS NOT NULL AND v_{f} IS NULL", f"bad_{f}"))
    return out


def looks_like_epoch(values: list[str]) -> str | None:
    """EPOCH_S / EPOCH_MS when every sampled value is a plausible Unix time."""
    if values and all(re.fullmatch(r"\d{9,10}", v.strip()) for v in values):
        return EPOCH_S
    if values and all(re.fullmatch(r"\d{12,13}", v.strip()) for v in values):
        return EPOCH_MS
    return None


# -- the date format of a column ---------------------------------------------------------
DATE_SAMPLE = 1000


def choose_date_format(tx: Transaction, plan: TablePlan, f: str,
                       report: TableReport) -> tuple[str, bool]:
    """Decide one date format for the column of field ``f``, from the whole column.

    Returns the format and whether values need a 'T', fraction or time zone stripped first.
    """
    col = quote_ident(plan.mapping.columns[f])
    source_col = plan.mapping.columns[f]
    sample = [str(r[0]) for r in tx.rows(
        "SELECT CAST(" + col + " AS VARCHAR) AS v FROM " + plan.relation + " WHERE " + col
        + " IS NOT NULL AND trim(CAST(" + col + " AS VARCHAR)) <> '' LIMIT " + str(DATE_SAMPLE),
        plan.params)]
    cleaned = [strip_ts(s) for s in sample]
    clean = any(c != s.strip() for c, s in zip(cleaned, sample))
    if plan.mapping.date_format:
        return plan.mapping.date_format, True
    if not sample:
        return "%Y-%m-%d %H:%M:%S", clean
    epoch = looks_like_epoch(sample)
    if epoch:
        report.warnings.append(f"Column '{source_col}' holds Unix times ({epoch}).")
        return epoch, False
    scores = {fmt: sum(_parses(v, fmt) for v in cleaned) for fmt in DATE_FORMATS}
    best = max(scores.values())
    if best < 0.5 * len(cleaned):
        examples = ", ".join(repr(v) for v in sample[:3])
        from core.ingest.plan import IngestError

        raise IngestError(
            f"{plan.label}: column '{source_col}' (mapped to '{f}') does not hold dates in any "
            f"format shoplens knows (for example {examples}). Map another column to '{f}', "
            "or give its format in the mapping editor (for example %d/%m/%Y %H:%M)."
        )
    fmt = next(k for k, v in scores.items() if v == best)
    other = swapped(fmt)
    if other and scores.get(other, 0) == best:
        fmt = _decide_day_month(tx, plan, f, fmt, other, report)
    return fmt, clean


def _parses(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _decide_day_month(tx: Transaction, plan: TablePlan, f: str, fmt: str, other: str,
                      report: TableReport) -> str:
    col = "CAST(" + quote_ident(plan.mapping.columns[f]) + " AS VARCHAR)"
    sql = ("SELECT count(" + ts_expr(col, fmt, "a") + "), count("
           + ts_expr(col, other, "b") + ") FROM " + plan.relation)
    n_a, n_b = tx.rows(sql, {**plan.params, "a": fmt, "b": other})[0]
    source_col = plan.mapping.columns[f]
    day_first = fmt if fmt.index("%d") < fmt.index("%m") else other
    if n_a == n_b:
        report.warnings.append(
            f"Column '{source_col}': every date fits both day/month and month/day order; "
            f"read as {human_format(day_first)}. If that is wrong, choose the format "
            "in the mapping editor."
        )
        return day_first
    chosen = fmt if n_a > n_b else other
    report.warnings.append(
        f"Column '{source_col}': day/month order decided from the whole column: "
        f"{max(n_a, n_b):,} dates fit {human_format(chosen)}, only {min(n_a, n_b):,} "
        f"fit {human_format(other if chosen == fmt else fmt)}."
    )
    return chosen


# -- staging ---------------------------------------------------------------------------------
