"""From a shop's store to the models' ``EventLog``: who did what, in which order and context.

Only customers who did not object to profiling, only real products (no postage or fees) and
no guests: a model never learns from someone it may not profile. Products carry side
features (category, brand, price band) so that rare products share strength.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.store.store import Store
from models.data import CONTEXT, EVENT_TYPES, GAP_BUCKETS, EventLog

log = logging.getLogger(__name__)
PRICE_BANDS = 5


@dataclass(frozen=True)
class LogOptions:
    """Which events a model sees."""

    purchases_only: bool = False  # order exports have no views; benchmarks compare on baskets
    min_baskets: int = 1  # customers with fewer purchase baskets are left out


_SQL = """
SELECT e.customer_key AS u, e.product_id AS i, e.event_type AS t, epoch(e.ts)::BIGINT AS ts,
       hour(e.ts) AS hour, isodow(e.ts) AS weekday, month(e.ts) AS month,
       coalesce(e.device, '') AS device, coalesce(e.channel, '') AS channel,
       CASE WHEN e.event_type = 'purchase'
            THEN coalesce(e.order_id, e.session_id, strftime(e.ts, '%Y-%m-%d')) END AS basket_key
FROM events e
JOIN customers c USING (customer_key)
JOIN products p USING (product_id)
WHERE c.consent_profiling AND p.is_product AND e.event_type IN ({types})
"""


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Text -> 1..n codes by frequency, '' or NULL -> 0."""
    codes, vocab = _coded(values)
    return codes, len(vocab) + 1


def _coded(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Text -> 1..n codes by frequency ('' or NULL -> 0) and the labels of codes 1..n."""
    clean = values.fillna("").astype(str)
    vocab = [v for v in clean.value_counts().index if v != ""]
    codes = pd.Index(vocab).get_indexer(clean) + 1  # hashed look-up: fast on millions of rows
    return codes.astype(np.int64), vocab


def _gap_bucket(ts: np.ndarray, user: np.ndarray) -> np.ndarray:
    gap = np.diff(ts, prepend=ts[:1])
    first = np.r_[True, user[1:] != user[:-1]]
    bucket = np.clip(np.floor(np.log2(np.maximum(gap, 1))).astype(np.int64) // 2 + 1, 1,
                     GAP_BUCKETS - 1)
    bucket[first] = 0
    return bucket


def event_log(store: Store, options: LogOptions = LogOptions()) -> EventLog:
    """Every event a model may learn from, integer-coded and sorted by (customer, time)."""
    types = ("'purchase'" if options.purchases_only
             else "'view', 'cart', 'purchase', 'return'")
    df = store.df(_SQL.format(types=types))
    if df.empty:
        raise ValueError(f"Shop {store.shop!r} has no events of consenting customers to learn from.")
    # The query's rows come in no fixed order (DuckDB scans in parallel): every order below is
    # decided by the data alone - baskets at the same time by their key, the lines of a basket
    # by product and event type - so the same shop gives the same log, and the same lists.
    baskets = (df.dropna(subset=["basket_key"]).groupby(["u", "basket_key"])["ts"].min()
               .reset_index().sort_values(["u", "ts", "basket_key"], kind="stable"))
    baskets["basket"] = baskets.groupby("u").cumcount().astype(np.int64)
    n_baskets = baskets.groupby("u")["basket"].max() + 1
    keep = n_baskets[n_baskets >= options.min_baskets].index
    df = df[df["u"].isin(keep)]
    df = df.merge(baskets[["u", "basket_key", "basket"]], on=["u", "basket_key"], how="left")
    df["basket"] = df["basket"].fillna(-1).astype(np.int64)
    users = sorted(df["u"].unique())
    items = sorted(df["i"].unique())
    df["uid"] = pd.Index(users).get_indexer(df["u"])
    df["iid"] = pd.Index(items).get_indexer(df["i"]) + 1
    df = df.sort_values(["uid", "ts", "basket", "iid", "t"], kind="stable").reset_index(drop=True)
    user = df["uid"].to_numpy(np.int64)
    ts = df["ts"].to_numpy(np.int64)
    device, devices = _coded(df["device"])
    channel, channels = _coded(df["channel"])
    n_device, n_channel = len(devices) + 1, len(channels) + 1
    context = {"hour": df["hour"].to_numpy(np.int64) + 1, "weekday": df["weekday"].to_numpy(np.int64),
               "month": df["month"].to_numpy(np.int64), "device": device, "channel": channel,
               "gap": _gap_bucket(ts, user)}
    sizes = {"hour": 25, "weekday": 8, "month": 13, "device": n_device, "channel": n_channel,
             "gap": GAP_BUCKETS}
    assert set(context) == set(CONTEXT)
    side, side_sizes = item_side_features(store, items)
    etype = pd.Index(EVENT_TYPES).get_indexer(df["t"]).astype(np.int64)
    return EventLog(user, df["iid"].to_numpy(np.int64), etype, ts, df["basket"].to_numpy(np.int64),
                    context, len(users), len(items), sizes, side, side_sizes, [""] + items, users,
                    {"device": devices, "channel": channels})


def item_side_features(store: Store, items: list[str]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Category, brand and price band per item index (0 = padding / unknown)."""
    products = store.df("SELECT product_id, category, brand, price FROM products")
    products = products.set_index("product_id").reindex(items)
    out, sizes = {}, {}
    for name in ("category", "brand"):
        codes, size = _codes(products[name])
        out[name], sizes[name] = np.r_[0, codes].astype(np.int64), size
    price = products["price"].to_numpy(np.float64)
    band = np.zeros(len(items), dtype=np.int64)
    known = np.isfinite(price)
    if known.sum() >= PRICE_BANDS:
        edges = np.quantile(price[known], np.linspace(0, 1, PRICE_BANDS + 1)[1:-1])
        band[known] = np.searchsorted(edges, price[known], side="right") + 1
    out["price_band"], sizes["price_band"] = np.r_[0, band].astype(np.int64), PRICE_BANDS + 1
    return out, sizes


def fingerprint(store: Store) -> str:
    """Identity of the data a model sees: changes when events, products or consent change."""
    row = store.rows(
        "SELECT count(*), coalesce(max(import_id), 0), "
        "(SELECT count(*) FROM customers WHERE NOT consent_profiling), "
        "(SELECT count(*) FROM products), (SELECT coalesce(max(ts), TIMESTAMP '1970-01-01') "
        "FROM events) FROM events")[0]
    return hashlib.sha256(repr(row).encode()).hexdigest()[:16]
