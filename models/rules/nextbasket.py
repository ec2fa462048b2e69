"""Next-basket baselines from the literature: TIFU-KNN and UP-CF@r.

Both read a customer's history as a sequence of baskets and follow the ``Baseline`` contract
of ``models.rules.estimator``; both are vectorised over all customers at once (sparse products and
blocks of targets), with no Python loop over customers, baskets or items.

**TIFU-KNN** (Hu et al., SIGIR 2020, "Modeling Personalized Item Frequency Information for
Next-basket Recommendation"; the authors' code ``HaojiHu/TIFUKNN``). A customer's ``n`` baskets,
oldest first, are binary item vectors; basket ``p`` (0-based) weighs ``within_decay **
(n - 1 - p)`` - the authors' code decays over the whole history, not inside each group as the
paper's formula reads, and we follow the code. The baskets are cut, in order, into
``n_groups`` groups as equal as the count allows (the first ones one basket shorter when it
does not divide; each basket its own group when there are fewer than ``n_groups``); a group
is the mean of its baskets and group ``g`` weighs ``group_decay ** (n_groups - 1 - g)``; the
customer's vector is the weighted sum over the number of groups. The score is ``alpha * own
vector + (1 - alpha) * mean of the k nearest training customers' vectors`` (Euclidean, the
customer's own training vector left out).

**UP-CF@r** (Faggioli, Polato and Aiolli, UMAP 2020, "Recency Aware Collaborative Filtering
for Next Basket Recommendation"). A customer's *user-wise popularity* of an item is the share
of their last ``recency`` baskets that hold it (``recency=0``: all baskets). Two customers'
similarity is the asymmetric cosine of their item sets, ``|I_u & I_v| / (|I_u| ** asymmetry *
|I_v| ** (1 - asymmetry))``; each customer keeps their ``neighbours`` most similar training
customers (their own training row left out), and the score of an item is the customer's own
popularity (similarity 1) plus the neighbours' popularity weighted by ``similarity **
locality``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.data import EventLog, Split, Target
from models.rules.estimator import PURCHASE, Baseline, history_events


def basket_ranks(rows: np.ndarray, baskets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For events of several histories (``rows``: whose; ``baskets``: the basket number within
    its customer), each event's basket position, 0 = the oldest, and its history's basket count."""
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    width = int(baskets.max()) + 1
    pairs, inverse = np.unique(rows.astype(np.int64) * width + baskets, return_inverse=True)
    owner = pairs // width
    first = np.searchsorted(owner, owner, side="left")
    count = np.searchsorted(owner, owner, side="right") - first
    return (np.arange(len(pairs)) - first)[inverse], count[inverse]


def _purchases(log: EventLog, targets: list[Target] | None) -> tuple[np.ndarray, ...]:
    """(rows, items, basket position, basket count) of each distinct basket-item purchase:
    rows are users (``targets`` None: the whole log) or positions in ``targets``."""
    if targets is None:
        idx = np.flatnonzero(log.etype == PURCHASE)
        rows = log.user[idx]
    else:
        rows, idx = history_events(log, targets)
        keep = log.etype[idx] == PURCHASE
        rows, idx = rows[keep], idx[keep]
    items, baskets = log.item[idx], log.basket[idx]
    if len(rows):  # one entry per (history, basket, item): a basket is a set of items
        b_width, i_width = int(baskets.max()) + 1, log.n_items + 1
        cell = np.unique((rows * b_width + baskets) * i_width + items)
        items, rest = cell % i_width, cell // i_width
        rows, baskets = rest // b_width, rest % b_width
    position, count = basket_ranks(rows, baskets)
    return rows, items, position, count


