"""What the recommender knows about products and the shop's habits, read once per shop.

Products with their merchant-facing fields (title, category, brand, price, active, stock),
how often each is bought (all time and lately), in which context (part of day, weekend,
device, region), whether customers buy it again and how often, and a content vector per
product (words of the title and description, category, brand, price band) for similarity:
diversity re-ranking and new products that no model has seen yet.

These are aggregates over all purchases, guests included: counting how often a product sells
on mobile in the evening profiles no one, so they are used for every customer, including
those who objected to profiling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.ingest.presets import SPEND_ONLY_PRODUCT
from core.shop.features import DAYPART_SQL, DAYPARTS
from core.store.store import Store

log = logging.getLogger(__name__)
RECENT_DAYS = 90
MIN_REBUYERS = 5  # a product counts as re-bought once this many customers bought it twice
MIN_REBUY_SHARE = 0.15
SIMILARITY_CELLS = 1 << 22  # products x catalog similarities kept by ``similarity_to_all`` (32 MB)
DAYPART_NAMES = tuple(name for name, _a, _b in DAYPARTS)
DAYPART_HOUR = {name: (a + b) // 2 for name, a, b in DAYPARTS}  # a typical hour of each part


def daypart_of(hour: int) -> str:
    """The part of the day an hour (0-23) falls in."""
    for name, a, b in DAYPARTS:
        if a <= hour <= b:
            return name
    raise ValueError(f"hour {hour} is not in 0..23")


@dataclass
class Catalog:
    """Products and purchase statistics of one shop (aggregates only, no customer rows)."""

    products: pd.DataFrame  # index product_id: title, category, brand, price, active, in_stock, is_product
    bought: pd.Series  # purchase lines per product, all time
    recent: pd.Series  # purchase lines per product in the last RECENT_DAYS of the data
    context: pd.DataFrame  # product_id, daypart, weekend, device, region, n (purchase lines)
    rebuy: pd.DataFrame  # index product_id: buyers, rebuyers, share, interval_days
    content: sp.csr_matrix  # one L2-normalised row per product, in ``products.index`` order
    end: pd.Timestamp  # the last event in the shop: "now" for this shop's data

    def __post_init__(self) -> None:
        # plain arrays for the per-request look-ups (pandas indexing costs microseconds each)
        p = self.products
        self.titles = p["title"].astype(str).to_numpy(dtype=object)
        self.product_ids = np.asarray([str(x) for x in p.index], dtype=object)
        self._content_of: tuple[bytes, sp.csr_matrix] | None = None
        self._similar: tuple[bytes, np.ndarray] | None = None
        self.title_codes = np.unique(self.titles, return_inverse=True)[1].reshape(-1)  # same title, same code
        self.categories = p["category"].astype(object).where(p["category"].notna(), None).to_numpy()
        self.category_text = p["category"].fillna("").astype(str).to_numpy(dtype=object)
        self.prices = pd.to_numeric(p["price"], errors="coerce").to_numpy(np.float64)
        self.sellable = p["is_product"].to_numpy(bool)
        self.in_stock = self.sellable & p["active"].to_numpy(bool) & p["in_stock"].to_numpy(bool)
        self.bought_counts = self.bought.to_numpy(np.float64)
        ctx = self.context
        rows = p.index.get_indexer(ctx["product_id"])
        known = rows >= 0
        self._ctx_row = rows[known]
        self._ctx_n = ctx["n"].to_numpy(np.float64)[known]
        self._ctx_cols = {c: ctx[c].to_numpy(dtype=object)[known] for c in ("daypart", "device", "region")}
        self._ctx_cols["weekend"] = ctx["weekend"].to_numpy(dtype=bool)[known]
        self._ctx_total = np.bincount(self._ctx_row, weights=self._ctx_n, minlength=len(p))
        self.rebuy_days = pd.to_numeric(self.rebuy["interval_days"].reindex(p.index),
                                        errors="coerce").to_numpy(np.float64)

    def content_rows(self, rows: np.ndarray) -> sp.csr_matrix:
        """The content vectors of ``rows`` (the last rows asked are kept: the new products
        every list considers are the same for everyone under the same filters)."""
        key = np.asarray(rows, dtype=np.int64).tobytes()
        kept = self._content_of  # read once: pages share the catalog across threads
        if kept is None or kept[0] != key:
            kept = self._content_of = (key, self.content[rows])
        return kept[1]

    def similarity_to_all(self, rows: np.ndarray) -> np.ndarray | None:
        """Content similarity (len(rows), products) of ``rows`` to every product, kept for the
        last ``rows`` asked; None when larger than ``SIMILARITY_CELLS`` (then a caller multiplies
        its own few columns: each cell sums the same products in the same order, row by row)."""
        if len(rows) * len(self.products) > SIMILARITY_CELLS:
            return None
        key = np.asarray(rows, dtype=np.int64).tobytes()
        kept = self._similar  # read once: another thread may replace it between two reads
        if kept is None or kept[0] != key:
            kept = self._similar = (key, (self.content[rows] @ self.content.T).toarray())
        return kept[1]

    def row(self, product_ids: list[str] | np.ndarray) -> np.ndarray:
        """Positions of products in ``products.index`` (-1 for unknown ones)."""
        return self.products.index.get_indexer(pd.Index(product_ids))

    def is_rebought(self) -> pd.Series:
        """Products the shop's data shows people buy again (bool per product)."""
        r = self.rebuy.reindex(self.products.index)
        return (r["rebuyers"].fillna(0) >= MIN_REBUYERS) & (r["share"].fillna(0) >= MIN_REBUY_SHARE)

    def context_lift(self, daypart: str | None, weekend: bool | None, device: str | None,
                     region: str | None = None, min_lines: int = 5) -> pd.Series:
        """How much more often each product sells in this context than products on average
        (1.0 = as usual), shrunk towards 1 for products with few sales."""
        mask = np.ones(len(self._ctx_row), dtype=bool)
        for col, value in (("daypart", daypart), ("weekend", weekend), ("device", device),
                           ("region", region)):
            if value is not None:
                mask &= self._ctx_cols[col] == value
        if mask.all():
            return pd.Series(1.0, index=self.products.index)
        inside = np.bincount(self._ctx_row[mask], weights=self._ctx_n[mask], minlength=len(self.products))
        share = inside.sum() / max(self._ctx_total.sum(), 1)
        if share <= 0:
            return pd.Series(1.0, index=self.products.index)
        prior = min_lines  # pseudo-sales at the shop's average share
        lift = (inside + prior * share) / ((self._ctx_total + prior) * share)
        return pd.Series(lift, index=self.products.index)

    def popular_in(self, daypart: str | None, weekend: bool | None, device: str | None,
                   region: str | None) -> pd.Series:
        """Purchase share of each product in a context, backed off to the whole shop's
        recent best-sellers where the context has little data."""
        base = (self.recent + 1) / (self.recent.sum() + len(self.recent))
        return base * self.context_lift(daypart, weekend, device, region)  # in catalog order


