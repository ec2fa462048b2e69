"""Classic RFM scores (recency, frequency, monetary) and eleven named customer groups.

Who is scored: customers with at least one purchase of a real product (``is_product``) up to
``as_of``; guests (no ``customer_key``) and customers who objected to profiling are left out.

- ``recency_days``: whole days from the last purchase to ``as_of`` (default: the shop's last event).
- ``frequency``: distinct purchase baskets, ``coalesce(order_id, session_id, day)`` as in
  ``core.shop.sequences``.
- ``monetary``: quantity x unit price of purchases (catalogue price when a line has none), minus
  returns, never below 0.

**Scores** run 1..5, 5 = best (most recent, most baskets, most spend). A customer's score is
``1 + floor(5 * p)`` capped at 5, where ``p`` is the share of the *other* customers who are strictly
worse on that measure. With distinct values this gives exact quintiles (n = 10: two customers per
score); equal values always get equal scores (``rank(method="first")`` would give two identical
one-time buyers different scores depending on row order), and a block of ties gets the lowest score
the block reaches, so one-time buyers are F1 however many there are. A shop with one customer scores
3 everywhere; tiny shops work but their scores are coarse.

**Groups** are the eleven of Shopify's customer analytics (Champions ... Prospects). Buyers get
one of ten from the recency score R and the rounded mean of the frequency and monetary scores,
``FM = (F + M + 1) // 2`` (the usual R x FM grid); Shopify does not publish its thresholds, so
the grid below is ours. The eleventh, "Prospects", is a customer with no purchase yet: they are
not in ``rfm_table`` (it scores buyers) and callers label them so (``PROSPECTS``).

    R \\ FM   1                2                3                4                 5
    5        New              Promising        Active           Champions         Champions
    4        Promising        Promising        Active           Loyal             Champions
    3        Needs attention  Needs attention  Needs attention  Loyal             Loyal
    2        Dormant          Almost lost      At risk          At risk           Previously loyal
    1        Dormant          Dormant          Almost lost      Previously loyal  Previously loyal
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from core.store.store import Store

log = logging.getLogger(__name__)

PROSPECTS = "Prospects"
GROUPS = ("Champions", "Loyal", "Active", "Needs attention", "New", "Promising", "At risk",
          "Previously loyal", "Almost lost", "Dormant", PROSPECTS)

_GRID_ROWS = {  # R score -> group for FM = 1..5 (see the module docstring)
    5: ("New", "Promising", "Active", "Champions", "Champions"),
    4: ("Promising", "Promising", "Active", "Loyal", "Champions"),
    3: ("Needs attention", "Needs attention", "Needs attention", "Loyal", "Loyal"),
    2: ("Dormant", "Almost lost", "At risk", "At risk", "Previously loyal"),
    1: ("Dormant", "Dormant", "Almost lost", "Previously loyal", "Previously loyal"),
}
GRID: dict[tuple[int, int], str] = {(r, fm + 1): name for r, row in _GRID_ROWS.items()
                                    for fm, name in enumerate(row)}

COLUMNS = ["recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_group"]

# Purchases and returns of consenting, known customers on real products, up to $as_of.
SALES_LINES_SQL = """
SELECT e.customer_key, e.ts, e.event_type,
       e.quantity * coalesce(e.unit_price, p.price, 0) AS amount,
       CASE WHEN e.event_type = 'purchase'
            THEN coalesce(e.order_id, e.session_id, strftime(e.ts, '%Y-%m-%d')) END AS basket
FROM events e
JOIN customers c USING (customer_key)
JOIN products p USING (product_id)
WHERE c.consent_profiling AND p.is_product AND e.event_type IN ('purchase', 'return')
  AND e.ts <= $as_of
"""

_TOTALS_SQL = f"""
WITH lines AS ({SALES_LINES_SQL})
SELECT customer_key,
       max(ts) FILTER (WHERE event_type = 'purchase') AS last_purchase,
       count(DISTINCT basket) AS frequency,
       greatest(coalesce(sum(amount) FILTER (WHERE event_type = 'purchase'), 0)
                - coalesce(sum(amount) FILTER (WHERE event_type = 'return'), 0), 0) AS monetary
FROM lines
GROUP BY customer_key
HAVING count(*) FILTER (WHERE event_type = 'purchase') > 0
"""


def last_event_time(store: Store) -> pd.Timestamp | None:
    """The time of the shop's last event (any type), or None for a shop without events."""
    ts = store.scalar("SELECT max(ts) FROM events")
    return None if ts is None else pd.Timestamp(ts)


def score(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """1..5 scores, 5 = best; equal values get equal scores (see the module docstring)."""
    n = len(values)
    if n == 0:
        return pd.Series([], index=values.index, dtype=np.int64)
    if n == 1:
        return pd.Series([3], index=values.index, dtype=np.int64)
    ranked = (values if higher_is_better else -values).rank(method="min")
    share_worse = (ranked - 1) / (n - 1)
    return (1 + np.floor(5 * share_worse)).clip(upper=5).astype(np.int64)


def rfm_group(r_score: int, f_score: int, m_score: int) -> str:
    """The group of one customer's scores (1..5 each)."""
    return GRID[(int(r_score), (int(f_score) + int(m_score) + 1) // 2)]


def rfm_table(store: Store, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """RFM measures, scores and group per customer, indexed by ``customer_key``.

    Only purchases and returns at or before ``as_of`` count (default: the shop's last event).
    An empty frame with the same columns when nobody has bought anything yet.
    """
    if as_of is None:
        as_of = last_event_time(store)
    if as_of is None:
        return _empty()
    as_of = pd.Timestamp(as_of)
    df = store.df(_TOTALS_SQL, {"as_of": as_of.to_pydatetime()})
    if df.empty:
        return _empty()
    df = df.set_index("customer_key").sort_index()
    age = (as_of - pd.to_datetime(df["last_purchase"])).dt.total_seconds() / 86400
    out = pd.DataFrame(index=df.index)
    out["recency_days"] = np.floor(age).astype(np.int64)
    out["frequency"] = df["frequency"].astype(np.int64)
    out["monetary"] = df["monetary"].astype(float)
    out["r_score"] = score(age, higher_is_better=False)
    out["f_score"] = score(out["frequency"])
    out["m_score"] = score(out["monetary"])
    out["rfm_group"] = [rfm_group(r, f, m) for r, f, m in
                        zip(out["r_score"], out["f_score"], out["m_score"])]
    log.info("RFM of %d customers of shop %s as of %s", len(out), store.shop, as_of)
    return out


def group_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Customers, share and mean measures per group, in the order of ``GROUPS`` (empty groups too)."""
    grouped = table.groupby("rfm_group")
    out = pd.DataFrame({
        "customers": grouped.size(),
        "mean_recency_days": grouped["recency_days"].mean(),
        "mean_frequency": grouped["frequency"].mean(),
        "mean_monetary": grouped["monetary"].mean(),
        "monetary": grouped["monetary"].sum(),
    }).reindex(list(GROUPS))
    out["customers"] = out["customers"].fillna(0).astype(np.int64)
    out["monetary"] = out["monetary"].fillna(0.0)
    out["share"] = out["customers"] / max(int(out["customers"].sum()), 1)
    out.index.name = "rfm_group"
    return out


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in COLUMNS})
    out["monetary"] = out["monetary"].astype(float)
    out["rfm_group"] = out["rfm_group"].astype(object)
    out.index = pd.Index([], name="customer_key", dtype=object)
    return out
