"""Every customer's list at once, in batches, as the engine would make it one request at a time.

``batch_lists`` gives the list every customer would see under an arm, scoring customers in
batches of thousands instead of one request each (a simulation needs tens of thousands of
lists in seconds). For customers the model personalises it is the engine's list for a visit
in an unknown context with ``new_products`` off: the same filters, novelty and MMR diversity
(``tests/test_abtest_demo.py`` checks it equals ``Engine.recommend`` for histories of up to
``core.recommend.recommend.MAX_EVENTS`` events; a single request reads only that many recent ones).
Everyone else - objectors, customers with no or too little history - gets the engine's own
list for their group (one request per region, segment or for all objectors), so they see
exactly what the shop would show. ``as_of`` may give each customer their own visit time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from core.recommend.beyond import as_lists
from core.recommend.blocks import pool_of
from core.recommend.ranking import DUE_SHARE, PURCHASE, mmr
from core.recommend.recommend import MIN_EVENTS
from core.recommend.types import Candidates, Context, Controls
from models import data, runtime

if TYPE_CHECKING:
    from core.recommend.recommend import Engine

log = logging.getLogger(__name__)
MODE_CODES = ("personalized", "best-sellers", "segment", "new", "non-personalized", "none")


@dataclass
class Lists:
    """The list each customer sees under one arm."""

    rows: np.ndarray  # (n_customers, n) catalog rows, -1 = empty slot
    mode: np.ndarray  # (n_customers,) index into MODE_CODES

    def mode_share(self, mode: str, among: np.ndarray | None = None) -> float:
        m = self.mode if among is None else self.mode[among]
        return float(np.mean(m == MODE_CODES.index(mode))) if len(m) else float("nan")


def no_lists(n_customers: int, n: int = 10) -> Lists:
    """The "no recommendations" arm."""
    return Lists(np.full((n_customers, n), -1, dtype=np.int64),
                 np.full(n_customers, MODE_CODES.index("none"), dtype=np.int64))


def best_sellers(engine: Engine, controls: Controls) -> np.ndarray:
    """The shop's recent best-sellers under the filters (catalog rows, best first)."""
    allowed = engine.static_mask(controls)
    pop = engine.popular_in(Context(), None)
    rows = np.flatnonzero(allowed)
    return rows[np.argsort(-pop[rows], kind="stable")[: controls.n]]


def batch_lists(engine: Engine, keys: list[str], controls: Controls, as_of: int | np.ndarray | None = None,
                chunk: int = 2048, progress: Callable[[float], None] | None = None) -> Lists:
    """Every customer's list under ``engine`` and ``controls`` (see the module's notes).

    ``as_of``: the time of the imagined visit - the shop's "now" by default, or one time per
    customer (evaluation: each customer's held-out basket), histories cut there."""
    n, k = len(keys), controls.n
    when = np.full(n, engine.now(), dtype=np.int64) if as_of is None else (
        np.broadcast_to(np.asarray(as_of, dtype=np.int64), (n,)).copy())
    rows = np.full((n, k), -1, dtype=np.int64)
    top = best_sellers(engine, controls)
    rows[:, : len(top)] = top
    users = np.array([engine.user_of.get(key, -1) for key in keys], dtype=np.int64)
    consent = engine.customers["consent"].reindex(keys).fillna(True).to_numpy(bool)
    off, ts = engine.offsets, engine.log.ts
    if as_of is None:
        n_events = np.where(users >= 0, np.diff(off)[users.clip(0)], 0)
    else:  # events before each customer's own visit
        n_events = np.array([np.searchsorted(ts[off[u]:off[u + 1]], t) if u >= 0 else 0
                             for u, t in zip(users, when, strict=True)], dtype=np.int64)
    mode = np.full(n, MODE_CODES.index("new"), dtype=np.int64)
    mode[(n_events > 0) & (n_events < MIN_EVENTS)] = MODE_CODES.index("segment")
    personal = (n_events >= MIN_EVENTS) & consent
    mode[personal] = MODE_CODES.index("personalized" if engine.personal else "best-sellers")
    mode[~consent] = MODE_CODES.index("non-personalized")  # their history is never read
    _fill_fallbacks(engine, keys, mode, rows, controls, when)
    todo = np.flatnonzero(personal)
    cut = np.full(engine.log.n_users, np.iinfo(np.int64).max, dtype=np.int64)  # per model user
    cut[users[personal]] = when[personal]
    excluded = _bought_pairs(engine, controls, cut) if controls.exclude_bought else None
    allowed = engine.static_mask(controls)
    for start in range(0, len(todo), chunk):
        sel = todo[start:start + chunk]
        rows[sel] = _top_rows(engine, users[sel], allowed, excluded, controls, when[sel])
        if progress:
            progress(min(1.0, (start + len(sel)) / max(len(todo), 1)))
    return Lists(rows, mode)