def tifu_weights(position: np.ndarray, count: np.ndarray, n_groups: int, within_decay: float,
                 group_decay: float) -> np.ndarray:
    """Each basket-item's weight in its customer's TIFU vector (see the module docstring)."""
    position, count = position.astype(np.int64), count.astype(np.int64)
    few = count < n_groups
    base = np.maximum(count // n_groups, 1)
    short = n_groups - (count - (count // n_groups) * n_groups)  # groups of ``base`` baskets
    in_short = position < short * base
    group = np.where(in_short, position // base, short + (position - short * base) // (base + 1))
    size = np.where(in_short, base, base + 1)
    group = np.where(few, position, group)
    size = np.where(few, 1, size)
    groups_used = np.where(few, count, n_groups)
    within = np.power(within_decay, count - 1 - position)
    across = np.power(group_decay, n_groups - 1 - group)
    return within * across / size / groups_used


class TIFUKNN(Baseline):
    """Temporal item frequency of the customer's own baskets blended with their nearest
    neighbours' (Hu et al. 2020)."""

    def __init__(self, neighbours: int = 300, within_decay: float = 0.9, group_decay: float = 0.7,
                 alpha: float = 0.7, n_groups: int = 7, block: int = 512):
        self.neighbours = neighbours
        self.within_decay = within_decay
        self.group_decay = group_decay
        self.alpha = alpha
        self.n_groups = n_groups
        self.block = block

    def _vectors(self, log: EventLog, targets: list[Target] | None, n_rows: int) -> sp.csr_matrix:
        rows, items, position, count = _purchases(log, targets)
        weight = tifu_weights(position, count, self.n_groups, self.within_decay, self.group_decay)
        out = sp.csr_matrix((weight.astype(np.float64), (rows, items)), shape=(n_rows, log.n_items + 1))
        out.sum_duplicates()
        return out

    def _fit(self, split: Split) -> None:
        if self.neighbours < 1 or self.n_groups < 1 or not 0 <= self.alpha <= 1:
            raise ValueError("neighbours and n_groups must be >= 1 and alpha in [0, 1]")
        if not (0 < self.within_decay <= 1 and 0 < self.group_decay <= 1):
            raise ValueError("within_decay and group_decay must be in (0, 1]")
        vectors = self._vectors(split.train, None, split.train.n_users)
        has = np.asarray(vectors.getnnz(axis=1)).ravel() > 0  # customers with a training basket
        self.pool_users_ = np.flatnonzero(has)
        self.pool_ = vectors[self.pool_users_].tocsr()
        self.pool_norms_ = np.asarray(self.pool_.multiply(self.pool_).sum(axis=1)).ravel()

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        own = self._vectors(log, targets, len(targets))
        users = np.fromiter((t.user for t in targets), np.int64, len(targets))
        out = np.zeros((len(targets), log.n_items + 1), np.float32)
        k = min(self.neighbours, max(len(self.pool_users_) - 1, 0))
        for lo in range(0, len(targets), self.block):
            hi = min(lo + self.block, len(targets))
            q = own[lo:hi]
            block = self.alpha * q.toarray()
            if k > 0:
                q_norms = np.asarray(q.multiply(q).sum(axis=1)).ravel()
                dist = q_norms[:, None] + self.pool_norms_[None, :] - 2 * (q @ self.pool_.T).toarray()
                dist[self.pool_users_[None, :] == users[lo:hi, None]] = np.inf  # not oneself
                near = np.argpartition(dist, k - 1, axis=1)[:, :k]
                pick = sp.csr_matrix((np.full(near.size, 1.0 / k), (np.repeat(np.arange(hi - lo), k),
                                      near.ravel())), shape=(hi - lo, len(self.pool_users_)))
                mix = np.where(q_norms > 0, 1 - self.alpha, 0.0)[:, None]  # no history: popularity
                block += mix * (pick @ self.pool_).toarray()
            out[lo:hi] = block
        return self._with_popularity(out)


class UPCF(Baseline):
    """User-wise popularity over recent baskets, spread by asymmetric-cosine user neighbours
    (Faggioli et al. 2020)."""

    def __init__(self, recency: int = 5, asymmetry: float = 0.25, locality: float = 5.0,
                 neighbours: int = 100, block: int = 512):
        self.recency = recency
        self.asymmetry = asymmetry
        self.locality = locality
        self.neighbours = neighbours
        self.block = block

    def _matrices(self, log: EventLog, targets: list[Target] | None,
                  n_rows: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """(user-wise popularity, binary item sets) of the histories."""
        rows, items, position, count = _purchases(log, targets)
        shape = (n_rows, log.n_items + 1)
        sets = sp.csr_matrix((np.ones(len(rows)), (rows, items)), shape=shape)
        sets.sum_duplicates()
        sets.data[:] = 1.0
        window = count if self.recency <= 0 else np.minimum(count, self.recency)
        recent = position >= count - window
        pop = sp.csr_matrix((1.0 / window[recent], (rows[recent], items[recent])), shape=shape)
        pop.sum_duplicates()
        return pop.tocsr(), sets.tocsr()

    def _fit(self, split: Split) -> None:
        if self.neighbours < 1 or not 0 <= self.asymmetry <= 1 or self.locality <= 0:
            raise ValueError("neighbours must be >= 1, asymmetry in [0, 1] and locality > 0")
        pop, sets = self._matrices(split.train, None, split.train.n_users)
        size = np.asarray(sets.sum(axis=1)).ravel()
        self.pool_users_ = np.flatnonzero(size > 0)
        self.pool_pop_ = pop[self.pool_users_].tocsr()
        self.pool_sets_ = sets[self.pool_users_].tocsr()
        self.pool_size_ = size[self.pool_users_]

    def _score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        own_pop, own_sets = self._matrices(log, targets, len(targets))
        users = np.fromiter((t.user for t in targets), np.int64, len(targets))
        size = np.asarray(own_sets.sum(axis=1)).ravel()
        out = np.zeros((len(targets), log.n_items + 1), np.float32)
        k = min(self.neighbours, len(self.pool_users_))
        a = self.asymmetry
        for lo in range(0, len(targets), self.block):
            hi = min(lo + self.block, len(targets))
            block = own_pop[lo:hi].toarray()
            if k > 0:
                common = (own_sets[lo:hi] @ self.pool_sets_.T).toarray()
                denom = np.power(np.maximum(size[lo:hi], 1.0), a)[:, None] * \
                    np.power(self.pool_size_, 1 - a)[None, :]
                sim = common / denom
                sim[self.pool_users_[None, :] == users[lo:hi, None]] = 0.0  # oneself: own term
                near = np.argpartition(-sim, k - 1, axis=1)[:, :k]
                weight = np.power(np.take_along_axis(sim, near, axis=1), self.locality)
                pick = sp.csr_matrix((weight.ravel(), (np.repeat(np.arange(hi - lo), k), near.ravel())),
                                     shape=(hi - lo, len(self.pool_users_)))
                block += (pick @ self.pool_pop_).toarray()
            out[lo:hi] = block
        return self._with_popularity(out)
