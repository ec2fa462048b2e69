"""The merchant's controls and the last steps of a list: filters, novelty and diversity.

``Controls`` is what the merchant sets (shown on the Customer page, passed by the CLI);
``Context`` is the visit being imagined ("on mobile on Sunday evening"). ``allowed_mask``
applies the filters to the whole catalog; ``mmr`` re-ranks the candidates by maximal marginal
relevance (Carbonell & Goldstein, 1998): each next pick maximises

    (1 - diversity) * relevance - diversity * (similarity to the picks so far)

with relevance in [0, 1] and content similarity (``core.shop.catalog.content_vectors``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.recommend.types import Candidates, Controls, EngineView
from models.data import EVENT_TYPES

if TYPE_CHECKING:
    from core.shop.catalog import Catalog


MAX_NEW = 2  # new products (unknown to the model) in one list at most
DUE_SHARE = 0.5  # a re-bought product comes back once half its usual interval has passed
PURCHASE = EVENT_TYPES.index("purchase")
def allowed_mask(engine: EngineView, controls: Controls, hist: np.ndarray, as_of: int) -> np.ndarray:
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


def _recently_bought(engine: EngineView, hist: np.ndarray, allow_rebuys: bool, as_of: int) -> np.ndarray:
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


def mmr(engine: EngineView, cands: Candidates, controls: Controls) -> list[int]:
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
