"""Recommendation policies for an A/B test, and every customer's list under a policy at once.

An arm is a policy: a model (a trained neural model or a baseline) with the merchant's
controls, or no recommendations at all. ``parse_arm`` reads the command line's spec,

    NAME=MODEL[:key=value,...]     e.g.  B=gru:diversity=0.3,n=8,share=0.5   A=popularity   C=none

MODEL is a model id, ``latest`` (the latest trained model), a neural kind (``gru``, ``lstm``,
``transformer``: its latest model), a baseline name (``itemknn``, ``popularity``, ...) or
``none``. Keys are the fields of ``core.ranking.Controls`` plus ``share`` (traffic weight) and
``exposure_cap`` (no product in more than this share of the arm's lists, e.g. 0.05).

``batch_lists`` gives the list every customer would see under an arm, scoring customers in
batches of thousands instead of one request each (a simulation needs tens of thousands of
lists in seconds). For customers the model personalises it is the engine's list for a visit
in an unknown context with ``new_products`` off: the same filters, novelty and MMR diversity
(``tests/test_abtest_demo.py`` checks it equals ``Engine.recommend`` for histories of up to
``core.recommend.MAX_EVENTS`` events; a single request reads only that many recent ones).
Everyone else - objectors, customers with no or too little history - gets the engine's own
list for their group (one request per region, segment or for all objectors), so they see
exactly what the shop would show. ``as_of`` may give each customer their own visit time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

import numpy as np

from core.recommend.ranking import PURCHASE, Candidates, Context, Controls, mmr
from models import data, runtime

if TYPE_CHECKING:
    from core.recommend.recommend import Engine
    from core.store.store import Store

log = logging.getLogger(__name__)
NEURAL_KINDS = ("gru", "lstm", "transformer")
MODE_CODES = ("personalized", "best-sellers", "segment", "new", "non-personalized", "none")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")
_FLOATS = {"diversity", "novelty", "context_weight", "price_min", "price_max", "share", "exposure_cap"}
_ARM_KEYS = {"share", "exposure_cap"}
_BOOLS = {"exclude_bought", "allow_rebuys", "in_stock_only", "new_products"}
_POOL = 200  # model candidates re-ranked, as in core.candidates


@dataclass(frozen=True)
class Arm:
    """One policy under test: a model with the merchant's controls, and its traffic weight."""

    name: str
    model: str = "latest"  # a model id, "latest", a neural kind, a baseline name or "none"
    controls: Controls = field(default_factory=lambda: Controls(new_products=False))
    share: float = 1.0  # relative traffic weight (normalised over the arms)
    exposure_cap: float | None = None  # no product in more than this share of the arm's lists

    def describe(self, label: str | None = None) -> str:
        """'GRU (recurrent) (diversity=0.3)': the model's label and the settings that differ."""
        c, base = self.controls, Controls(new_products=False)
        changed = [f"{f.name}={getattr(c, f.name)}" for f in fields(Controls)
                   if getattr(c, f.name) != getattr(base, f.name) and f.name != "n"]
        if self.model == "none":
            return "No recommendations"
        if self.exposure_cap:
            changed.append(f"exposure cap {self.exposure_cap:.0%}")
        return (label or self.model) + (f" ({', '.join(changed)})" if changed else "")


def parse_arm(spec: str) -> Arm:
    """``NAME=MODEL[:key=value,...]`` -> Arm, with a clear error for anything else."""
    if "=" not in spec:
        raise ValueError(f"Arm '{spec}': write NAME=MODEL, e.g. B=gru or A=popularity.")
    name, rest = (s.strip() for s in spec.split("=", 1))
    if not _NAME.match(name):
        raise ValueError(f"Arm name '{name}': use up to 40 letters, digits, spaces, '_', '.' or '-'.")
    model, _, opts = rest.partition(":")
    model = model.strip()
    if not model:
        raise ValueError(f"Arm '{spec}': the model is missing after '='.")
    values: dict[str, object] = {}
    share, cap = 1.0, None
    names = {f.name for f in fields(Controls)}
    for part in filter(None, (p.strip() for p in opts.split(","))):
        key, eq, value = (s.strip() for s in part.partition("="))
        if not eq or (key not in names and key not in _ARM_KEYS):
            known = ", ".join(sorted(names | _ARM_KEYS))
            raise ValueError(f"Arm '{name}': unknown setting '{part}'. Known settings: {known}.")
        try:
            if key in _BOOLS:
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                parsed: object = value.lower() in ("true", "1", "yes")
            elif key in _FLOATS:
                parsed = float(value)
            elif key == "n":
                parsed = int(value)
            else:  # categories: separated by '|'
                parsed = tuple(v.strip() for v in value.split("|") if v.strip())
        except ValueError:
            raise ValueError(f"Arm '{name}': '{key}={value}' is not a valid value.") from None
        if key == "share":
            share = float(parsed)  # type: ignore[arg-type]
        elif key == "exposure_cap":
            cap = float(parsed)  # type: ignore[arg-type]
        else:
            values[key] = parsed
    if not share > 0:
        raise ValueError(f"Arm '{name}': share must be above 0.")
    if cap is not None and not 0 < cap <= 1:
        raise ValueError(f"Arm '{name}': exposure_cap is a share of the lists, above 0 and at most 1.")
    controls = replace(Controls(new_products=False), **values)  # Controls checks the ranges
    return Arm(name, model, controls, share, cap)


def resolve_model(store: Store, model: str) -> str | None:
    """A model id or baseline name for ``Arm.model`` (None for "none")."""
    from core.learn.embeddings import _latest_per_kind
    from core.store import artifacts
    from models import baselines

    if model == "none":
        return None
    if model in baselines.BASELINES:
        return model
    if model == "latest":
        latest = artifacts.latest_id(store.shop)
        if latest is None:
            raise ValueError(f"Shop '{store.shop}' has no trained model yet: train one, or use a baseline "
                             "such as itemknn or popularity.")
        return latest
    if model in NEURAL_KINDS:
        for manifest in _latest_per_kind(store.shop):
            if manifest.get("kind") == model:
                return str(manifest["model_id"])
        raise ValueError(f"Shop '{store.shop}' has no trained {model} model: train one on the Model page "
                         f"(or `shoplens train --shop {store.shop} --kind {model}`).")
    if any(m.get("model_id") == model for m in artifacts.list_models(store.shop)):
        return model
    raise ValueError(f"Unknown model '{model}': use latest, {', '.join(NEURAL_KINDS)}, a model id, "
                     f"none, or one of {', '.join(baselines.BASELINES)}.")


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
    from core.recommend.recommend import MIN_EVENTS

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
    in more than ``cap`` of the lists (``core.fairness.cap_exposure``, customers in a seeded order)."""
    from core.fairness.fairness import cap_exposure

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
            group = (m, engine._region(keys[i]))
        else:
            group = (m, engine.segment_of(keys[i]), engine._region(keys[i]))
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
        from core.recommend.ranking import DUE_SHARE

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
    pool = min(_POOL, n_items)
    part = np.argpartition(-scores, pool - 1, axis=1)[:, :pool]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)  # by score, ties by item id (a stable sort's order)
    cand = np.take_along_axis(part, order, axis=1)  # (b, pool) model items, best first
    cs = np.take_along_axis(part_scores, order, axis=1)
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


__all__ = ["MODE_CODES", "Arm", "Lists", "batch_lists", "best_sellers", "capped_lists", "no_lists",
           "parse_arm", "resolve_model"]
