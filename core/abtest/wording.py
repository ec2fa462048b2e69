"""How a saved A/B report is put into words on the page: its run line, CUPED, metrics' values.

One traffic figure everywhere: ``visitors_a_day``, the visitors who entered the test divided
by its days, the same number the planner starts from and the power sentences use
(``core.abtest.abtest``), in the same unit ("visitors a day").
"""

from __future__ import annotations

import math
from typing import Any

from core.shop.money import format_money

MONEY_METRICS = ("revenue_per_visitor", "aov")
RATE_METRICS = ("conversion", "ctr")


def pct(v: float | None, sign: bool = True) -> str:
    """0.052 -> '+5.2%' (``sign``) or '5.20%'; unknown -> 'n/a'."""
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{v * 100:+.1f}%" if sign else f"{v * 100:.2f}%"


def pvalue(p: float | None) -> str:
    """A p-value for a table: '< 0.0001', '0.0312' or 'n/a'."""
    if p is None or not math.isfinite(p):
        return "n/a"
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def metric_value(metric: str, v: float | None, currency: str | None = None) -> str:
    """A metric's value as the page shows it: rates in %, money in the shop's currency."""
    if v is None or not math.isfinite(v):
        return "n/a"
    if metric in RATE_METRICS:
        return pct(v, sign=False)
    if metric in MONEY_METRICS:
        return format_money(v, currency, 2)
    return f"{v:,.2f}"


def visitors_a_day(report: dict[str, Any]) -> float:
    """Visitors who entered the test per day: the planner's and the power sentences' traffic."""
    base = report.get("baseline") or {}
    daily = base.get("daily_visitors")
    if daily is not None and math.isfinite(daily):
        return float(daily)
    return sum(a["visitors"] for a in report["arms"]) / max(int(report["days"]), 1)


def run_line(report: dict[str, Any]) -> str:
    """'30 days from 2024-05-01, 5,000 customers (73 visitors a day); conversion ...'."""
    w = report["world"]
    return (f"{report['days']} days from {w['start']}, {w['customers']:,} customers "
            f"({visitors_a_day(report):,.0f} visitors a day); conversion per visit "
            f"{w['conversion']:.1%} ({'measured' if w['conversion_measured'] else 'assumed'}); "
            f"recommendations bring {w['rec_share']:.0%} of orders today; {report['repeats_n']} "
            f"repeats; run {report.get('run_id')}.")


def cuped_sentence(lift: dict[str, Any], label: str, days: int) -> str | None:
    """What CUPED did to the interval: narrower, wider or about the same (None: no CUPED)."""
    low, high = lift.get("cuped_low"), lift.get("cuped_high")
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    plain = lift["rel_high"] - lift["rel_low"]
    head = (f"With CUPED (each visitor's {label} in the {days} days before the test as a "
            f"covariate) the interval is {pct(low)} to {pct(high)}")
    if not (math.isfinite(plain) and plain > 0):
        return head + "."
    change = 1 - (high - low) / plain
    if abs(change) < 0.005:
        return head + ": about as wide as without it, from the same traffic."
    if change > 0:
        return head + f": {change:.0%} narrower, from the same traffic."
    return head + (f": {-change:.0%} wider - the days before the test say little about the "
                   "test itself here, so the plain interval above is the one to read.")
