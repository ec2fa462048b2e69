"""Where a list's candidates come from: the model, new products, the segment, the context.

``personal`` scores the customer's history with the model in one batched call that also
scores the history without each of its most recent products (occlusion): the drops are what
``core.recommend.explain`` cites as "because you bought X". ``fallback`` serves the cold-start ladder
from aggregates only.
"""

from __future__ import annotations

import numpy as np

from core.recommend.types import Candidates, Context, Controls, EngineView

POOL = 200  # model candidates re-ranked for novelty and diversity
GROUPS = 16  # most recent distinct history products tested for their contribution
MIN_SIMILARITY = 0.3  # a new product must be at least this similar to something bought


def history_groups(engine: EngineView, hist: np.ndarray, k: int = GROUPS) -> list[np.ndarray]:
    """The customer's ``k`` most recently used distinct products, one group each."""
    items = engine.log.item[hist][::-1]
    _, first = np.unique(items, return_index=True)
    recent = items[np.sort(first)][:k]
    return [np.array([i], dtype=np.int64) for i in recent]


def _normalise(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    if not finite.any():
        return np.zeros_like(x)
    lo, hi = x[finite].min(), x[finite].max()
    out = (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)
    return np.where(finite, out, 0.0)


def personal(engine: EngineView, hist: np.ndarray, allowed: np.ndarray, controls: Controls,
             ctx: Context, as_of: int, explain: bool = True) -> Candidates:
    """The model's best allowed products for this history and context, with occlusion drops."""
    groups = history_groups(engine, hist) if explain else []
    scores = engine.score_variants(hist, groups, as_of, ctx)  # (1 + groups, n_items + 1)
    base = scores[0, 1:]
    rows = engine.cat_row
    ok = (rows >= 0) & allowed[rows.clip(0)] & np.isfinite(base)
    items = np.flatnonzero(ok) + 1
    top = items[np.argsort(-base[items - 1], kind="stable")[:POOL]]
    return from_top(engine, top, scores[:, top], groups, hist, allowed, controls, ctx)


def from_top(engine: EngineView, top: np.ndarray, scores: np.ndarray, groups: list[np.ndarray],
             hist: np.ndarray, allowed: np.ndarray, controls: Controls, ctx: Context) -> Candidates:
    """Candidates from the model's ``top`` allowed items (best first, ties by item id) and their
    scores (1 + len(groups), len(top)): the history's, then without each group. ``personal``
    makes one request's; ``core.recommend.blocks`` many customers' at once."""
    if not len(top):
        return _empty()
    rows = engine.cat_row
    rel = _normalise(scores[0])
    # The shop's sales in the visit's context re-weight every model's list (the neural models
    # also read the context themselves): + weight * log2(lift), clipped to +-1. It helps where
    # context matters and can cost a little where it does not: bench/context_prior.py.
    lift = engine.context_lift(ctx)
    rel = rel + controls.context_weight * np.clip(np.log2(lift[rows[top - 1]]), -1, 1)
    rel = rel + controls.novelty * engine.novelty[top]
    drops = scores[0][None, :] - scores[1:] if groups else None
    cands = Candidates(rows[top - 1], rel, scores[0], np.full(len(top), "model", dtype=object),
                       drops, groups)
    if controls.new_products:
        cands = _with_new_products(engine, cands, hist, allowed, controls)
    return cands


def _with_new_products(engine: EngineView, cands: Candidates, hist: np.ndarray, allowed: np.ndarray,
                       controls: Controls) -> Candidates:
    """Add allowed products the model has never seen, by content similarity to what the
    customer bought or looked at (recent events weigh more)."""
    new = np.flatnonzero(allowed & (engine.model_items == 0))
    if not len(new) or not len(hist):
        return cands
    seen = engine.cat_row[engine.log.item[hist][::-1] - 1]
    _, first = np.unique(seen, return_index=True)
    seen = seen[np.sort(first)][:50]
    seen = seen[seen >= 0]
    if not len(seen):
        return cands
    content = engine.catalog.content
    # (new, seen); a cached product of ``new`` with the whole catalog holds the same numbers:
    # each cell sums the same products in the same order (a new product's words, in turn)
    full = engine.catalog.similarity_to_all(new)
    if full is not None:
        sim = full[:, seen]
    else:
        sim = (engine.catalog.content_rows(new) @ content[seen].T).toarray()
    titles = engine.catalog.title_codes
    # Never "similar to" itself: the same product (bought before the model learnt it) or
    # another product sharing its title, which reads as the same thing to the customer.
    sim[(new[:, None] == seen[None, :]) | (titles[new][:, None] == titles[seen][None, :])] = -np.inf
    best = sim.max(axis=1)
    keep = best >= MIN_SIMILARITY
    if not keep.any():
        return cands
    n = min(controls.n, len(cands)) or 1
    anchor = _median(np.sort(cands.rel)[::-1][:n]) if len(cands) else 1.0
    rel = best[keep] * anchor
    k = int(keep.sum())
    drops = None if cands.drops is None else np.hstack([cands.drops, np.zeros((len(cands.drops), k))])
    similar = np.r_[np.full(len(cands), -1), seen[sim[keep].argmax(axis=1)]]
    return Candidates(np.r_[cands.rows, new[keep]], np.r_[cands.rel, rel],
                      np.r_[cands.raw, np.full(k, np.nan)],
                      np.r_[cands.source, np.full(k, "new product", dtype=object)],
                      drops, cands.groups, similar)


def _median(x: np.ndarray) -> float:
    """``np.median`` of a short 1-d array without its per-call overhead (the same number)."""
    s = np.sort(x)
    m = len(s) // 2
    return float(s[m]) if len(s) % 2 else float((s[m - 1] + s[m]) / 2.0)


def fallback(engine: EngineView, key: str, mode: str, allowed: np.ndarray, ctx: Context,
             region: str | None, controls: Controls) -> Candidates:
    """Candidates without a personal model: the segment's favourites, or what sells in the
    customer's region and context (a new customer), or best-sellers in the context for a
    customer who objected to profiling (no region, no history: nothing about them is used)."""
    cat = engine.catalog
    if mode == "segment":
        counts, total = engine.segment_counts.get(engine.segment_of(key), (None, 0.0))
        shop = (cat.bought.to_numpy() + 1) / (cat.bought.sum() + len(cat.bought))
        prior = 20.0
        score = (counts + prior * shop) / (total + prior) if counts is not None else shop
        source = "segment"
    else:
        score = engine.popular_in(ctx, region if mode == "new" else None)
        source = "popular"
    rows = np.flatnonzero(allowed)
    if not len(rows):
        return _empty()
    top = rows[np.argsort(-score[rows], kind="stable")[:POOL]]
    rel = _normalise(np.log(score[top])) + controls.novelty * _row_novelty(engine, top)
    return Candidates(top, rel, score[top], np.full(len(top), source, dtype=object))


def _row_novelty(engine: EngineView, rows: np.ndarray) -> np.ndarray:
    items = engine.model_items[rows]
    return np.where(items > 0, engine.novelty[items], 1.0)


def _empty() -> Candidates:
    return Candidates(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, dtype=object))
