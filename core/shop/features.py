"""Per-customer behaviour from the store: when, on what, where and how much each customer shops.

One row per known customer who did not object to profiling (guests and objectors are left out:
describing someone's habits is profiling). Context shares are over all of a customer's
events (views, carts, purchases), so that browsing habits count too; money and basket figures
are over purchases net of returns of real products (no postage or fees). Used two ways: as
optional clustering inputs next to the learned embedding (``matrix``) and to describe segments
(``core.segments.profiles``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.store.store import Store

log = logging.getLogger(__name__)

# Parts of the day, as a shop owner would say them: (name, first hour, last hour).
DAYPARTS: tuple[tuple[str, int, int], ...] = (
    ("night", 0, 4), ("early morning", 5, 8), ("morning", 9, 11), ("lunchtime", 12, 13),
    ("afternoon", 14, 17), ("evening", 18, 21), ("late evening", 22, 23))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CONTEXT_KINDS = ("daypart", "weekday", "device", "channel", "region")
NUMERIC = ("recency_days", "frequency", "monetary", "basket_items", "basket_value", "tenure_days",
           "weekend_share", "views_per_purchase")

DAYPART_SQL = "CASE " + " ".join(
    f"WHEN hour(e.ts) BETWEEN {a} AND {b} THEN '{name}'" for name, a, b in DAYPARTS) + " END"

_EVENTS = """
FROM events e
JOIN customers c USING (customer_key)
LEFT JOIN products p USING (product_id)
WHERE e.customer_key IS NOT NULL AND c.consent_profiling
"""


def _basket() -> str:
    return "coalesce(e.order_id, e.session_id, strftime(e.ts, '%Y-%m-%d'))"


def numeric(store: Store) -> pd.DataFrame:
    """Numbers per customer: RFM, basket size and value, tenure, weekend share, views per purchase.

    ``recency_days`` is counted from the shop's last event; customers who never bought have
    NaN recency and zero frequency and money.
    """
    df = store.df(f"""
        WITH last AS (SELECT max(ts) AS t FROM events),
        lines AS (
            SELECT e.customer_key, e.ts, e.event_type, {_basket()} AS basket, e.quantity,
                   CASE e.event_type WHEN 'return' THEN -1 ELSE 1 END * e.quantity
                       * coalesce(e.unit_price, p.price, 0) AS net,
                   coalesce(p.is_product, true) AS real, isodow(e.ts) >= 6 AS weekend
            {_EVENTS}
        ),
        buys AS (
            SELECT customer_key, basket, min(ts) AS ts, sum(quantity) AS items, sum(net) AS value
            FROM lines WHERE event_type = 'purchase' AND real GROUP BY ALL
        ),
        per AS (
            SELECT customer_key, count(*) AS frequency, max(ts) AS last_buy,
                   median(items) AS basket_items, median(value) AS basket_value
            FROM buys GROUP BY ALL
        ),
        acts AS (
            SELECT customer_key, min(ts) AS first_ts, avg(weekend::INT) AS weekend_share,
                   count(*) FILTER (WHERE event_type = 'view') AS views,
                   greatest(sum(net) FILTER (WHERE real AND event_type IN ('purchase', 'return')), 0)
                       AS monetary
            FROM lines GROUP BY ALL
        )
        SELECT a.customer_key,
               date_diff('second', p.last_buy, (SELECT t FROM last)) / 86400.0 AS recency_days,
               coalesce(p.frequency, 0) AS frequency, coalesce(a.monetary, 0) AS monetary,
               p.basket_items, p.basket_value,
               date_diff('second', a.first_ts, (SELECT t FROM last)) / 86400.0 AS tenure_days,
               a.weekend_share, a.views / greatest(coalesce(p.frequency, 0), 1) AS views_per_purchase
        FROM acts a LEFT JOIN per p USING (customer_key)
        ORDER BY a.customer_key
    """)
    return df.set_index("customer_key").astype(float)


def context_shares(store: Store, kind: str) -> pd.DataFrame:
    """Share of each customer's events per value of ``kind`` (daypart, weekday, device, channel,
    region): rows customers, columns the values, rows sum to 1 (customers with no value left out)."""
    if kind not in CONTEXT_KINDS:
        raise ValueError(f"Unknown context {kind!r}; choose one of {', '.join(CONTEXT_KINDS)}.")
    column = {"daypart": DAYPART_SQL, "weekday": "isodow(e.ts)", "device": "e.device",
              "channel": "e.channel",
              "region": "coalesce(e.region, c.region, e.country, c.country)"}[kind]
    long = store.df(f"SELECT e.customer_key, ({column})::VARCHAR AS v, count(*) AS n {_EVENTS} "
                    "AND v IS NOT NULL AND v <> '' GROUP BY ALL")
    if long.empty:
        return pd.DataFrame()
    if kind == "weekday":
        long["v"] = long["v"].astype(int).map(lambda d: WEEKDAYS[d - 1])
    wide = long.pivot_table(index="customer_key", columns="v", values="n", aggfunc="sum", fill_value=0)
    return wide.div(wide.sum(axis=1), axis=0)


def category_spend(store: Store) -> pd.DataFrame:
    """Items bought per customer and category (long: customer_key, category, items, spend)."""
    return store.df(f"""
        SELECT e.customer_key, coalesce(p.category, 'uncategorised') AS category,
               sum(e.quantity) AS items, sum(e.quantity * coalesce(e.unit_price, p.price, 0)) AS spend
        {_EVENTS} AND e.event_type = 'purchase' AND coalesce(p.is_product, true)
        GROUP BY ALL""")


def product_buyers(store: Store) -> pd.DataFrame:
    """Which customers bought which product (long: customer_key, product_id, title, category)."""
    return store.df(f"""
        SELECT DISTINCT e.customer_key, e.product_id, p.title, p.category
        {_EVENTS} AND e.event_type = 'purchase' AND coalesce(p.is_product, true)""")


def matrix(store: Store, keys: Sequence[str], parts: Sequence[str]) -> np.ndarray:
    """Standardised clustering inputs for ``keys`` from the chosen ``parts``: ``"rfm"`` (log
    recency, frequency, money and basket size) and/or ``"context"`` (daypart, weekday, device and
    channel shares). Each part is scaled to unit total variance so no part dominates by width."""
    blocks: list[np.ndarray] = []
    index = pd.Index(keys)
    for part in parts:
        if part == "rfm":
            num = numeric(store).reindex(index)
            cols = num[["recency_days", "frequency", "monetary", "basket_items"]].copy()
            cols["recency_days"] = cols["recency_days"].fillna(cols["recency_days"].max())
            block = np.log1p(cols.fillna(0).clip(lower=0).to_numpy(float))
        elif part == "context":
            frames = [context_shares(store, k).reindex(index).fillna(0)
                      for k in ("daypart", "weekday", "device", "channel")]
            block = pd.concat([f for f in frames if not f.empty], axis=1).to_numpy(float)
        else:
            raise ValueError(f"Unknown feature part {part!r}; choose 'rfm' or 'context'.")
        blocks.append(_standardise(block))
    if not blocks:
        return np.zeros((len(index), 0), dtype=np.float32)
    return np.hstack(blocks).astype(np.float32)


def _standardise(block: np.ndarray) -> np.ndarray:
    """Columns to mean 0 and sd 1 (constant columns to 0), then the block to unit total variance."""
    if block.size == 0:
        return block
    sd = block.std(axis=0)
    z = (block - block.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return z / np.sqrt(max(int((sd > 0).sum()), 1))


def standardise_vectors(vectors: np.ndarray) -> np.ndarray:
    """Learned vectors scaled like a feature block, to be stacked with ``matrix``."""
    return _standardise(np.asarray(vectors, dtype=np.float64)).astype(np.float32)
