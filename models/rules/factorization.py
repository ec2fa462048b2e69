"""Matrix-factorisation and linear item-item baselines: EASE (Steck, 2019) and implicit ALS
(Hu, Koren & Volinsky, 2008) with conjugate-gradient updates. Both follow ``models.rules.estimator``'s
``Baseline`` contract."""

from __future__ import annotations

import logging

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import torch

from models.data import EventLog, Split, Target
from models.rules.estimator import Baseline, history_matrix, purchase_matrix

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# EASE

MAX_ITEMS = 10_000  # EASE inverts an items x items matrix: 10,000 is 0.8 GB in float64


class EASE(Baseline):
    """Embarrassingly shallow autoencoder (Steck 2019): B = I - P diag(1/diag(P)) with
    P = (X^T X + l2 I)^-1 on the binary user x item training purchases; score = history . B."""

    def __init__(self, l2: float = 500.0, browse_weight: float = 0.0, max_items: int = MAX_ITEMS):
        self.l2 = l2
        self.browse_weight = browse_weight
        self.max_items = max_items

    def _fit(self, split: Split) -> None:
        if self.l2 <= 0:
            raise ValueError(f"l2 must be positive, not {self.l2}")
        x = purchase_matrix(split.train, "user", binary=True)
        self.items_ = _most_bought(x, self.max_items)
        if self.items_ is not None:
            log.info("EASE over the %d most-bought of %d products (an items x items inverse)",
                     len(self.items_), x.shape[1] - 1)
            x = x[:, self.items_]
        self.weights_ = ease_weights(x, self.l2)

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        h = history_matrix(log, targets, browse_weight=self.browse_weight, binary=True)
        if self.items_ is None:
            return self._with_popularity(h @ self.weights_)
        out = np.zeros(h.shape, np.float32)  # products left out score 0: popularity orders them
        out[:, self.items_] = h[:, self.items_] @ self.weights_
        return self._with_popularity(out)


def _most_bought(x: sp.csr_matrix, limit: int) -> np.ndarray | None:
    """Columns of the ``limit`` most-bought products (ties by lower id), in id order; None when
    every product fits. (A 65,000-product catalog would need a 34 GB matrix.)"""
    if x.shape[1] <= limit:
        return None
    counts = np.asarray(x.sum(axis=0)).ravel()
    counts[0] = -1  # the padding column never
    top = np.argsort(-counts, kind="stable")[:limit]
    return np.sort(top)


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
