"""Deciding the date format of a column: once per column, from the whole column, and said.

A sample of the column's values is tried against every known format (and Unix times); the
format that reads most of them wins. When a day-first and a month-first format read the
sample equally well, both are counted over the whole column in DuckDB: the one that reads
more rows wins, and when they tie (every day is 12 or less) day-first is used and the report
says so. A user's own format always wins.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from core.ingest import checks
from core.store.store import Transaction, quote_ident

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

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
    cleaned = [re.sub(checks.TS_SUFFIX, "", s.strip().replace("T", " ")) for s in sample]
    clean = any(c != s.strip() for c, s in zip(cleaned, sample))
    if plan.mapping.date_format:
        return plan.mapping.date_format, True
    if not sample:
        return "%Y-%m-%d %H:%M:%S", clean
    epoch = checks.looks_like_epoch(sample)
    if epoch:
        report.warnings.append(f"Column '{source_col}' holds Unix times ({epoch}).")
        return epoch, False
    scores = {fmt: sum(_parses(v, fmt) for v in cleaned) for fmt in checks.DATE_FORMATS}
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
    other = checks.swapped(fmt)
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
    sql = ("SELECT count(" + checks.ts_expr(col, fmt, "a") + "), count("
           + checks.ts_expr(col, other, "b") + ") FROM " + plan.relation)
    n_a, n_b = tx.rows(sql, {**plan.params, "a": fmt, "b": other})[0]
    source_col = plan.mapping.columns[f]
    day_first = fmt if fmt.index("%d") < fmt.index("%m") else other
    if n_a == n_b:
        report.warnings.append(
            f"Column '{source_col}': every date fits both day/month and month/day order; "
            f"read as {checks.human_format(day_first)}. If that is wrong, choose the format "
            "in the mapping editor."
        )
        return day_first
    chosen = fmt if n_a > n_b else other
    report.warnings.append(
        f"Column '{source_col}': day/month order decided from the whole column: "
        f"{max(n_a, n_b):,} dates fit {checks.human_format(chosen)}, only {min(n_a, n_b):,} "
        f"fit {checks.human_format(other if chosen == fmt else fmt)}."
    )
    return chosen


# -- staging ---------------------------------------------------------------------------------
