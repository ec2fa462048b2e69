"""Many customers' lists at once, each exactly the list ``Engine.recommend`` gives them.

``results`` answers a block of requests - the same controls, the same (or each customer's
usual) context, with or without reasons - as ``[engine.recommend(key, controls, context, as_of,
explain) for key in keys]`` would, but scores every personalised customer of a chunk in one
call to the model instead of one call each. Only the scoring and the choice of each customer's
pool of model candidates are vectorised; every other step is the engine's own, per customer:
``Engine.request`` (history, mode, usual context, region, filters and bought products),
``candidates.from_top`` (relevance, context weight, novelty, new products), ``Engine.finish``
(MMR, picks and reasons). Customers the model does not score (objectors, too little history,
new customers) take the engine's fallback step, one by one.

Memory is bounded by a chunk times the catalog, never customers times the catalog: a chunk
holds at most ``cells // (n_items + 1)`` scored histories (a customer with reasons needs one
plus one per occluded product group, ``candidates.GROUPS``).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np

from core.recommend import candidates
from core.recommend.candidates import POOL
from core.recommend.recommend import MODEL_MODES
from core.recommend.types import Context, Controls, Request, Result

if TYPE_CHECKING:
    from core.recommend.recommend import Engine

log = logging.getLogger(__name__)
CELLS = 1 << 22  # scores (float64) held at once: 32 MB, whatever the catalog


def rows_per_call(engine: Engine, cells: int | None = None) -> int:
    """How many histories one call to the model scores at most."""
    return max(1, (cells or CELLS) // (engine.log.n_items + 1))


def results(engine: Engine, keys: list[str], controls: Controls, context: Context | None = None,
            as_of: int | None = None, explain: bool = True, cells: int | None = None) -> list[Result]:
    """``[engine.recommend(k, controls, context, as_of, explain) for k in keys]``, scored in chunks
    of at most ``rows_per_call(engine, cells)`` histories (``CELLS`` by default)."""
    started = time.perf_counter()
    as_of = as_of or engine.now()
    reqs = [engine.request(key, controls, context, as_of) for key in keys]
    out: list[Result | None] = [None] * len(keys)
    limit = rows_per_call(engine, cells)
    chunk: list[int] = []
    groups: list[list[np.ndarray]] = []
    rows = 0
    for i, req in enumerate(reqs):
        if req.mode not in MODEL_MODES:
            cands = candidates.fallback(engine, req.key, req.mode, req.allowed, req.context, req.region,
                                        controls)
            out[i] = engine.finish(req, cands, controls, explain, started)
            continue
        grp = candidates.history_groups(engine, req.hist) if explain else []
        if chunk and rows + 1 + len(grp) > limit:
            _score_chunk(engine, [reqs[j] for j in chunk], groups, controls, explain, started, out, chunk)
            chunk, groups, rows = [], [], 0
        chunk.append(i)
        groups.append(grp)
        rows += 1 + len(grp)
    if chunk:
        _score_chunk(engine, [reqs[j] for j in chunk], groups, controls, explain, started, out, chunk)
    return [r for r in out if r is not None]


def _score_chunk(engine: Engine, reqs: list[Request], groups: list[list[np.ndarray]], controls: Controls,
                 explain: bool, started: float, out: list[Result | None], where: list[int]) -> None:
    """Score the chunk's customers (``groups``: each one's occluded products) in one model call;
    fill ``out`` at ``where``."""
    log_ = engine.log
    parts, codes, when, first = [], [], [], []
    for req, grp in zip(reqs, groups, strict=True):
        last = int(log_.ts[req.hist[-1]]) if len(req.hist) else None
        code = engine.context_codes(req.context, req.as_of, last)
        first.append(len(parts))
        parts += [req.hist] + [req.hist[~np.isin(log_.item[req.hist], d)] for d in grp]
        codes += [code] * (1 + len(grp))
        when += [req.as_of] * (1 + len(grp))
    scores = engine.score_parts(parts, codes, when)  # (histories, n_items + 1)
    base = scores[first]  # each customer's own history
    top, finite = pool_of(engine, base, np.stack([r.allowed for r in reqs]))
    for b, (req, grp) in enumerate(zip(reqs, groups, strict=True)):
        items = top[b][finite[b]]
        lo = first[b]
        cands = candidates.from_top(engine, items, scores[lo:lo + 1 + len(grp)][:, items], grp, req.hist,
                                    req.allowed, controls, req.context)
        out[where[b]] = engine.finish(req, cands, controls, explain, started)


def pool_of(engine: Engine, base: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's model candidates as ``candidates.personal`` picks them: its ``POOL`` best
    allowed items with finite scores, best first, ties by item id (a stable sort's order).

    ``base``: scores (b, n_items + 1); ``allowed``: (b, catalog rows). Returns items (b, pool)
    and which of them are real candidates (finite; a row may have fewer than ``pool``)."""
    rows = engine.cat_row
    ok = np.zeros(base.shape, dtype=bool)
    ok[:, 1:] = (rows >= 0)[None, :] & allowed[:, rows.clip(0)]
    scores = np.where(ok & np.isfinite(base), base, -np.inf)
    pool = min(POOL, scores.shape[1])
    # the pool-th best score of each row; of the items tied at it, the lowest ids come in
    kth = -np.partition(-scores, pool - 1, axis=1)[:, pool - 1:pool]
    above = scores > kth
    tied = scores == kth
    need = pool - above.sum(axis=1, keepdims=True)
    take = above | (tied & (np.cumsum(tied, axis=1) <= need))
    items = np.nonzero(take)[1].reshape(len(base), pool)  # ascending ids in each row
    top_scores = np.take_along_axis(scores, items, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    items = np.take_along_axis(items, order, axis=1)
    return items, np.isfinite(np.take_along_axis(top_scores, order, axis=1))