def capped_lists(engine: Engine, keys: list[str], controls: Controls, cap: float, seed: int = 0,
                 progress: Callable[[float], None] | None = None) -> Lists:
    """``batch_lists`` under an exposure cap: each customer's 50 best candidates, then no product
    in more than ``cap`` of the lists (``cap_exposure``, customers in a seeded order)."""
    deep = batch_lists(engine, keys, replace(controls, n=max(50, controls.n)), progress=progress)
    rows = cap_exposure(deep.rows + 1, controls.n, cap, seed) - 1
    return Lists(rows, deep.mode)


def _fill_fallbacks(engine: Engine, keys: list[str], mode: np.ndarray, rows: np.ndarray, controls: Controls,
                    when: np.ndarray) -> None:
    """Lists of customers the model does not personalise: one engine request per group that
    shares a list (objectors; new customers per region; short histories per segment)."""
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(mode >= MODE_CODES.index("segment")):
        m = MODE_CODES[mode[i]]
        if m == "non-personalized":
            group: tuple = (m,)
        elif m == "new":
            group = (m, engine.region_of(keys[i]))
        else:
            group = (m, engine.segment_of(keys[i]), engine.region_of(keys[i]))
        groups.setdefault(group, []).append(int(i))
    for members in groups.values():
        first = members[0]
        res = engine.recommend(keys[first], controls, Context(), int(when[first]), explain_picks=False)
        picked = engine.catalog.row([p.product_id for p in res.picks])
        rows[members] = -1
        rows[np.ix_(members, np.arange(len(picked)))] = picked