_PRODUCTS = "SELECT * FROM products"
_COUNTS = """
SELECT product_id, count(*) AS n,
       count(*) FILTER (WHERE ts >= (SELECT max(ts) FROM events) - INTERVAL {days} DAY) AS recent
FROM events WHERE event_type = 'purchase' GROUP BY ALL
"""
_CONTEXT = f"""
SELECT e.product_id, ({DAYPART_SQL}) AS daypart, isodow(e.ts) >= 6 AS weekend,
       coalesce(e.device, '') AS device,
       coalesce(e.region, c.region, e.country, c.country, '') AS region, count(*) AS n
FROM events e LEFT JOIN customers c USING (customer_key)
WHERE e.event_type = 'purchase' GROUP BY ALL
"""
_REBUY = """
WITH days AS (
    SELECT DISTINCT customer_key, product_id, ts::DATE AS d FROM events
    WHERE event_type = 'purchase' AND customer_key IS NOT NULL),
gaps AS (
    SELECT customer_key, product_id,
           d - lag(d) OVER (PARTITION BY customer_key, product_id ORDER BY d) AS gap FROM days)
SELECT product_id, count(DISTINCT customer_key) AS buyers,
       count(DISTINCT customer_key) FILTER (WHERE gap IS NOT NULL) AS rebuyers,
       median(gap) AS interval_days
FROM gaps GROUP BY ALL
"""


