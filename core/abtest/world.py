"""The simulated shop: how this shop's customers respond to what they are shown.

A policy under test is judged by a world that must not be one of the policies: a world built
from the GRU would favour the GRU. This world is a separate, transparent model of four habits
read from the shop's whole history, none of which is a model a merchant can put in an arm:

- **taste**: each customer's share of purchases (and, weaker, views) per category, shrunk
  towards the shop's shares (shops without categories get product groups from the words of
  their titles);
- **popularity** inside a category (square-rooted: a best-seller attracts more, not all);
- **price level**: a product far from the customer's usual prices attracts less;
- **re-buying**: products people re-buy attract their past buyers more.

Interest ``u(c, i)`` multiplies the four. A product shown in slot ``k`` is clicked with
probability ``theta_k * min(0.9, scale * u)`` (position bias ``theta_k = 1 / log2(k + 1)``) and
bought after a click with ``buy_after_click``. Besides, a visit ends in an order without the
recommendations with ``(1 - rec_share) * conversion``. ``scale`` is calibrated so that with the
shop's best-sellers in the slots, recommendations bring ``rec_share`` of the orders and visits
convert at the shop's measured rate (purchase sessions / sessions; shops whose data has
orders only get an assumed rate, said so on the page). Customers visit at their own observed
rate times the shop's weekday and month pattern. Objectors' tastes are never read: they get
the shop's average taste. The world's assumptions are its own; results say how policies
compare in it, and a live test remains the final word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.shop.catalog import Catalog
from core.store.store import Store

log = logging.getLogger(__name__)
MIN_CATEGORIES = 5  # fewer real categories than this: group products by their titles' words
PRIOR_EVENTS = 5.0  # taste shrinkage, in purchase-equivalents
VIEW_WEIGHT = 0.2  # a view says less about taste than a purchase
CLICK_CAP = 0.9


@dataclass(frozen=True)
class WorldConfig:
    """The assumptions a merchant may change (shown on the A/B page)."""

    rec_share: float = 0.10  # share of orders the recommendation slots bring with best-sellers in them
    buy_after_click: float = 0.10  # a clicked recommendation is bought with this probability
    conversion: float | None = None  # orders per visit; None = measured (or 3% for order-only data)
    repeat_boost: float = 3.0  # extra interest of a past buyer in a product people re-buy
    slots: int = 10

    def __post_init__(self) -> None:
        if not 0 < self.rec_share < 1 or not 0 < self.buy_after_click <= 1:
            raise ValueError("rec_share must be in (0, 1) and buy_after_click in (0, 1].")
        if self.conversion is not None and not 0 < self.conversion < 1:
            raise ValueError("conversion must be in (0, 1).")


ASSUMED_CONVERSION = 0.03


@dataclass
class World:
    """Arrays over the shop's customers (``keys``) and catalog rows."""

    keys: list[str]
    rate: np.ndarray  # visits per day, on an average day of the shop's data
    aov: np.ndarray  # value of an order without recommendations
    ipo: np.ndarray  # items per such order
    taste: np.ndarray  # (n, G) float32: affinity per group relative to the shop (1 = average)
    group: np.ndarray  # (n_rows,) group of each catalog row
    attract: np.ndarray  # (n_rows,) popularity factor
    log_price: np.ndarray  # (n_rows,) log price (NaN: unknown)
    price_mu: np.ndarray  # (n,) customer's usual log price
    price_sd: float
    bought: np.ndarray  # sorted keys customer * n_rows + row of past purchases of re-bought products
    prices: np.ndarray  # (n_rows,) price of each product (0 when unknown)
    weekday: np.ndarray  # (7,) visit factor per ISO weekday 1..7
    month: np.ndarray  # (12,) visit factor per month
    start: pd.Timestamp  # the first simulated day: the day after the shop's data ends
    conversion: float
    measured: bool  # conversion measured from sessions (True) or assumed
    config: WorldConfig
    group_source: str  # "categories" or "title words"
    scale: float = 1.0
    theta: np.ndarray = field(default_factory=lambda: 1.0 / np.log2(np.arange(2, 202)))

    @property
    def organic(self) -> float:
        """Probability that a visit ends in an order without the recommendations."""
        return self.conversion * (1.0 - self.config.rec_share)

    def interest(self, cust: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """u(c, i) for customers ``cust`` (m,) and shown rows (m, k); 0 for empty slots (-1)."""
        r = rows.clip(0)
        u = self.taste[cust[:, None], self.group[r]] * self.attract[r]
        lp = self.log_price[r]
        z = (lp - self.price_mu[cust, None]) / self.price_sd
        u = u * np.where(np.isfinite(z), np.exp(-0.5 * z**2), 1.0)
        n_rows = len(self.group)
        pair = cust[:, None].astype(np.int64) * n_rows + r
        pos = np.searchsorted(self.bought, pair).clip(0, max(len(self.bought) - 1, 0))
        hit = self.bought[pos] == pair if len(self.bought) else np.zeros(pair.shape, bool)
        u = u * (1.0 + self.config.repeat_boost * hit)
        return np.where(rows >= 0, u, 0.0)

    def click_probs(self, cust: np.ndarray, rows: np.ndarray, scale: float | None = None) -> np.ndarray:
        """P(click) per shown slot (m, k): position bias times attraction."""
        s = self.scale if scale is None else scale
        return self.theta[: rows.shape[1]] * np.minimum(CLICK_CAP, s * self.interest(cust, rows))

    def season(self, days: int) -> np.ndarray:
        """Visit factor of each simulated day (weekday times month)."""
        dates = pd.date_range(self.start, periods=days, freq="D")
        return self.weekday[dates.dayofweek.to_numpy()] * self.month[dates.month.to_numpy() - 1]

    def calibrate(self, status_quo: np.ndarray) -> float:
        """Set ``scale`` so that ``status_quo`` (m, k) lists bring ``rec_share`` of the orders."""
        target = self.conversion * self.config.rec_share / self.config.buy_after_click
        w = self.rate / max(self.rate.sum(), 1e-12)
        cust = np.arange(len(self.keys))
        u = self.interest(cust, status_quo)
        theta = self.theta[: status_quo.shape[1]]

        def clicks(scale: float) -> float:
            return float(w @ (theta * np.minimum(CLICK_CAP, scale * u)).sum(axis=1))

        lo, hi = 1e-9, 1e3
        if clicks(hi) < target:
            log.warning("The world cannot reach a %.1f%% recommendation share; using the most it can.",
                        100 * self.config.rec_share)
            self.scale = hi
            return hi
        for _ in range(80):  # bisection on a log scale: clicks() is monotone in scale
            mid = float(np.sqrt(lo * hi))
            lo, hi = (mid, hi) if clicks(mid) < target else (lo, mid)
        self.scale = float(np.sqrt(lo * hi))
        return self.scale

    def summary(self) -> dict[str, object]:
        return {"customers": len(self.keys), "visits_per_day": float(self.rate.sum()),
                "conversion": self.conversion, "conversion_measured": self.measured,
                "rec_share": self.config.rec_share, "buy_after_click": self.config.buy_after_click,
                "repeat_boost": self.config.repeat_boost, "groups": int(self.taste.shape[1]),
                "group_source": self.group_source, "scale": self.scale, "start": str(self.start.date())}


def synthetic(n_customers: int = 4000, n_products: int = 300, n_groups: int = 8, seed: int = 0,
              conversion: float = 0.05, config: WorldConfig | None = None) -> World:
    """A world with known numbers and no shop behind it: for checks of the statistics (the true
    lift of any two sets of lists is ``core.abtest.simulate.expected``) and for benchmarks."""
    rng = np.random.default_rng(seed)
    config = config or WorldConfig(conversion=conversion)
    taste = rng.lognormal(0.0, 0.8, (n_customers, n_groups)).astype(np.float32)
    prices = rng.lognormal(3.0, 0.7, n_products)
    world = World([f"c{i}" for i in range(n_customers)], rng.gamma(2.0, 0.025, n_customers),
                  rng.gamma(4.0, 12.5, n_customers), 1.0 + rng.poisson(1.0, n_customers).astype(float), taste,
                  rng.integers(0, n_groups, n_products), rng.lognormal(0.0, 0.5, n_products), np.log(prices),
                  rng.normal(3.0, 0.4, n_customers), 0.7, np.zeros(0, np.int64), prices, np.ones(7),
                  np.ones(12), pd.Timestamp("2026-01-05"), conversion, True, config, "synthetic")
    pop = np.argsort(-world.attract)[: config.slots]
    world.calibrate(np.tile(pop, (n_customers, 1)))
    return world


def best_lists(world: World, n: int = 10) -> np.ndarray:
    """Each customer's ``n`` products of highest interest in the world (an oracle policy)."""
    rows = np.arange(len(world.group))
    out = np.empty((len(world.keys), n), dtype=np.int64)
    for start in range(0, len(world.keys), 1024):
        cust = np.arange(start, min(start + 1024, len(world.keys)))
        u = world.interest(cust, np.tile(rows, (len(cust), 1)))
        out[cust] = np.argsort(-u, axis=1)[:, :n]
    return out


_CUSTOMERS = """
SELECT c.customer_key, c.consent_profiling AS consent,
       count(DISTINCT coalesce(e.session_id, e.order_id, strftime(e.ts, '%Y-%m-%d'))) AS visits
FROM customers c LEFT JOIN events e USING (customer_key)
GROUP BY ALL ORDER BY c.customer_key
"""
_ORDERS = """
SELECT customer_key, coalesce(order_id, session_id, strftime(ts, '%Y-%m-%d')) AS o,
       sum(quantity * coalesce(unit_price, 0)) AS value, sum(quantity) AS items
FROM events WHERE event_type = 'purchase' AND customer_key IS NOT NULL GROUP BY ALL
"""
_LINES = """
SELECT e.customer_key, e.product_id, e.event_type = 'purchase' AS bought, count(*) AS n,
       avg(ln(nullif(e.unit_price, 0))) AS log_price
FROM events e JOIN customers c USING (customer_key)
WHERE c.consent_profiling AND e.event_type IN ('view', 'purchase') GROUP BY ALL
"""
_SEASON = """
SELECT isodow(ts) AS weekday, month(ts) AS month, count(DISTINCT coalesce(session_id, order_id)) AS visits
FROM events GROUP BY ALL
"""
_SPAN = ("SELECT min(ts), max(ts), count(*) FILTER (WHERE event_type = 'view'), "
         "count(DISTINCT session_id) FILTER (WHERE event_type = 'purchase'), "
         "count(DISTINCT session_id) FROM events")


def fit(store: Store, cat: Catalog, config: WorldConfig | None = None) -> World:
    """The world of ``store``'s shop (a few grouped queries and numpy)."""
    config = config or WorldConfig()
    first, last, views, buy_sessions, sessions = store.rows(_SPAN)[0]
    if first is None:
        raise ValueError(f"Shop '{store.shop}' has no events to build a simulated world from.")
    span = max((pd.Timestamp(last) - pd.Timestamp(first)).total_seconds() / 86400.0, 1.0)
    measured = bool(views) and bool(sessions) and views > 0
    conversion = config.conversion or (buy_sessions / sessions if measured else ASSUMED_CONVERSION)
    conversion = float(np.clip(conversion, 1e-4, 0.95))
    cust = store.df(_CUSTOMERS)
    keys = cust["customer_key"].astype(str).tolist()
    idx = pd.Index(keys)
    rate = cust["visits"].to_numpy(np.float64) / span
    if not measured:  # the data holds orders only: visits that ended in one
        rate = rate / conversion
    orders = store.df(_ORDERS)
    aov, ipo = _order_habits(orders, idx)
    n_rows = len(cat.products)
    group, source = _groups(cat)
    lines = store.df(_LINES)
    rows = cat.row(lines["product_id"].astype(str).to_numpy())
    who = idx.get_indexer(lines["customer_key"].astype(str))
    keep = (rows >= 0) & (who >= 0)
    lines, rows, who = lines[keep], rows[keep], who[keep]
    bought = lines["bought"].to_numpy(bool)
    weight = lines["n"].to_numpy(np.float64) * np.where(bought, 1.0, VIEW_WEIGHT)
    taste = _taste(who, group[rows], weight, len(keys), int(group.max()) + 1)
    mu, sd = _price_habits(cat, who[bought], lines["log_price"].to_numpy()[bought],
                           lines["n"].to_numpy(np.float64)[bought], len(keys))
    rebought = cat.is_rebought().to_numpy()
    again = bought & rebought[rows]
    pairs = np.unique(who[again].astype(np.int64) * n_rows + rows[again])
    weekday, month = _season(store.df(_SEASON))
    prices = np.nan_to_num(cat.prices, nan=0.0).clip(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_price = np.where(cat.prices > 0, np.log(cat.prices), np.nan)
    world = World(keys, rate, aov, ipo, taste, group, _attract(cat, group), log_price, mu, sd, pairs,
                  prices, weekday, month, pd.Timestamp(last).normalize() + pd.Timedelta(days=1),
                  conversion, measured, config, source)
    world.calibrate(status_quo(cat, len(keys), config.slots))
    log.info("world of %s: %s", store.shop, world.summary())
    return world


def status_quo(cat: Catalog, n_customers: int, slots: int) -> np.ndarray:
    """Best-sellers in every slot: the lists the world is calibrated on."""
    rows = np.flatnonzero(cat.in_stock)
    pop = cat.recent.to_numpy(np.float64)
    top = rows[np.argsort(-pop[rows], kind="stable")[:slots]]
    out = np.full((n_customers, slots), -1, dtype=np.int64)
    out[:, : len(top)] = top
    return out


def _order_habits(orders: pd.DataFrame, idx: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's average order value and items per order, shrunk to the shop's (2 orders)."""
    n = len(idx)
    value = orders["value"].to_numpy(np.float64).clip(0)
    items = orders["items"].to_numpy(np.float64).clip(1)
    shop_value = float(value.mean()) if len(value) else 0.0
    shop_items = float(items.mean()) if len(items) else 1.0
    who = idx.get_indexer(orders["customer_key"].astype(str))
    ok = who >= 0
    count = np.bincount(who[ok], minlength=n)
    prior = 2.0
    aov = (np.bincount(who[ok], weights=value[ok], minlength=n) + prior * shop_value) / (count + prior)
    ipo = (np.bincount(who[ok], weights=items[ok], minlength=n) + prior * shop_items) / (count + prior)
    return aov, np.maximum(ipo, 1.0)


def _groups(cat: Catalog) -> tuple[np.ndarray, str]:
    codes, names = pd.factorize(pd.Series(cat.category_text).replace("", np.nan))
    if len(names) >= MIN_CATEGORIES:
        return np.where(codes < 0, len(names), codes).astype(np.int64), "categories"
    from sklearn.cluster import MiniBatchKMeans

    k = int(np.clip(len(cat.products) // 50, 2, 30))
    km = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3, batch_size=2048)
    return km.fit_predict(cat.content).astype(np.int64), "title words"


def _taste(who: np.ndarray, grp: np.ndarray, weight: np.ndarray, n: int, n_groups: int) -> np.ndarray:
    counts = np.zeros((n, n_groups))
    np.add.at(counts, (who, grp), weight)
    shop = (counts.sum(axis=0) + 1.0) / (counts.sum() + n_groups)
    share = (counts + PRIOR_EVENTS * shop) / (counts.sum(axis=1, keepdims=True) + PRIOR_EVENTS)
    return (share / shop).astype(np.float32)


def _attract(cat: Catalog, group: np.ndarray) -> np.ndarray:
    bought = cat.bought_counts + 1.0
    total = np.bincount(group, weights=bought)
    size = np.bincount(group)
    rel = bought / total[group] * size[group]  # 1 = an average product of its group
    return np.sqrt(rel)


def _price_habits(cat: Catalog, who: np.ndarray, log_price: np.ndarray, n: np.ndarray,
                  n_customers: int) -> tuple[np.ndarray, float]:
    ok = np.isfinite(log_price)
    who, log_price, n = who[ok], log_price[ok], n[ok]
    shop_mu = float(np.average(log_price, weights=n)) if len(n) else 0.0
    prices = cat.prices[np.isfinite(cat.prices) & (cat.prices > 0)]
    sd = float(np.std(np.log(prices))) if len(prices) > 1 else 1.0
    prior = 3.0
    total = np.bincount(who, weights=n * log_price, minlength=n_customers)
    count = np.bincount(who, weights=n, minlength=n_customers)
    return (total + prior * shop_mu) / (count + prior), max(sd, 0.3)


def _season(visits: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    wd = np.bincount(visits["weekday"].to_numpy(np.int64) - 1, weights=visits["visits"].to_numpy(float),
                     minlength=7)
    mo = np.bincount(visits["month"].to_numpy(np.int64) - 1, weights=visits["visits"].to_numpy(float),
                     minlength=12)
    weekday = wd / wd.mean() if wd.sum() > 0 else np.ones(7)
    seen = mo > 0
    month = np.ones(12)
    if seen.any():
        month[seen] = mo[seen] / mo[seen].mean()
    return weekday, month


__all__ = ["World", "WorldConfig", "best_lists", "fit", "status_quo", "synthetic"]
