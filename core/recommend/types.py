"""The recommendation's shared vocabulary: a visit, the merchant's controls, candidates, picks,
reasons, a customer's result, and ``EngineView`` - what the list-making steps (candidates,
ranking, explanations, batch lists) need of a loaded engine, so that they depend on this
contract and not on ``core.recommend.recommend``, which calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from core.shop.features import WEEKDAYS
from models import data

if TYPE_CHECKING:
    from core.shop.catalog import Catalog

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

    def rows(self) -> list[dict]:
        """One dict per pick, reasons joined in words (``frame``'s rows)."""
        return [{"rank": i + 1, "product_id": p.product_id, "title": p.title,
                 "category": p.category, "price": p.price, "score": round(p.score, 4),
                 "source": p.source, "reasons": " · ".join(r.text for r in p.reasons)}
                for i, p in enumerate(self.picks)]

    def frame(self) -> pd.DataFrame:
        """One row per pick, reasons joined in words (for tables, CSV and the CLI)."""
        return pd.DataFrame(self.rows())


@dataclass
class Request:
    """What one request knows before it scores (``Engine.request``): the history it may read
    (indices into the event log), its mode, the visit, the region, the filters' mask."""

    key: str
    hist: np.ndarray
    mode: str  # a key of MODES
    context: Context
    region: str | None
    allowed: np.ndarray  # per catalog row
    as_of: int


@dataclass(frozen=True)
class Reason:
    """One reason: its kind, its words, its weight (0..1) and the products it cites."""

    kind: str  # history | rebuy | segment | context | new | popular
    text: str
    weight: float
    items: tuple[str, ...] = ()


class EngineView(Protocol):
    """What candidates, ranking, explanations and batch lists read from a loaded engine
    (``core.recommend.recommend.Engine`` is the one implementation)."""

    catalog: Catalog
    log: data.EventLog
    item_ids: np.ndarray  # model item id -> product id (0: padding)
    cat_row: np.ndarray  # model item i -> catalog row of item i + 1 (-1: not in the catalog)
    model_items: np.ndarray  # catalog row -> model item (0: new to the model)
    novelty: np.ndarray  # per model item, 0..1
    rebought: np.ndarray  # per catalog row: do customers re-buy it
    neural: bool
    segments: pd.Series | None  # customer_key -> segment number
    segment_names: dict[int, str]
    segment_counts: dict[int, tuple[np.ndarray, float]]
    user_of: dict[str, int]

    def static_mask(self, controls: Controls) -> np.ndarray: ...
    def context_lift(self, ctx: Context) -> np.ndarray: ...
    def popular_in(self, ctx: Context, region: str | None) -> np.ndarray: ...
    def segment_of(self, key: str) -> int | None: ...
    def history(self, key: str, as_of: int | None = None) -> np.ndarray: ...
    def now(self) -> int: ...
    def score_variants(self, hist: np.ndarray, drops: list[np.ndarray], as_of: int,
                       ctx: Context) -> np.ndarray: ...
    def score_parts(self, parts: list[np.ndarray], codes: list[dict[str, int]],
                    as_of: list[int]) -> np.ndarray: ...
    def context_codes(self, ctx: Context, as_of: int, last_ts: int | None) -> dict[str, int]: ...
    def request(self, key: str, controls: Controls, context: Context | None, as_of: int) -> Request: ...
    def finish(self, req: Request, cands: Candidates, controls: Controls, explain_picks: bool,
               started: float) -> Result: ...
    def recommend(self, key: str, controls: Controls | None = None, context: Context | None = None,
                  as_of: int | None = None, explain_picks: bool = True) -> Result: ...
