"""From an ``EventLog`` to model inputs, vectorised over the flat event arrays.

A *row* is one prediction: a user, a cut-off time and the context of the basket to predict.
Its input is the user's last ``max_len`` events before the cut-off (right-aligned, padding on
the left) followed by a query token carrying the target context, plus the repeat features of
the user's whole history (``models.repeat``). Training rows are every purchase basket of the
training log (targets: the basket's items); scoring rows are the evaluation's ``Target``s.
No Python loop runs per event: windows are index arithmetic on ``offsets``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from models.data import CONTEXT, EVENT_TYPES, EventLog, Target, visit_start
from models.encoders import QUERY, Batch, ModelConfig
from models.repeat import rebought, repeat_features

PURCHASE = EVENT_TYPES.index("purchase")


@dataclass
class Rows:
    """Prediction rows: who, up to which event, at what time, in which context (+ targets)."""

    users: np.ndarray  # (n,) int64
    ends: np.ndarray  # (n,) index into the log of the first event NOT in the history
    cutoffs: np.ndarray  # (n,) seconds
    context: dict[str, np.ndarray]  # CONTEXT name -> (n,) codes of the target basket
    target_ptr: np.ndarray | None = None  # (n + 1,) CSR offsets into target_items
    target_items: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.users)

    def targets(self, rows: np.ndarray) -> torch.Tensor:
        """The baskets of ``rows`` as a padded (B, K) long tensor (0 = padding)."""
        assert self.target_ptr is not None and self.target_items is not None
        lo, hi = self.target_ptr[rows], self.target_ptr[rows + 1]
        k = int((hi - lo).max()) if len(rows) else 0
        pos = lo[:, None] + np.arange(k)[None, :]  # (B, K)
        valid = pos < hi[:, None]
        out = np.where(valid, self.target_items[np.minimum(pos, len(self.target_items) - 1)], 0)
        return torch.from_numpy(out.astype(np.int64))


class LogIndex:
    """A log plus the look-ups rows need: per-user offsets and a (user, time) search key."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.offsets = log.offsets
        self.t0 = int(log.ts.min()) if len(log.ts) else 0
        self.span = (int(log.ts.max()) - self.t0 + 2) if len(log.ts) else 2
        self.key = log.user * self.span + (log.ts - self.t0)
        self.rebought = rebought(log)

    def ends(self, users: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
        """Index of each user's first event at or after the cut-off (history = before it)."""
        rel = np.clip(np.asarray(cutoffs, dtype=np.int64) - self.t0, 0, self.span - 1)
        return np.searchsorted(self.key, np.asarray(users, dtype=np.int64) * self.span + rel, side="left")

    def batch(self, rows: Rows, sel: np.ndarray, config: ModelConfig) -> Batch:
        """Inputs of ``rows[sel]``: the windows, the query token and the repeat features."""
        log, users, ends = self.log, rows.users[sel], rows.ends[sel]
        length = config.max_len
        pos = ends[:, None] - length + np.arange(length)[None, :]  # (B, L)
        valid = pos >= self.offsets[users][:, None]  # (B, L)
        pos = np.where(valid, pos, 0)

        def window(values: np.ndarray, query: np.ndarray | int) -> torch.Tensor:
            w = np.where(valid, values[pos], 0) if len(values) else np.zeros(pos.shape, np.int64)
            return torch.from_numpy(np.concatenate(
                [w, np.broadcast_to(np.asarray(query, dtype=np.int64), (len(sel),))[:, None]], axis=1))

        context = {c: window(log.context[c], rows.context[c][sel]) for c in CONTEXT if c in log.context}
        kernel = config.repeat and config.repurchase
        feats = repeat_features(log, self.offsets, users, ends, rows.cutoffs[sel], config.repeat_len,
                                self.rebought, kernel)
        extra = {k: torch.from_numpy(feats[k]) for k in ("k_pair", "k_age", "k_gap", "k_ngap") if kernel}
        return Batch(
            items=window(log.item, 0), etypes=window(log.etype, QUERY), context=context,
            lengths=torch.from_numpy(valid.sum(1) + 1),
            rep_row=torch.from_numpy(feats["row"]), rep_item=torch.from_numpy(feats["item"]),
            rep_pair=torch.from_numpy(feats["pair"]), user_feats=torch.from_numpy(feats["user"]), **extra)


def basket_rows(index: LogIndex, min_history: int = 1) -> Rows:
    """One training row per purchase basket of the log: history before the basket's visit,
    targets = the basket's distinct items, context = its first event's context."""
    log = index.log
    bought = np.flatnonzero(log.etype == PURCHASE)
    n_b = int(log.basket.max()) + 2 if len(bought) else 1
    basket_key = log.user[bought] * n_b + log.basket[bought]
    keys, first = np.unique(basket_key, return_index=True)  # baskets sorted by (user, time)
    first_ev = bought[first]  # (n,) first event of each basket (log sorted by user, time)
    users, cutoffs = log.user[first_ev], visit_start(log)[first_ev]  # as evaluation targets
    ends = index.ends(users, cutoffs)
    pair = np.unique(np.searchsorted(keys, basket_key) * (log.n_items + 1) + log.item[bought])
    row_of, items = pair // (log.n_items + 1), pair % (log.n_items + 1)
    ptr = np.r_[0, np.cumsum(np.bincount(row_of, minlength=len(keys)))]
    keep = (ends - index.offsets[users]) >= min_history
    rows = np.flatnonzero(keep)
    sizes = ptr[rows + 1] - ptr[rows]
    take = np.repeat(ptr[rows], sizes) + np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return Rows(users[rows], ends[rows], cutoffs[rows],
                {c: v[first_ev[rows]] for c, v in log.context.items()},
                np.r_[0, np.cumsum(sizes)], items[take])


def target_rows(index: LogIndex, targets: list[Target]) -> Rows:
    """Scoring rows for evaluation targets: history before each cut-off, the target's context."""
    users = np.array([t.user for t in targets], dtype=np.int64)
    cutoffs = np.array([t.cutoff for t in targets], dtype=np.int64)
    context = {c: np.array([t.context.get(c, 0) for t in targets], dtype=np.int64)
               for c in CONTEXT if c in index.log.context}
    return Rows(users, index.ends(users, cutoffs), cutoffs, context)


def user_rows(index: LogIndex, users: np.ndarray) -> Rows:
    """Rows at the end of each user's whole history, with unknown (0) context."""
    users = np.asarray(users, dtype=np.int64)
    ends = index.offsets[users + 1]
    last = np.where(ends > index.offsets[users], index.log.ts[np.maximum(ends - 1, 0)], 0) + 1
    context = {c: np.zeros(len(users), dtype=np.int64) for c in CONTEXT if c in index.log.context}
    return Rows(users, ends, last, context)


@torch.no_grad()
def predict(model: torch.nn.Module, index: LogIndex, rows: Rows, batch_size: int = 512,
            hidden: bool = False) -> np.ndarray:
    """Log probabilities (n, n_items + 1) - or the states (n, d) when ``hidden`` - of ``rows``,
    in eval mode, batched; the model's training mode is restored afterwards."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    try:
        for start in range(0, len(rows), batch_size):
            sel = np.arange(start, min(start + batch_size, len(rows)))
            batch = index.batch(rows, sel, model.config).to(device)
            result = model.encode(batch) if hidden else model(batch)[0]  # (B, d) or (B, N+1)
            out.append(result.float().cpu().numpy())
    finally:
        model.train(was_training)
    width = model.config.d_model if hidden else model.config.n_items + 1
    return np.concatenate(out) if out else np.zeros((0, width), dtype=np.float32)
