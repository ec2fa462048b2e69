"""The repeat mechanism shared by every sequence model: "will they buy again what they bought?"

In shop data a customer's own history is the strongest single signal, and attention over the
last few dozen events does not see a whole history. So each (customer, item in their history)
pair gets explicit repeat features - counts, recency-decayed counts at several half-lives,
days and baskets since the last purchase, the usual gap between re-purchases and how "due"
the item is, views and carts - computed over up to ``repeat_len`` events with vectorised
numpy (ReCANet-like). A small network turns them into repeat scores; a gate from the final
hidden state and the customer's habits (basket size, share of re-bought items) mixes the two
distributions (RepeatNet style):

    P(i) = g * softmax_history(repeat)_i + (1 - g) * softmax_explore(explore)_i

where the explore softmax runs over the catalog outside the history (``explore_new``) or over
the whole catalog. The same pair features also weight an attention-pooled profile of the whole
history that is added to the sequence state (``with_profile``). The model outputs log P
(B, n_items + 1); the loss is the mean NLL of the basket's items.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from models.data import EVENT_TYPES, EventLog
from models.encoders import Batch, EventEmbedding, ModelConfig
from models.repurchase import RepurchaseKernel, kernel_inputs

VIEW, CART, PURCHASE, RETURN = (EVENT_TYPES.index(t) for t in ("view", "cart", "purchase", "return"))
DAY = 86400.0
N_PAIR_FEATURES = 15
N_USER_FEATURES = 9
NEG = -1e9  # "impossible" logit that stays finite (no NaN in gradients)


def _last_in_group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the position of each one's LAST occurrence (keys in time order)."""
    uniq, rev_pos = np.unique(keys[::-1], return_index=True)
    return uniq, len(keys) - 1 - rev_pos


