"""The merchant's controls and the last steps of a list: filters, novelty and diversity.

``Controls`` is what the merchant sets (shown on the Customer page, passed by the CLI);
``Context`` is the visit being imagined ("on mobile on Sunday evening"). ``allowed_mask``
applies the filters to the whole catalog; ``mmr`` re-ranks the candidates by maximal marginal
relevance (Carbonell & Goldstein, 1998): each next pick maximises

    (1 - diversity) * relevance - diversity * (similarity to the picks so far)

with relevance in [0, 1] and content similarity (``core.catalog.content_vectors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.shop.features import WEEKDAYS
from models.data import EVENT_TYPES

if TYPE_CHECKING:
    from core.recommend.explain import Reason
    from core.recommend.recommend import Engine
    from core.shop.catalog import Catalog

MAX_NEW = 2  # new products (unknown to the model) in one list at most
DUE_SHARE = 0.5  # a re-bought product comes back once half its usual interval has passed
PURCHASE = EVENT_TYPES.index("purchase")
MODES = {"personalized": "Personalised by the model",
         "segment": "Popular in the customer's segment (too little history to personalise)",
         "new": "Popular in the customer's region and context (no purchases to learn from yet)",
         "best-sellers": "Best-sellers (a simple rule, not personalised beyond leaving out what they bought)",
         "non-personalized": "Not personalised: this customer objected to profiling"}


@dataclass(frozen=True)
class Context:
    """A visit: part of the day, ISO weekday (1 = Monday) and device; None = unknown."""

    daypart: str | None = None
    weekday: int | None = None
    device: str | None = None

    @property
    def weekend(self) -> bool | None:
        return None if self.weekday is None else self.weekday >= 6

    def words(self) -> str:
        """'on mobile on Sunday evening'."""
        parts = []
        if self.device:
            parts.append(f"on {self.device}")
        day = WEEKDAYS[self.weekday - 1] if self.weekday else None
        if day and self.daypart:
            parts.append(f"on {day} {self.daypart}")
        elif day:
            parts.append(f"on {day}")
        elif self.daypart:
            parts.append(f"in the {self.daypart}")
        return " ".join(parts) or "at any time"


@dataclass(frozen=True)
class Controls:
    """What the merchant allows in a list."""

    n: int = 10
    exclude_bought: bool = True  # leave out what the customer bought ...
    allow_rebuys: bool = True  # ... except products people re-buy, once they are due again
    in_stock_only: bool = True  # leave out inactive and out-of-stock products
    price_min: float | None = None
    price_max: float | None = None
    include_categories: tuple[str, ...] = ()  # empty: every category
    exclude_categories: tuple[str, ...] = ()
    diversity: float = 0.0  # 0 = by relevance only, 1 = as different from each other as possible
    novelty: float = 0.0  # 0 = as the model ranks, 1 = strongly favour less-known products
    new_products: bool = True  # products no model has seen yet, by content similarity
    context_weight: float = 0.15  # how much the shop's sales in the visit's context re-weight the list

    def __post_init__(self) -> None:
        if not 1 <= self.n <= 200:
            raise ValueError("The list length must be between 1 and 200.")
        for name in ("diversity", "novelty", "context_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1.")
        if (self.price_min is not None and self.price_max is not None
                and self.price_min > self.price_max):
            raise ValueError("The lowest price is above the highest price.")


@dataclass
class Candidates:
    """Products that may enter a list: catalog rows, relevance 0..1 and where they came from."""

    rows: np.ndarray  # positions in catalog.products
    rel: np.ndarray  # relevance in [0, 1] after novelty (and context, for context-blind models)
    raw: np.ndarray  # the model's own score (log probability or a baseline's score)
    source: np.ndarray  # "model" | "new product" | "segment" | "popular" per candidate
    drops: np.ndarray | None = None  # (groups, candidates) score lost without each history group
    groups: list[np.ndarray] = field(default_factory=list)  # model item ids of each group
    similar: np.ndarray | None = None  # for new products: the catalog row of the closest history item

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Pick:
    """One recommended product with its score (0..1, the list's best = 1) and reasons."""

    product_id: str
    title: str
    category: str | None
    price: float | None
    score: float
    reasons: list[Reason] = field(default_factory=list)
    source: str = "model"  # "model" | "new product" | "segment" | "popular"


@dataclass
class Result:
    """A customer's list, how it was made and how long it took."""

    customer_key: str
    mode: str  # a key of MODES
    picks: list[Pick]
    context: Context
    model: str
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return MODES[self.mode]

    @property
    def personalized(self) -> bool:
        return self.mode == "personalized"

    def frame(self) -> pd.DataFrame:
        """One row per pick, reasons joined in words (for tables, CSV and the CLI)."""
        return pd.DataFrame([{"rank": i + 1, "product_id": p.product_id, "title": p.title,
                              "category": p.category, "price": p.price, "score": round(p.score, 4),
                              "source": p.source, "reasons": " · ".join(r.text for r in p.reasons)}
                             for i, p in enumerate(self.picks)])


def allowed_mask(engine: Engine, controls: Controls, hist: np.ndarray, as_of: int) -> np.ndarray:
    """Catalog rows the merchant's filters let into a list for a customer with history ``hist``."""
    ok = engine.static_mask(controls).copy()
    if controls.exclude_bought and len(hist):
        ok &= ~_recently_bought(engine, hist, controls.allow_rebuys, as_of)
    return ok


def static_mask(cat: Catalog, controls: Controls) -> np.ndarray:
    """Catalog rows the filters allow for anyone (the same for every customer)."""
    ok = (cat.in_stock if controls.in_stock_only else cat.sellable).copy()
    with np.errstate(invalid="ignore"):
        if controls.price_min is not None:
            ok &= cat.prices >= controls.price_min
        if controls.price_max is not None:
            ok &= cat.prices <= controls.price_max
    if controls.include_categories:
        ok &= np.isin(cat.category_text, list(controls.include_categories))
    if controls.exclude_categories:
        ok &= ~np.isin(cat.category_text, list(controls.exclude_categories))
    return ok


def _recently_bought(engine: Engine, hist: np.ndarray, allow_rebuys: bool, as_of: int) -> np.ndarray:
    """Catalog rows the customer bought and should not be offered again (yet)."""
    log_ = engine.log
    out = np.zeros(len(engine.catalog.products), dtype=bool)
    bought = hist[log_.etype[hist] == PURCHASE]
    if not len(bought):
        return out
    items, last = _last_time(log_.item[bought], log_.ts[bought])
    rows = engine.cat_row[items - 1]
    known = rows >= 0
    items, last, rows = items[known], last[known], rows[known]
    out[rows] = True
    if allow_rebuys:
        interval = engine.catalog.rebuy_days[rows]
        days = (as_of - last) / 86400.0
        due = engine.rebought[rows] & (np.nan_to_num(interval, nan=np.inf) * DUE_SHARE <= days)
        out[rows[due]] = False
    return out


def _last_time(items: np.ndarray, ts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((ts, items))
    items, ts = items[order], ts[order]
    last = np.r_[items[1:] != items[:-1], True]
    return items[last], ts[last]


def mmr(engine: Engine, cands: Candidates, controls: Controls) -> list[int]:
    """Indices into ``cands`` of the list, in order: by relevance, re-ranked for diversity."""
    n = min(controls.n, len(cands))
    if n == 0:
        return []
    is_new = cands.source == "new product"
    if controls.diversity <= 0:
        order = np.argsort(-cands.rel, kind="stable")
        keep = ~is_new[order] | (np.cumsum(is_new[order]) <= MAX_NEW)
        return [int(i) for i in order[keep][:n]]
    top = np.argsort(-cands.rel, kind="stable")[: max(4 * n, 50)]  # enough to choose from
    vectors = engine.catalog.content[cands.rows[top]]
    sim = (vectors @ vectors.T).toarray()  # (k, k) cosine: rows are L2-normalised
    lam = 1.0 - controls.diversity
    chosen: list[int] = []
    closest = np.zeros(len(top))
    free = np.ones(len(top), dtype=bool)
    n_new = 0
    while len(chosen) < n and free.any():
        gain = np.where(free, lam * cands.rel[top] - (1 - lam) * closest, -np.inf)
        j = int(np.argmax(gain))
        free[j] = False
        if is_new[top[j]]:
            if n_new >= MAX_NEW:
                continue
            n_new += 1
        chosen.append(j)
        closest = np.maximum(closest, sim[j])
    return [int(top[j]) for j in chosen]