def load(store: Store) -> Catalog:
    """Read the shop's products and purchase statistics (a few grouped queries)."""
    products = store.df(_PRODUCTS).set_index("product_id")
    stock = products["stock"] if "stock" in products.columns else pd.Series(np.nan, index=products.index)
    level = pd.to_numeric(stock, errors="coerce").astype("float64").to_numpy()
    products["in_stock"] = ~(level <= 0)  # unknown (NaN) counts as in stock
    for col in ("active", "is_product"):
        products[col] = products[col].astype("boolean").fillna(True).astype(bool)
    keep = ["title", "category", "brand", "price", "description", "active", "in_stock", "is_product"]
    products = products[keep]
    products["title"] = products["title"].fillna(pd.Series(products.index, index=products.index))
    counts = store.df(_COUNTS.format(days=int(RECENT_DAYS))).set_index("product_id")
    bought = counts["n"].reindex(products.index, fill_value=0).astype(float)
    recent = counts["recent"].reindex(products.index, fill_value=0).astype(float)
    context = store.df(_CONTEXT)
    rebuy = store.df(_REBUY).set_index("product_id")
    rebuy["share"] = rebuy["rebuyers"] / rebuy["buyers"].clip(lower=1)
    end = store.scalar("SELECT max(ts) FROM events")
    return Catalog(products, bought, recent, context, rebuy, content_vectors(products),
                   pd.Timestamp(end) if end is not None else pd.Timestamp.now())


def content_vectors(products: pd.DataFrame) -> sp.csr_matrix:
    """Words of title and description (TF-IDF), category, brand and price band, one
    L2-normalised row per product: products that read alike, sit in the same category and
    cost about the same are close."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    text = (products["title"].fillna("").astype(str) + " "
            + products["description"].fillna("").astype(str)).str.lower()
    blocks = []
    if text.str.strip().astype(bool).any():
        try:
            blocks.append(TfidfVectorizer(min_df=1, max_features=20_000, sublinear_tf=True,
                                          token_pattern=r"(?u)\b[a-z][a-z]+\b").fit_transform(text))
        except ValueError:  # no words at all (only numbers): the other blocks still work
            log.info("no words in product titles to compare")
    for col, weight in (("category", 1.0), ("brand", 0.6)):
        values = products[col].fillna("").astype(str)
        if values.str.len().gt(0).any():
            blocks.append(weight * _one_hot(values))
    price = pd.to_numeric(products["price"], errors="coerce")
    if price.notna().sum() >= 5:
        bands = pd.qcut(price.rank(method="first"), 5, labels=False).fillna(-1).astype(int)
        blocks.append(0.5 * _one_hot(bands.astype(str).where(bands >= 0, "")))
    if not blocks:
        return sp.csr_matrix((len(products), 1), dtype=np.float32)
    return normalize(sp.hstack(blocks).tocsr().astype(np.float32))


def _one_hot(values: pd.Series) -> sp.csr_matrix:
    codes, uniques = pd.factorize(values)
    rows = np.flatnonzero((codes >= 0) & (values.to_numpy() != ""))
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, codes[rows])),
                         shape=(len(values), max(len(uniques), 1)))


MIN_PRODUCTS = 5  # fewer: every list would hold the whole catalog, nothing is chosen


def why_no_recommendations(store: Store) -> str | None:
    """Why this shop cannot get recommendations, in plain words (None when it can)."""
    n = int(store.scalar("SELECT count(*) FROM products WHERE is_product AND product_id <> ?",
                         [SPEND_ONLY_PRODUCT]))
    if n == 0 and store.scalar("SELECT count(*) FROM events"):
        return ("This shop's history has no product ids (a spend-only export: who bought, when "
                "and for how much). Recommendations choose products, so they need an export "
                "with a product or SKU column. Revenue, orders, customer value, churn and "
                "segments work on what is there.")
    if n < MIN_PRODUCTS:
        return (f"This shop sells {n} product{'s' if n != 1 else ''}: with fewer than "
                f"{MIN_PRODUCTS}, every list of recommendations would simply show them all. "
                "Import an export with the whole catalog to preview recommendations.")
    return None
