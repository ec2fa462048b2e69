"""The simple rules: best-sellers, recent best-sellers, the customer's own repeats, item-kNN.

Each follows the ``Baseline`` contract of ``models.rules.estimator`` and is vectorised over a
batch of targets with sparse products: no Python loop over items or events. Models that read a
history (repeat, item-kNN) add a tiny training-popularity term, so that items they cannot tell
apart, and users without history, fall back to popularity.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.data import EventLog, Split, Target
from models.rules.estimator import DAY, Baseline, history_matrix, purchase_counts, purchase_matrix

# ---------------------------------------------------------------------------------------------
# Popularity


class Popularity(Baseline):
    """Everyone gets the best sellers of the training period (purchase counts)."""

    def _fit(self, split: Split) -> None:
        self.counts_ = purchase_counts(split.train).astype(np.float32)

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        return np.tile(self.counts_, (len(targets), 1))


class RecentPopularity(Baseline):
    """Best sellers of the last ``days`` before the end of training; ties (and items not sold
    lately) are ordered by overall popularity."""

    def __init__(self, days: float = 30.0):
        self.days = days

    def _fit(self, split: Split) -> None:
        if self.days <= 0:
            raise ValueError(f"days must be positive, not {self.days}")
        recent = purchase_counts(split.train, since=int(split.t_valid - self.days * DAY))
        overall = purchase_counts(split.train)
        # The overall share is < 1, so it only orders items with equal recent counts.
        self.scores_ = (recent + overall / (overall.sum() + 1.0)).astype(np.float32)

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        return np.tile(self.scores_, (len(targets), 1))


# ---------------------------------------------------------------------------------------------
# Repeat purchase


class RepeatFrequency(Baseline):
    """What the customer bought before, by how often and how lately (each purchase weighs
    ``0.5 ** (age / half_life_days)``); items never bought follow in popularity order."""

    def __init__(self, half_life_days: float | None = 90.0):
        self.half_life_days = half_life_days

    def _fit(self, split: Split) -> None:
        if self.half_life_days is not None and self.half_life_days <= 0:
            raise ValueError(f"half_life_days must be positive or None, not {self.half_life_days}")

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        freq = history_matrix(log, targets, self.half_life_days).toarray()
        bought = (freq > 0).astype(np.float32)
        # +1 puts every item bought before above every item never bought; popularity (< 1e-3)
        # only breaks ties.
        return freq + bought + 1e-3 * self.popularity_[None, :]


# ---------------------------------------------------------------------------------------------
# Item-kNN


class ItemKNN(Baseline):
    """Items bought together with the customer's items: shrunk cosine similarity of training
    purchases (per user or per basket), each item keeping its ``neighbours`` most similar items;
    score = sum of similarities to the history, recent history weighing more."""

    def __init__(self, neighbours: int = 100, shrink: float = 10.0, unit: str = "user",
                 half_life_days: float | None = 90.0, browse_weight: float = 0.0,
                 block: int = 1024):
        self.neighbours = neighbours
        self.shrink = shrink
        self.unit = unit
        self.half_life_days = half_life_days
        self.browse_weight = browse_weight
        self.block = block

    def _fit(self, split: Split) -> None:
        if self.neighbours < 1 or self.shrink < 0:
            raise ValueError("neighbours must be >= 1 and shrink >= 0")
        x = purchase_matrix(split.train, self.unit, binary=True)
        n_cols = x.shape[1]
        norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        xt = x.T.tocsr()
        k = min(self.neighbours, n_cols - 1)
        rows, cols, vals = [], [], []
        for lo in range(0, n_cols, self.block):  # a block of candidate items at a time
            hi = min(lo + self.block, n_cols)
            co = (xt[lo:hi] @ x).toarray()  # [block, n_cols] co-occurrence counts
            sim = co / (norms[lo:hi, None] * norms[None, :] + self.shrink + 1e-12)
            sim[np.arange(hi - lo), np.arange(lo, hi)] = 0.0  # an item is not its own neighbour
            top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
            val = np.take_along_axis(sim, top, axis=1)
            keep = val > 0
            rows.append(np.repeat(np.arange(lo, hi), k)[keep.ravel()])
            cols.append(top[keep])
            vals.append(val[keep])
        # similarity_[i, j]: how much history item i speaks for candidate j (j's top-k list).
        self.similarity_ = sp.csr_matrix(
            (np.concatenate(vals).astype(np.float32),
             (np.concatenate(cols), np.concatenate(rows))), shape=(n_cols, n_cols))

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        h = history_matrix(log, targets, self.half_life_days, self.browse_weight)
        return self._with_popularity((h @ self.similarity_).toarray())