def _first_last(keys: np.ndarray, values: np.ndarray, at: np.ndarray, size: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per group (``keys`` located at ``at``-sorted ids): ``values`` at the first and the last
    occurrence, as arrays of length ``size`` (0 where a group does not occur)."""
    first, last = np.zeros(size), np.zeros(size)
    if len(keys):
        uniq, pos = np.unique(keys, return_index=True)
        first[np.searchsorted(at, uniq)] = values[pos]
        uniq, pos = _last_in_group(keys)
        last[np.searchsorted(at, uniq)] = values[pos]
    return first, last


def rebought(log: EventLog) -> np.ndarray:
    """Per event: a purchase of an item the user bought in an earlier basket (bool)."""
    out = np.zeros(len(log.item), dtype=bool)
    bought = np.flatnonzero(log.etype == PURCHASE)
    keys = log.user[bought] * (log.n_items + 1) + log.item[bought]
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)  # first = earliest
    out[bought] = log.basket[bought] > log.basket[bought][first][inv]
    return out


def repeat_features(log: EventLog, offsets: np.ndarray, users: np.ndarray, ends: np.ndarray,
                    cutoffs: np.ndarray, repeat_len: int, again: np.ndarray, kernel: bool = False
                    ) -> dict[str, np.ndarray]:
    """Features of every (row, item) pair in each row's history ``[.., ends[row])``;
    ``again`` is ``rebought(log)``.

    Returns ``row`` (R,), ``item`` (R,), ``pair`` float32 (R, N_PAIR_FEATURES) and ``user``
    float32 (B, N_USER_FEATURES). Ages are days before ``cutoffs`` (seconds). With ``kernel``
    also the calendar-time repurchase inputs (``models.repurchase.kernel_inputs``).
    """
    b = len(users)
    starts = np.maximum(offsets[users], ends - repeat_len)
    lens = np.maximum(ends - starts, 0)
    row = np.repeat(np.arange(b), lens)  # (E,) events of row 0, then row 1, ... in time order
    idx = np.arange(len(row)) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)
    item, etype, basket = log.item[idx], log.etype[idx], log.basket[idx]
    age = np.maximum(cutoffs[row] - log.ts[idx], 0) / DAY  # (E,) days
    n_cols = log.n_items + 1
    keys = row * n_cols + item  # (E,)
    uniq, inv = np.unique(keys, return_inverse=True)
    r = len(uniq)

    def count(mask: np.ndarray, weight: np.ndarray | float = 1.0) -> np.ndarray:
        return np.bincount(inv, weights=mask * weight, minlength=r)

    bought = etype == PURCHASE
    n_bought = count(bought)
    # Per row: first and last basket (numbered 0.. in time order per user) and their ages.
    rows_b = np.arange(b)
    first_b, last_b = _first_last(row[bought], basket[bought].astype(np.float64), rows_b, b)
    first_age_b, last_age_b = _first_last(row[bought], age[bought], rows_b, b)
    has_b = np.isin(rows_b, row[bought])
    n_baskets = np.where(has_b, last_b - first_b + 1, 0)
    # Per pair: first / last purchase (age, basket) and the last interaction of any kind.
    first_age, last_age = _first_last(keys[bought], age[bought], uniq, r)
    _, last_basket = _first_last(keys[bought], basket[bought].astype(np.float64), uniq, r)
    _, last_any = _first_last(keys, age, uniq, r)
    pair_row = uniq // n_cols
    twice = n_bought >= 2
    gap = np.where(twice, (first_age - last_age) / np.maximum(n_bought - 1, 1), 0.0)  # mean days apart
    pair = np.stack([
        np.log1p(n_bought),
        np.log1p(count(bought, 0.5 ** (age / 14))),
        np.log1p(count(bought, 0.5 ** (age / 60))),
        np.log1p(count(bought, 0.5 ** (age / 365))),
        np.minimum(n_bought / np.maximum(n_baskets[pair_row], 1), 1.0),
        np.log1p(last_age) / 2,
        np.log1p(np.where(n_bought > 0, last_b[pair_row] - last_basket, 0)),
        (n_bought == 0).astype(np.float64),
        np.log1p(gap) / 2,
        np.where(twice, np.log1p(last_age / np.maximum(gap, 0.5)), 0.0),  # "due again" ratio
        np.log1p(count(etype == VIEW)),
        np.log1p(count(etype == CART)),
        np.log1p(count(~bought, 0.5 ** age)),
        np.log1p(last_any * 24) / 3,
        np.log1p(count(etype == RETURN)),
    ], axis=1)
    n_purchases = np.bincount(row, weights=bought, minlength=b)
    last_event = np.zeros(b)
    last_event[lens > 0] = age[np.cumsum(lens)[lens > 0] - 1]
    user = np.stack([
        np.log1p(np.where(has_b, last_b + 1, 0)),
        np.log1p(n_purchases) / 2,
        np.log1p(last_age_b) / 2,
        (~has_b).astype(np.float64),
        np.log1p(np.bincount(pair_row, minlength=b)) / 2,
        np.log1p(last_event * 24) / 3,
        np.log1p((first_age_b - last_age_b) / np.maximum(n_baskets - 1, 1)) / 2,
        np.log1p(n_purchases / np.maximum(n_baskets, 1)) / 2,  # basket size
        np.bincount(row, weights=again[idx], minlength=b) / np.maximum(n_purchases, 1),  # repeat share
    ], axis=1)
    out = {"row": pair_row, "item": uniq % n_cols, "pair": pair.astype(np.float32),
           "user": user.astype(np.float32)}
    if kernel:
        out.update(kernel_inputs(inv, bought, basket, age, r))
    return out


def segment_log_softmax(score: torch.Tensor, row: torch.Tensor, n_rows: int
                        ) -> tuple[torch.Tensor, torch.Tensor]:
    """log softmax of ``score`` (R,) within each row id (R,), and the per-row sum of exp (B,)."""
    peak = torch.zeros(n_rows, dtype=score.dtype, device=score.device).scatter_reduce(
        0, row, score.detach(), "amax", include_self=False)  # (B,)
    shifted = score - peak[row]  # (R,)
    total = torch.zeros(n_rows, dtype=score.dtype, device=score.device).index_add(0, row, shifted.exp())
    return shifted - total.clamp(min=1e-30).log()[row], total


def in_history(batch: Batch, items: torch.Tensor, n_cols: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For each (row b, ``items[b, k]``): its index among the batch's history pairs and whether
    it is one (the pairs are sorted by ``row * n_cols + item``, as ``repeat_features`` makes them)."""
    keys = batch.rep_row * n_cols + batch.rep_item  # (R,) sorted
    if not len(keys):
        return torch.zeros_like(items), torch.zeros_like(items, dtype=torch.bool)
    rows = torch.arange(items.shape[0], device=items.device)[:, None]
    q = rows * n_cols + items  # (B, K)
    pos = torch.searchsorted(keys, q.reshape(-1)).clamp(max=len(keys) - 1).reshape(q.shape)
    return pos, keys[pos] == q


class RepeatExplore(nn.Module):
    """Hidden state (B, d) + the batch's repeat features -> log P over the catalog, and the loss."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d, hid = config.d_model, config.repeat_hidden
        self.repeat = config.repeat
        self.n_negatives = config.n_negatives
        self.n_items = config.n_items
        self.profile = config.profile
        self.explore_new = config.explore_new
        if self.profile:  # attention pooling over the whole history, by the pair features
            self.pool = nn.Sequential(nn.Linear(N_PAIR_FEATURES, hid), nn.GELU(), nn.Linear(hid, 1))
            self.profile_proj = nn.Linear(d, d)
        if self.repeat:
            self.pair = nn.Sequential(nn.Linear(N_PAIR_FEATURES, hid), nn.GELU(), nn.Linear(hid, hid),
                                      nn.GELU(), nn.Linear(hid, 1))
            self.item_bias = nn.Embedding(config.n_items + 1, 1)  # how "re-buyable" each item is
            nn.init.zeros_(self.item_bias.weight)
            self.query = nn.Linear(d, d, bias=False)
            self.gate = nn.Sequential(nn.Linear(d + N_USER_FEATURES, hid), nn.GELU(), nn.Linear(hid, 1))
            self.kernel = (RepurchaseKernel(config.n_items, config.repurchase_weight)
                           if config.repurchase else None)

    def with_profile(self, h: torch.Tensor, batch: Batch, embed: EventEmbedding) -> torch.Tensor:
        """The sequence state (B, d) plus a feature-weighted mean of the whole history's item
        vectors: the window sees the last events, the profile everything (cf. item-kNN, EASE)."""
        if not self.profile:
            return h
        row = batch.rep_row  # (R,)
        log_w, _ = segment_log_softmax(self.pool(batch.rep_pair).squeeze(-1), row, h.shape[0])  # (R,)
        v = embed.items(batch.rep_item) * log_w.exp()[:, None]  # (R, d)
        pooled = torch.zeros_like(h).index_add(0, row, v)  # (B, d)
        return h + self.profile_proj(pooled)  # (B, d)

    def _repeat_logits(self, h: torch.Tensor, batch: Batch, item_vecs: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """log softmax over each row's history pairs (R,) and log g, log(1 - g) of the gate (B, 1);
        ``item_vecs`` (R, d): the output vectors of the pairs' items."""
        b = h.shape[0]
        row, item = batch.rep_row, batch.rep_item  # (R,), (R,)
        q = self.query(h)[row]  # (R, d)
        score = (self.pair(batch.rep_pair).squeeze(-1) + self.item_bias(item).squeeze(-1)
                 + (q * item_vecs).sum(-1) / math.sqrt(h.shape[1]))  # (R,)
        if self.kernel is not None:  # calendar-time repurchase intensity
            score = score + self.kernel(item, batch.k_pair, batch.k_age, batch.k_gap, batch.k_ngap)
        log_p, total = segment_log_softmax(score, row, b)  # (R,), (B,)
        has = total > 0  # (B,) rows with a history
        a = self.gate(torch.cat([h, batch.user_feats], dim=1))  # (B, 1)
        a = torch.where(has[:, None], a, torch.full_like(a, -30.0))  # no history: explore only
        return log_p, F.logsigmoid(a), F.logsigmoid(-a)

    def repeat_parts(self, h: torch.Tensor, batch: Batch, table: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """log softmax over each row's history items as a dense (B, N+1) matrix (NEG outside
        the history) and log g, log(1 - g) of the gate (B, 1)."""
        log_p, log_g, log_1mg = self._repeat_logits(h, batch, table[batch.rep_item])
        dense = torch.full((h.shape[0], self.n_items + 1), NEG, dtype=h.dtype, device=h.device)
        return dense.index_put((batch.rep_row, batch.rep_item), log_p), log_g, log_1mg  # (B, N+1)

    def repeat_at(self, h: torch.Tensor, batch: Batch, embed: EventEmbedding, items: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``repeat_parts`` read at ``items`` (B, K) only: the same numbers without the (B, N+1)
        matrix or the catalog's table (what training needs on a large catalog)."""
        log_p, log_g, log_1mg = self._repeat_logits(h, batch, embed.output_rows(batch.rep_item))
        pos, hit = in_history(batch, items, self.n_items + 1)
        at = torch.where(hit, log_p[pos] if len(log_p) else torch.zeros_like(items, dtype=h.dtype),
                         torch.full_like(items, NEG, dtype=h.dtype))
        return at, log_g, log_1mg

    def sampled_explore(self, h: torch.Tensor, batch: Batch, embed: EventEmbedding,
                        targets: torch.Tensor) -> torch.Tensor:
        """Explore log P at ``targets`` (B, K) from a sampled softmax: the batch's targets plus
        ``n_negatives`` uniform products, the partition scaled to the catalog; as in the full
        softmax, a product of the customer's history belongs to the repeat side (NEG here)."""
        neg = torch.randint(1, self.n_items + 1, (self.n_negatives,), device=h.device)  # (S,)
        cand = torch.unique(torch.cat([targets[targets > 0], neg]))  # (C,) sorted
        e = h @ embed.output_rows(cand).t() + embed.out_bias[cand]  # (B, C)
        if self.repeat and self.explore_new:
            e = e.masked_fill(in_history(batch, cand.expand(len(h), -1), self.n_items + 1)[1], NEG)
        log_z = torch.logsumexp(e, dim=1, keepdim=True) + math.log(self.n_items / len(cand))  # (B, 1)
        return e.gather(1, torch.searchsorted(cand, targets).clamp(max=len(cand) - 1)) - log_z

    def forward(self, h: torch.Tensor, batch: Batch, embed: EventEmbedding,
                targets: torch.Tensor | None = None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Without ``targets``: (log P (B, N+1), None). With ``targets`` (B, K; 0 = padding):
        (None, mean over rows of the basket items' mean NLL) - the loss needs only the targets'
        log P, so the (B, N+1) mixture is not built when training."""
        if targets is not None and self.training and 0 < self.n_negatives < self.n_items:
            explore_t = self.sampled_explore(h, batch, embed, targets)  # (B, K)
        else:
            table = embed.output_table()  # (N+1, d)
            e = h @ table.t() + embed.out_bias  # (B, N+1)
            e = e.masked_fill((torch.arange(e.shape[1], device=e.device) == 0)[None, :], NEG)
            if self.repeat and self.explore_new:  # history items belong to the repeat side
                e = e.index_put((batch.rep_row, batch.rep_item), e.new_tensor(NEG))
            log_z = torch.logsumexp(e, dim=1, keepdim=True)  # (B, 1)
            if targets is None:
                explore = e - log_z  # (B, N+1)
                if not self.repeat:
                    return explore, None
                rep, log_g, log_1mg = self.repeat_parts(h, batch, table)
                return torch.logaddexp(log_g + rep, log_1mg + explore), None  # (B, N+1)
            explore_t = e.gather(1, targets) - log_z  # (B, K)
        target_lp = explore_t
        if self.repeat:
            rep_t, log_g, log_1mg = self.repeat_at(h, batch, embed, targets)
            target_lp = torch.logaddexp(log_g + rep_t, log_1mg + explore_t)  # (B, K)
        mask = (targets > 0).to(h.dtype)  # (B, K)
        per_row = -(target_lp * mask).sum(1) / mask.sum(1).clamp(min=1)  # (B,)
        rows = mask.sum(1) > 0
        return None, per_row[rows].mean() if bool(rows.any()) else per_row.sum() * 0
