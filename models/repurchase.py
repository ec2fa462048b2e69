"""Calendar-time repurchase: a learned per-product re-purchase interval (SLRC / TAIW style).

Each product i has a learned log-interval mu_i (initialised from the product's median gap
between re-purchases in the training data, shrunk to the global median for rare products),
learned weights of an exponential decay and of a Gaussian bump in log-time at the interval,
and a decay time. A (customer, product) pair's interval is the customer's own mean gap shrunk
to the product's: mu_ui = (n * log gap_ui + k * mu_i) / (n + k), n = the customer's gaps. For
every past purchase j of the product (within ``repeat_len`` events, before the cut-off) at
t_j days before the target time, the intensity is summed per pair (Hawkes-style):

    s_ui = sum_j  w_decay_i * exp(-t_j / tau_i) + w_bump_i * exp(-(log t_j - mu_ui)^2 / (2 s^2))

and added to the pair's repeat logit. All inputs come from ``kernel_inputs`` (vectorised over
the batch's events, as bounded as the pair features).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from models.data import EVENT_TYPES, EventLog

PURCHASE = EVENT_TYPES.index("purchase")
DAY = 86400.0
MIN_DAYS = 1.0 / 24  # ages and gaps below an hour count as an hour (log-time stays finite)
SHRINK = 5.0  # pseudo-count of the global gap in a product's initial interval


def interval_init(log: EventLog, shrink: float = SHRINK) -> np.ndarray:
    """log days (n_items + 1,) of each product's median re-purchase gap in ``log`` (distinct
    baskets of one customer), shrunk to the global median by ``shrink`` pseudo-gaps."""
    bought = np.flatnonzero(log.etype == PURCHASE)
    n_cols = log.n_items + 1
    key = log.user[bought] * n_cols + log.item[bought]
    # one time per (customer, product, basket): its first line
    _, first = np.unique(key * (int(log.basket.max()) + 2 if len(bought) else 1) + log.basket[bought],
                         return_index=True)
    ev = bought[first]
    key, ts = key[first], log.ts[ev].astype(np.float64)
    order = np.lexsort((ts, key))
    key, ts = key[order], ts[order]
    same = key[1:] == key[:-1]
    gaps = np.maximum(np.diff(ts)[same] / DAY, MIN_DAYS)  # (G,) days
    items = (key[1:] % n_cols)[same]
    glob = float(np.log(np.median(gaps))) if len(gaps) else float(np.log(30.0))
    out = np.full(n_cols, glob)
    if len(gaps):
        order = np.lexsort((gaps, items))
        items, gaps = items[order], np.log(gaps[order])
        uniq, start, count = np.unique(items, return_index=True, return_counts=True)
        med = 0.5 * (gaps[start + (count - 1) // 2] + gaps[start + count // 2])
        out[uniq] = (count * med + shrink * glob) / (count + shrink)
    return out


def kernel_inputs(inv: np.ndarray, bought: np.ndarray, basket: np.ndarray, age: np.ndarray,
                  n_pairs: int) -> dict[str, np.ndarray]:
    """Per purchase (one per pair and basket) of the window's events: its pair ``k_pair`` and
    age ``k_age`` (days before the cut-off); per pair the customer's log mean gap ``k_gap`` and
    number of gaps ``k_ngap``. ``inv`` maps events to pairs; events are before the cut-off."""
    pos = np.flatnonzero(bought)
    if len(pos):
        _, first = np.unique(inv[pos] * (int(basket[pos].max()) + 1) + basket[pos], return_index=True)
        pos = pos[first]
    pair, days = inv[pos], np.maximum(age[pos], MIN_DAYS)
    n = np.bincount(pair, minlength=n_pairs).astype(np.float64)
    oldest = np.zeros(n_pairs)
    np.maximum.at(oldest, pair, days)
    newest = np.full(n_pairs, np.inf)
    np.minimum.at(newest, pair, days)
    ngap = np.maximum(n - 1, 0)
    gap = np.where(ngap > 0, (oldest - np.where(np.isfinite(newest), newest, 0)) / np.maximum(ngap, 1), 1.0)
    return {"k_pair": pair.astype(np.int64), "k_age": days.astype(np.float32),
            "k_gap": np.log(np.maximum(gap, MIN_DAYS)).astype(np.float32),
            "k_ngap": ngap.astype(np.float32)}


class RepurchaseKernel(nn.Module):
    """Per-product interval, decay and bump weights -> an additive repeat logit per pair."""

    def __init__(self, n_items: int, weight: float = 0.5) -> None:
        super().__init__()
        n = n_items + 1
        # zeros / constants: no random draws, so the other weights match a model without it
        self.log_interval = nn.Parameter(torch.full((n,), float(np.log(30.0))))
        self.log_tau = nn.Parameter(torch.full((n,), float(np.log(30.0))))
        self.w_decay = nn.Parameter(torch.full((n,), float(weight)))
        self.w_bump = nn.Parameter(torch.full((n,), float(weight)))
        self.log_width = nn.Parameter(torch.tensor(0.0))  # s = exp(.) in log-days
        self.log_shrink = nn.Parameter(torch.tensor(float(np.log(2.0))))  # k of mu_ui

    @torch.no_grad()
    def init_from(self, log: EventLog) -> None:
        """Intervals and decay times from the training log's median re-purchase gaps."""
        mu = torch.as_tensor(interval_init(log), dtype=self.log_interval.dtype)
        self.log_interval.copy_(mu)
        self.log_tau.copy_(mu)

    def forward(self, item: torch.Tensor, k_pair: torch.Tensor, k_age: torch.Tensor,
                k_gap: torch.Tensor, k_ngap: torch.Tensor) -> torch.Tensor:
        """Summed intensity (R,) of pairs with items ``item`` (R,) from purchases (P,)."""
        k = self.log_shrink.exp()
        mu = (k_ngap * k_gap + k * self.log_interval[item]) / (k_ngap + k)  # (R,)
        it = item[k_pair]  # (P,)
        log_t = k_age.log()  # (P,)
        decay = torch.exp(-k_age / self.log_tau[it].exp())  # (P,)
        bump = torch.exp(-0.5 * ((log_t - mu[k_pair]) / self.log_width.exp()) ** 2)  # (P,)
        per = self.w_decay[it] * decay + self.w_bump[it] * bump  # (P,)
        return torch.zeros(item.shape[0], dtype=per.dtype, device=per.device).index_add(0, k_pair, per)



