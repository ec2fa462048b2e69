"""Non-neural recommenders every neural model must beat: popularity, repeat purchase, item-kNN,
EASE and implicit ALS.

Each is a small estimator in the scikit-learn manner: ``__init__`` only stores keyword
parameters, ``fit(split)`` learns from ``split.train`` alone and sets attributes ending in ``_``,
and ``score(log, targets)`` ranks the whole catalog for each target from the user's history in
``log`` before the target's cut-off (see ``models.data.history``). Scores are float32
``[len(targets), n_items + 1]``; column 0 (padding) is ``-inf``. Everything is vectorised over a
batch of targets with sparse products: no Python loop over items or events.

Models that read a history (repeat, item-kNN, EASE, ALS) add a tiny training-popularity term,
so that items they cannot tell apart, and users without history, fall back to popularity.

Tuned parameters are data (``TUNED``), chosen on the validation split by ``bench/baselines.py``;
``make(name, params)`` builds a model from the registry with them.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Self

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch

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


def _purchase_counts(train: EventLog, since: int | None = None) -> np.ndarray:
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
        counts = _purchase_counts(train)
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


# ---------------------------------------------------------------------------------------------
# Popularity


class Popularity(Baseline):
    """Everyone gets the best sellers of the training period (purchase counts)."""

    def _fit(self, split: Split) -> None:
        self.counts_ = _purchase_counts(split.train).astype(np.float32)

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
        recent = _purchase_counts(split.train, since=int(split.t_valid - self.days * DAY))
        overall = _purchase_counts(split.train)
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


# ---------------------------------------------------------------------------------------------
# EASE


class EASE(Baseline):
    """Embarrassingly shallow autoencoder (Steck 2019): B = I - P diag(1/diag(P)) with
    P = (X^T X + l2 I)^-1 on the binary user x item training purchases; score = history . B."""

    def __init__(self, l2: float = 500.0, browse_weight: float = 0.0):
        self.l2 = l2
        self.browse_weight = browse_weight

    def _fit(self, split: Split) -> None:
        if self.l2 <= 0:
            raise ValueError(f"l2 must be positive, not {self.l2}")
        x = purchase_matrix(split.train, "user", binary=True)
        self.weights_ = ease_weights(x, self.l2)

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        h = history_matrix(log, targets, browse_weight=self.browse_weight, binary=True)
        return self._with_popularity(h @ self.weights_)


def ease_weights(x: sp.spmatrix, l2: float) -> np.ndarray:
    """EASE's item-item matrix B (float32, zero diagonal) for the interaction matrix ``x``."""
    gram = (x.T @ x).astype(np.float64).toarray()
    gram[np.diag_indices_from(gram)] += l2
    p = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)  # in place: one n x n
    del gram
    p /= -np.diag(p).copy()[None, :]  # B_ij = -P_ij / P_jj off the diagonal
    p[np.diag_indices_from(p)] = 0.0
    # C order: a Fortran-ordered result made every ``h @ B`` copy the whole n x n matrix
    return np.ascontiguousarray(p, dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# Implicit ALS


class ALS(Baseline):
    """Implicit-feedback matrix factorisation (Hu, Koren & Volinsky 2008).

    Confidence ``c = 1 + alpha * purchases`` on observed (user, item) pairs, preference 1 there
    and 0 elsewhere; alternating least squares with ``cg_steps`` conjugate-gradient steps per
    half-sweep (warm-started, as in Takacs et al. 2011). A target's user vector is folded in
    exactly from their history at the cut-off with the item factors fixed, so users unseen in
    training get scores too.
    """

    def __init__(self, factors: int = 64, reg: float = 0.05, alpha: float = 20.0,
                 iterations: int = 15, seed: int = 0, cg_steps: int = 3, browse_weight: float = 0.0):
        self.factors = factors
        self.reg = reg
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.cg_steps = cg_steps
        self.browse_weight = browse_weight

    def _fit(self, split: Split) -> None:
        if self.factors < 1 or self.reg < 0 or self.alpha <= 0 or self.iterations < 1:
            raise ValueError("ALS needs factors >= 1, reg >= 0, alpha > 0, iterations >= 1")
        counts = purchase_matrix(split.train, "user", binary=False)
        conf_users = counts.copy()
        conf_users.data = (self.alpha * conf_users.data).astype(np.float32)  # c - 1
        conf_items = conf_users.T.tocsr()
        rng = np.random.default_rng(self.seed)
        f = self.factors
        users = (rng.standard_normal((counts.shape[0], f)) * 0.01).astype(np.float32)
        items = (rng.standard_normal((counts.shape[1], f)) * 0.01).astype(np.float32)
        items[0] = 0.0
        for _ in range(self.iterations):
            users = _cg_update(conf_users, users, items, self.reg, self.cg_steps)
            items = _cg_update(conf_items, items, users, self.reg, self.cg_steps)
        self.user_factors_ = users  # training users at the end of training (not used to score)
        self.item_factors_ = items

    def fold_in(self, h: sp.csr_matrix) -> np.ndarray:
        """Exact user vectors ``[rows, factors]`` for history counts ``h`` with fixed items:
        the ALS user step, (Y^T Y + Y^T (C_u - I) Y + reg I) x_u = Y^T C_u p(u)."""
        h = sp.csr_matrix(h, dtype=np.float64)
        h.sum_duplicates()
        f = self.item_factors_.shape[1]
        rows = max(1, (1 << 24) // (f * f))  # [rows, f, f] float64 systems: <= 128 MB at once
        out = np.zeros((h.shape[0], f))
        for lo in range(0, h.shape[0], rows):
            out[lo:lo + rows] = self._fold_in_rows(h[lo:lo + rows])
        return out

    def _fold_in_rows(self, h: sp.csr_matrix) -> np.ndarray:
        y = torch.from_numpy(self.item_factors_)
        y64 = y.double()
        f = y.shape[1]
        a = (y64.T @ y64 + self.reg * torch.eye(f, dtype=torch.float64)).expand(h.shape[0], f, f).clone()
        # + sum_i (c_ui - 1) y_i y_i^T per row: rows sorted by history length and padded into
        # groups of similar length, one batched matmul each (<= 2**22 gathered factors).
        lengths = np.diff(h.indptr)
        order = np.argsort(lengths, kind="stable")
        budget = max(1, (1 << 22) // f)  # padded (row, item) slots per group
        lo = 0
        while lo < len(order):
            hi = lo + 1
            while hi < len(order) and (hi - lo + 1) * max(int(lengths[order[hi]]), 1) <= budget:
                hi += 1
            group = order[lo:hi]
            width = int(lengths[group].max())
            if width:
                sub = h[group]
                row = np.repeat(np.arange(len(group)), np.diff(sub.indptr))
                pos = np.arange(sub.nnz) - sub.indptr[:-1][row]
                idx = np.zeros((len(group), width), np.int64)
                weight = np.zeros((len(group), width), np.float32)
                idx[row, pos], weight[row, pos] = sub.indices, self.alpha * sub.data
                yh = y[torch.from_numpy(idx)]  # [group, width, f]
                a[torch.from_numpy(group)] += torch.bmm(
                    (yh * torch.from_numpy(weight)[:, :, None]).transpose(1, 2), yh).double()
            lo = hi
        pref = h.copy()
        pref.data = 1.0 + self.alpha * pref.data  # c on observed pairs, preference 1
        b = torch.from_numpy(pref @ y64.numpy())  # [rows, f]
        # A is symmetric positive definite: batched Cholesky (numpy's batched solve threads
        # each small system and is many times slower).
        return torch.cholesky_solve(b[:, :, None], torch.linalg.cholesky(a))[:, :, 0].numpy()

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        h = history_matrix(log, targets, browse_weight=self.browse_weight)
        users = self.fold_in(h).astype(np.float32)
        return self._with_popularity(users @ self.item_factors_.T)


def _masked_products(conf: sp.csr_matrix, p: np.ndarray, y: np.ndarray,
                     chunk: int = 1 << 22) -> np.ndarray:
    """``conf.data * (p[row] . y[col])`` for every stored entry of ``conf`` (chunked dense
    products, so memory stays bounded)."""
    out = np.empty(conf.nnz, dtype=np.float32)
    rows_per_chunk = max(1, chunk // max(y.shape[0], 1))
    for lo in range(0, conf.shape[0], rows_per_chunk):
        hi = min(lo + rows_per_chunk, conf.shape[0])
        a, b = conf.indptr[lo], conf.indptr[hi]
        if a == b:
            continue
        dense = p[lo:hi] @ y.T  # [rows, n_cols]
        local = np.repeat(np.arange(hi - lo), np.diff(conf.indptr[lo:hi + 1]))
        out[a:b] = dense[local, conf.indices[a:b]]
    return out * conf.data


def _cg_update(conf: sp.csr_matrix, x: np.ndarray, y: np.ndarray, reg: float,
               steps: int) -> np.ndarray:
    """A few conjugate-gradient steps on every row's normal equations at once:
    (Y^T Y + Y^T (C_u - I) Y + reg I) x_u = Y^T C_u p(u), with ``conf`` holding C - I."""
    gram = (y.T @ y + reg * np.eye(y.shape[1], dtype=np.float32)).astype(np.float32)

    def apply(p: np.ndarray) -> np.ndarray:
        masked = sp.csr_matrix((_masked_products(conf, p, y), conf.indices, conf.indptr),
                               shape=conf.shape)
        return p @ gram + masked @ y

    pref = conf.copy()
    pref.data = pref.data + 1.0
    x = x.copy()
    r = pref @ y - apply(x)
    p = r.copy()
    rs = np.einsum("ij,ij->i", r, r)
    for _ in range(steps):
        ap = apply(p)
        pap = np.einsum("ij,ij->i", p, ap)
        step = np.where(pap > 1e-20, rs / np.maximum(pap, 1e-20), 0.0).astype(np.float32)
        x += step[:, None] * p
        r -= step[:, None] * ap
        rs_new = np.einsum("ij,ij->i", r, r)
        beta = np.where(rs > 1e-20, rs_new / np.maximum(rs, 1e-20), 0.0).astype(np.float32)
        p = r + beta[:, None] * p
        rs = rs_new
    return x


# ---------------------------------------------------------------------------------------------
# Registry and tuned parameters (data, not code)

BASELINES: dict[str, Callable[[], Baseline]] = {
    "popularity": Popularity,
    "recent_popularity": RecentPopularity,
    "repeat": RepeatFrequency,
    "itemknn": ItemKNN,
    "ease": EASE,
    "als": ALS,
}

# Chosen by validation NDCG@10 (never on test) with ``python bench/baselines.py --tune`` (the
# grid is in that script); per shop, then per model. Missing models use their defaults.
TUNED: dict[str, dict[str, dict[str, Any]]] = {
    "online_retail_ii": {
        "popularity": {},
        "recent_popularity": {"days": 14},
        "repeat": {"half_life_days": 180},
        "itemknn": {"unit": "basket", "neighbours": 200, "shrink": 100.0, "half_life_days": 180},
        "ease": {"l2": 500.0},
        "als": {"factors": 256, "reg": 30.0, "alpha": 1.0},  # factors 256 is the grid's top
    },
}


def make(name: str, params: Mapping[str, Any] | None = None) -> Baseline:
    """A fresh, unfitted baseline from the registry with ``params`` on top of its defaults."""
    if name not in BASELINES:
        raise ValueError(f"Unknown baseline {name!r}; choose one of {sorted(BASELINES)}")
    model = BASELINES[name]()
    if params:
        model.set_params(**params)
    return model
