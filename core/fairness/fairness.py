"""Fairness and bias audit of recommendation lists: who gets good lists, and which products get shown.

Inputs are plain arrays (same conventions as ``core.recommend.beyond``): ``lists`` is an int array
``(n_customers, k)`` of item ids ``1..n_items`` with ``0`` = empty slot; per-item arrays
(``popularity`` = purchase counts, ``prices``) have length ``n_items + 1`` and entry 0 is unused.
Group labels are one value per customer; None/NaN/"" mean unknown and leave the customer out of
that attribute's groups.

Customer side (is list quality the same for every group?):

- ``ndcg_at_k``: binary gains, DCG = sum_{r <= k, item r relevant} 1 / log2(r + 1) (a repeated item
  counts once), IDCG = sum_{r=1}^{min(k, |R|)} 1 / log2(r + 1), NDCG = DCG / IDCG; |R| = 0 gives NaN.
- ``group_means``: mean m = sum x / n per group with the t-interval m +- t_{1-alpha/2, n-1} s / sqrt(n)
  (s with ddof=1). Groups with fewer than ``min_size`` values are pooled into "other (small groups)".
- ``disparity``: ratio = m_worst / m_best (lowest over highest group mean; 1 = parity), for
  non-negative metrics. Its percentile bootstrap interval (``core.abtest.stats.bootstrap_lift``, customers
  resampled within the two groups) is Bonferroni-widened to alpha / (G (G - 1) / 2) for G groups:
  the pair is picked *because* it is extreme, and only an interval that holds for every pair at once
  keeps "the interval excludes 1" from being a false alarm among many equal groups.
- ``price_level``: per customer, mean price over the recommended items with a known price.

Item side (which products get exposure?), via ``core.recommend.beyond``: ``gini`` of exposure counts,
``coverage``, ``long_tail_share`` (head = top 20% by popularity), ``popularity_bias`` (ratio of the
mean popularity share of recommended vs bought items), plus top10_share = (slots held by the 10
most-shown items) / (all filled slots). ``core.recommend.batch.cap_exposure`` re-ranks so
that no item fills more than ceil(max_share * n_customers) lists.
``core.fairness.wording`` puts it all into words.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as sps

from core.abtest import stats
from core.recommend import beyond
from core.recommend.beyond import as_lists

log = logging.getLogger(__name__)

POOLED = "other (small groups)"
LEVEL = 0.95  # level of the bootstrap intervals of ``disparity``


def ndcg_at_k(lists: np.ndarray, relevant: list[np.ndarray], k: int = 10) -> np.ndarray:
    """Per-customer NDCG@k with binary gains (see the module docstring); NaN without relevant items."""
    arr = as_lists(lists)[:, :k]
    n = arr.shape[0]
    if len(relevant) != n:
        raise ValueError(f"relevant has {len(relevant)} entries for {n} lists")
    rel = [r[r > 0] for r in (np.unique(np.asarray(x, dtype=np.int64)) for x in relevant)]
    n_rel = np.array([len(r) for r in rel], dtype=np.int64)
    width = int(max(arr.max(initial=0), max((int(r.max()) for r in rel if r.size), default=0))) + 1
    rel_keys = np.concatenate([r + u * width for u, r in enumerate(rel)]) if n else np.empty(0, np.int64)
    keys = arr + np.arange(n, dtype=np.int64)[:, None] * width
    hit = np.isin(keys, rel_keys) & (arr > 0)
    if arr.shape[1] > 1:  # a repeated id only counts at its first position
        earlier = np.tril(np.ones((arr.shape[1],) * 2, dtype=bool), -1)
        hit &= ~((arr[:, :, None] == arr[:, None, :]) & earlier).any(axis=2)
    disc = 1.0 / np.log2(np.arange(2, max(k, 1) + 2))
    dcg = (hit * disc[:arr.shape[1]]).sum(axis=1)
    ideal = np.concatenate([[0.0], np.cumsum(disc)])[np.minimum(n_rel, k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ideal > 0, dcg / ideal, np.nan)


@dataclass(frozen=True)
class GroupStat:
    attribute: str
    group: str
    n: int  # customers with a known value
    value: float  # group mean
    low: float  # t-interval
    high: float


@dataclass(frozen=True)
class Disparity:
    attribute: str
    metric: str
    worst: str  # group with the lowest mean
    best: str  # group with the highest mean
    ratio: float  # worst mean / best mean; 1 = parity
    low: float  # bootstrap interval of the ratio (simultaneous over all pairs of groups)
    high: float
    n_groups: int


def _groups(values: ArrayLike, labels: ArrayLike, min_size: int) -> dict[str, np.ndarray]:
    """Known values per known label, largest group first; groups under ``min_size`` pooled last."""
    x = np.asarray(values, dtype=np.float64).ravel()
    lab = pd.Series(np.asarray(labels, dtype=object).ravel())
    if len(lab) != len(x):
        raise ValueError(f"{len(x)} values but {len(lab)} labels")
    keep = ~lab.isna().to_numpy() & ~np.isnan(x)
    names = lab[keep].astype(str).str.strip()
    frame = pd.DataFrame({"g": names.to_numpy(), "x": x[keep]})
    frame = frame[frame["g"] != ""]
    parts = {str(g): d["x"].to_numpy() for g, d in frame.groupby("g", sort=True)}
    big = sorted((g for g in parts if len(parts[g]) >= min_size), key=lambda g: (-len(parts[g]), g))
    small = [parts[g] for g in sorted(parts) if len(parts[g]) < min_size]
    out = {g: parts[g] for g in big}
    if small:
        out[POOLED] = np.concatenate(small)
    return out


def group_means(values: ArrayLike, labels: ArrayLike, attribute: str, alpha: float = 0.05,
                min_size: int = 30) -> list[GroupStat]:
    """Mean of ``values`` per group of ``labels`` with a t-interval (NaN bounds when n < 2)."""
    out: list[GroupStat] = []
    for group, x in _groups(values, labels, min_size).items():
        n, mean = len(x), float(x.mean())
        if n >= 2:
            half = float(sps.t.ppf(1 - alpha / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
            low, high = mean - half, mean + half
        else:
            low = high = math.nan
        out.append(GroupStat(attribute, group, n, mean, low, high))
    return out


def disparity(values: ArrayLike, labels: ArrayLike, attribute: str, metric: str, n_boot: int = 500,
              seed: int = 0, min_size: int = 30) -> Disparity | None:
    """Lowest over highest group mean with a bootstrap interval; None when fewer than 2 groups.

    The pooled small groups take part only if together they reach ``min_size``. The ratio (and its
    interval) is NaN when the highest mean is not positive.
    """
    parts = _groups(values, labels, min_size)
    if POOLED in parts and len(parts[POOLED]) < min_size:
        del parts[POOLED]
    if len(parts) < 2:
        log.debug("disparity %s/%s: %d group(s), nothing to compare", attribute, metric, len(parts))
        return None
    names = list(parts)
    means = np.array([parts[g].mean() for g in names])
    order = np.argsort(means, kind="stable")
    worst, best = names[order[0]], names[order[-1]]
    g = len(names)
    if means[order[-1]] <= 0:
        return Disparity(attribute, metric, worst, best, math.nan, math.nan, math.nan, g)
    ratio = float(means[order[0]] / means[order[-1]])
    alpha = stats.interval_alpha(1 - LEVEL, g * (g - 1) // 2)
    low, high = stats.bootstrap_lift(parts[best], parts[worst], n_boot=n_boot, alpha=alpha, seed=seed)
    return Disparity(attribute, metric, worst, best, ratio, low + 1.0, high + 1.0, g)


def disparities(metrics: dict[str, ArrayLike], groups: dict[str, ArrayLike], n_boot: int = 500,
                seed: int = 0, min_size: int = 30) -> list[Disparity]:
    """``disparity`` for every (attribute, metric) pair that has at least two groups."""
    found = (disparity(v, lab, attr, name, n_boot, seed, min_size)
             for attr, lab in groups.items() for name, v in metrics.items())
    return [d for d in found if d is not None]


def price_level(lists: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Per-customer mean price of the recommended items with a known price (NaN when none)."""
    arr = as_lists(lists)
    p = np.asarray(prices, dtype=np.float64).ravel()
    if arr.size and arr.max() >= len(p):
        raise ValueError("an item id has no entry in prices")
    vals = p[arr]
    known = (arr > 0) & ~np.isnan(vals)
    total, count = np.where(known, vals, 0.0).sum(axis=1), known.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def exposure(lists: np.ndarray, n_items: int, popularity: np.ndarray,
             histories: list[np.ndarray] | None = None) -> dict[str, float]:
    """Item-side exposure measures; ``popularity_bias`` is NaN unless ``histories`` is given."""
    arr = as_lists(lists)
    counts = np.bincount(arr.ravel(), minlength=n_items + 1)[1:n_items + 1]
    slots = int(counts.sum())
    pop = beyond.popularity_bias(arr, histories if histories is not None else [], popularity)
    return {
        "coverage": beyond.coverage(arr, n_items),
        "gini": beyond.gini(counts),
        "long_tail_share": beyond.long_tail_share(arr, popularity, head_share=0.2),
        "popularity_share": pop["recommended"],
        "popularity_bias": pop["ratio"],
        "top10_share": float(np.sort(counts)[::-1][:10].sum() / slots) if slots else math.nan,
    }


def compare_exposure(policy_lists: np.ndarray, baseline_lists: np.ndarray, n_items: int,
                     popularity: np.ndarray) -> pd.DataFrame:
    """Exposure of the policy next to the best-sellers baseline (rows: measure)."""
    pol = exposure(policy_lists, n_items, popularity)
    base = exposure(baseline_lists, n_items, popularity)
    rows = [m for m in pol if m != "popularity_bias"]  # needs histories; see ``exposure``
    frame = pd.DataFrame({"policy": [pol[m] for m in rows], "best-sellers baseline": [base[m] for m in rows]},
                         index=pd.Index(rows, name="measure"))
    frame["difference"] = frame["policy"] - frame["best-sellers baseline"]
    return frame
