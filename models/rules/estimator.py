"""The contract every non-neural recommender follows, and the sparse matrices they read.

``Baseline`` is a small estimator in the scikit-learn manner: ``__init__`` only stores keyword
parameters, ``fit(split)`` learns from ``split.train`` alone and sets attributes ending in ``_``,
and ``score(log, targets)`` ranks the whole catalog for each target from the user's history in
``log`` before the target's cut-off (see ``models.data.history``). Scores are float32
``[len(targets), n_items + 1]``; column 0 (padding) is ``-inf``. ``history_matrix`` and
``purchase_matrix`` turn a log into the sparse matrices the baselines multiply.
"""

from __future__ import annotations

import inspect
import logging
import time
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from models.data import EVENT_TYPES, EventLog, Split, Target

log = logging.getLogger(__name__)

PURCHASE = EVENT_TYPES.index("purchase")
BROWSE = (EVENT_TYPES.index("view"), EVENT_TYPES.index("cart"))
DAY = 86_400.0
TIE = 1e-4  # weight of the popularity tie-break, relative to a row's largest score


# ---------------------------------------------------------------------------------------------
# Shared pieces: histories and training matrices as sparse matrices


def history_events(log: EventLog, targets: list[Target]) -> tuple[np.ndarray, np.ndarray]:
    """``(rows, idx)``: for every target (row in ``targets``) the indices into ``log`` of the
    user's events before its cut-off, all targets at once (the log is sorted by user, time)."""
    if not targets:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    users = np.fromiter((t.user for t in targets), np.int64, len(targets))
    cutoffs = np.fromiter((t.cutoff for t in targets), np.int64, len(targets))
    if len(log.ts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # One sorted key per event, (user, time), so that a single searchsorted finds every end.
    t0, span = int(log.ts.min()), int(log.ts.max() - log.ts.min()) + 2
    key = log.user * span + (log.ts - t0)
    lo = np.searchsorted(key, users * span, side="left")
    hi = np.searchsorted(key, users * span + np.clip(cutoffs - t0, 0, span - 1), side="left")
    lengths = hi - lo
    rows = np.repeat(np.arange(len(targets)), lengths)
    starts = np.repeat(lo - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return rows, starts + np.arange(int(lengths.sum()))


def history_matrix(log: EventLog, targets: list[Target], half_life_days: float | None = None,
                   browse_weight: float = 0.0, binary: bool = False) -> sp.csr_matrix:
    """``[len(targets), n_items + 1]`` weights of each user's history items before the cut-off.

    A purchase weighs 1, a view or cart ``browse_weight``, a return 0; with a half-life, an
    event ``a`` days before the cut-off is further multiplied by ``0.5 ** (a / half_life_days)``.
    Repeated events add up, unless ``binary``, which keeps each item's largest weight.
    """
    rows, idx = history_events(log, targets)
    etype = log.etype[idx]
    weight = np.where(etype == PURCHASE, 1.0, 0.0)
    if browse_weight:
        weight[np.isin(etype, BROWSE)] = browse_weight
    if half_life_days is not None and len(idx):
        cutoffs = np.fromiter((t.cutoff for t in targets), np.int64, len(targets))
        age = (cutoffs[rows] - log.ts[idx]) / DAY
        weight *= np.exp2(-age / half_life_days)
    keep = weight > 0
    rows, items, weight = rows[keep], log.item[idx][keep], weight[keep]
    shape = (len(targets), log.n_items + 1)
    if binary and len(rows):
        cell = rows * shape[1] + items
        order = np.lexsort((weight, cell))  # the largest weight of a cell comes last
        last = np.r_[cell[order][1:] != cell[order][:-1], True]
        rows, items, weight = rows[order][last], items[order][last], weight[order][last]
    out = sp.csr_matrix((weight.astype(np.float32), (rows, items)), shape=shape)
    out.sum_duplicates()
    return out


def purchase_matrix(train: EventLog, unit: str = "user", binary: bool = True) -> sp.csr_matrix:
    """Training purchases as ``[units, n_items + 1]``: rows are users or baskets, values are
    1 (``binary``) or purchase counts."""
    bought = train.etype == PURCHASE
    users, items = train.user[bought], train.item[bought]
    if unit == "user":
        rows, n_rows = users, train.n_users
    elif unit == "basket":
        pairs = users * (int(train.basket.max(initial=0)) + 1) + train.basket[bought]
        uniq, rows = np.unique(pairs, return_inverse=True)
        n_rows = len(uniq)
    else:
        raise ValueError(f"unit must be 'user' or 'basket', not {unit!r}")
    out = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, items)),
                        shape=(n_rows, train.n_items + 1))
    out.sum_duplicates()
    if binary:
        out.data[:] = 1.0
    return out


def purchase_counts(train: EventLog, since: int | None = None) -> np.ndarray:
    """Purchases per item (length n_items + 1) in training, from ``since`` on if given."""
    bought = train.etype == PURCHASE
    if since is not None:
        bought &= train.ts >= since
    return np.bincount(train.item[bought], minlength=train.n_items + 1).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# The estimator base


class Baseline:
    """Parameters, popularity fallback and output checks shared by the baselines."""

    def get_params(self) -> dict[str, Any]:
        """The keyword parameters of ``__init__`` and their current values."""
        if type(self).__init__ is object.__init__:
            return {}
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        names = [name for name, p in inspect.signature(type(self).__init__).parameters.items()
                 if name != "self" and p.kind in kinds]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> Self:
        """Change parameters (unknown names are an error); refit afterwards."""
        known = self.get_params()
        for name, value in params.items():
            if name not in known:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; "
                                 f"it has {sorted(known)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def fit(self, split: Split) -> Self:
        """Learn from ``split.train`` only."""
        started = time.perf_counter()
        train = split.train
        self.n_items_ = train.n_items
        counts = purchase_counts(train)
        self.popularity_ = (counts / max(counts.max(), 1.0)).astype(np.float32)  # in [0, 1]
        self._fit(split)
        self.fit_seconds_ = time.perf_counter() - started
        log.info("%r fitted in %.2fs", self, self.fit_seconds_)
        return self

    def score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        """Scores ``[len(targets), n_items + 1]`` (float32); higher ranks first; column 0 -inf."""
        if not hasattr(self, "n_items_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(split) first.")
        if log.n_items != self.n_items_:
            raise ValueError(f"The log has {log.n_items} items but the model was fitted on "
                             f"{self.n_items_}: score with the log of the same split.")
        out = np.asarray(self._score(log, targets), dtype=np.float32)
        out[:, 0] = -np.inf
        return out

    def _with_popularity(self, raw: np.ndarray) -> np.ndarray:
        """Raw history scores plus a tiny popularity term (relative to each row's scale)."""
        raw = np.asarray(raw, dtype=np.float32)
        scale = np.abs(raw).max(axis=1, keepdims=True, initial=0.0)
        scale[scale == 0] = 1.0  # an empty history: popularity alone
        return raw + TIE * scale * self.popularity_[None, :]

    def _fit(self, split: Split) -> None:
        raise NotImplementedError

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        raise NotImplementedError