def _bought_pairs(engine: Engine, controls: Controls, cut: np.ndarray) -> np.ndarray:
    """Sorted keys user * (n_items + 1) + item of purchases (before each model user's ``cut``)
    that keep the item out of the list."""
    log_ = engine.log
    buy = (log_.etype == PURCHASE) & (log_.ts < cut[log_.user])
    key = log_.user[buy] * (log_.n_items + 1) + log_.item[buy]
    ts = log_.ts[buy]
    order = np.lexsort((ts, key))
    key, ts = key[order], ts[order]
    last = np.r_[key[1:] != key[:-1], True]
    key, ts = key[last], ts[last]
    if controls.allow_rebuys:
        row = engine.cat_row[key % (log_.n_items + 1) - 1]
        interval = np.where(row >= 0, engine.catalog.rebuy_days[row.clip(0)], np.nan)
        rebought = np.where(row >= 0, engine.rebought[row.clip(0)], False)
        since = (cut[key // (log_.n_items + 1)] - ts) / 86400.0
        due = rebought & (np.nan_to_num(interval, nan=np.inf) * DUE_SHARE <= since)
        key = key[~due]
    return key


def _top_rows(engine: Engine, users: np.ndarray, allowed: np.ndarray, excluded: np.ndarray | None,
              controls: Controls, when: np.ndarray) -> np.ndarray:
    """Lists (len(users), n) of catalog rows for customers the model personalises."""
    log_, n_items, off = engine.log, engine.log.n_items, engine.offsets
    targets = []
    for u, t in zip(users, when, strict=True):
        end = off[u] + int(np.searchsorted(log_.ts[off[u]:off[u + 1]], t)) - 1  # last event before t
        last = int(log_.ts[end]) if end >= off[u] else None
        targets.append(data.Target(int(u), int(t), np.zeros(0, np.int64),
                                   engine.context_codes(Context(), int(t), last)))
    with runtime.single_thread():
        scores = np.asarray(engine.scorer.score(log_, targets), dtype=np.float64)  # (b, n_items + 1)
    scores[:, 0] = -np.inf
    cat_row = engine.cat_row
    ok = np.r_[False, (cat_row >= 0) & allowed[cat_row.clip(0)]]
    scores[:, ~ok] = -np.inf
    if excluded is not None and len(excluded):
        srt = np.argsort(users, kind="stable")
        su = users[srt]
        lo, hi = np.searchsorted(excluded, [su[0] * (n_items + 1), (su[-1] + 1) * (n_items + 1)])
        pairs = excluded[lo:hi]
        who = pairs // (n_items + 1)
        where = np.searchsorted(su, who).clip(0, len(su) - 1)
        hit = su[where] == who
        scores[srt[where[hit]], pairs[hit] % (n_items + 1)] = -np.inf
    # (b, pool) model items, best first, ties by item id: the engine's own pool (core.recommend.blocks)
    cand, _ = pool_of(engine, scores, np.broadcast_to(allowed, (len(users), len(allowed))))
    cs = np.take_along_axis(scores, cand, axis=1)
    finite = np.isfinite(cs)
    lo = np.where(finite, cs, np.inf).min(axis=1, keepdims=True)
    hi = np.where(finite, cs, -np.inf).max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    rel = np.where(hi > lo, (cs - lo) / span, 1.0)
    rel = np.where(finite, rel + controls.novelty * engine.novelty[cand], -np.inf)
    out = np.full((len(users), controls.n), -1, dtype=np.int64)
    if controls.diversity <= 0:
        best = np.argsort(-rel, axis=1, kind="stable")[:, : controls.n]
        picked = np.take_along_axis(cand, best, axis=1)
        good = np.take_along_axis(np.isfinite(rel), best, axis=1)
        out[:, : picked.shape[1]] = np.where(good, cat_row[picked - 1], -1)
        return out
    for b in range(len(users)):  # MMR needs the picks so far: one customer at a time
        live = np.isfinite(rel[b])
        items = cand[b][live]
        c = Candidates(cat_row[items - 1], rel[b][live], cs[b][live],
                       np.full(len(items), "model", dtype=object))
        picked = [int(c.rows[i]) for i in mmr(engine, c, controls)]
        out[b, : len(picked)] = picked
    return out


def cap_exposure(ranked: np.ndarray, n: int, max_share: float, seed: int = 0) -> np.ndarray:
    """Lists of length ``n`` in which no item fills more than ceil(max_share * n_customers) lists.

    Customers are visited in a random order (fixed by ``seed``); each takes, best first, its own
    candidates whose cap is not yet reached (repeats and 0 skipped). This trades relevance for
    exposure: a customer may lose a top candidate to the cap and get a lower-ranked one, or an empty
    slot (0) when its candidates run out. When no cap binds this is simply the top-n of ``ranked``.
    """
    if not 0 < max_share <= 1:
        raise ValueError("max_share must be in (0, 1]")
    arr = as_lists(ranked)
    n_cust = arr.shape[0]
    cap = math.ceil(max_share * n_cust - 1e-9)
    out = np.zeros((n_cust, n), dtype=np.int64)
    counts = [0] * (int(arr.max(initial=0)) + 1)
    for u in np.random.default_rng(seed).permutation(n_cust).tolist():
        taken: list[int] = []
        for item in arr[u].tolist():
            if item > 0 and counts[item] < cap and item not in taken:
                taken.append(item)
                counts[item] += 1
                if len(taken) == n:
                    break
        out[u, :len(taken)] = taken
    empty = int((out == 0).sum())
    if empty:
        log.info("cap_exposure: %d of %d slots left empty (cap %d lists per item)", empty, out.size, cap)
    return out
