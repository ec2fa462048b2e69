"""One evaluation for every model: full-catalog ranking of each target basket.

A model is anything with ``score(log, targets) -> float32 [len(targets), n_items + 1]`` (column 0,
padding, is ignored). Relevance is binary: an item is relevant when it is in the basket.
Recall@K divides hits by the basket size; NDCG@K uses the ideal DCG of min(K, basket size)
hits; HitRate@K is the share of baskets with at least one hit; MRR is 1 / rank of the first
relevant item over the whole catalog. Coverage@10 is the share of the catalog that appears in
anyone's top 10; popularity@10 is the mean training-purchase share of recommended items.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from models.data import EVENT_TYPES, EventLog, Split, Target

KS = (10, 20)


class Scorer(Protocol):
    """What the evaluation needs from a model."""

    def score(self, log: EventLog, targets: list[Target]) -> np.ndarray: ...


def purchase_popularity(log: EventLog) -> np.ndarray:
    """Share of purchases per item in ``log`` (length n_items + 1)."""
    bought = log.item[log.etype == EVENT_TYPES.index("purchase")]
    counts = np.bincount(bought, minlength=log.n_items + 1).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


def rank_metrics(scores: np.ndarray, targets: list[Target], ks: tuple[int, ...] = KS
                 ) -> dict[str, np.ndarray]:
    """Per-target metrics for one batch of scores."""
    scores = scores.astype(np.float64, copy=True)
    scores[:, 0] = -np.inf
    kmax = min(max(ks), scores.shape[1])  # a catalog smaller than K ranks everything
    top = np.argpartition(-scores, kmax - 1, axis=1)[:, :kmax]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    top = np.take_along_axis(top, order, axis=1)
    out: dict[str, list[float]] = {f"{m}@{k}": [] for k in ks for m in ("recall", "ndcg")}
    out.update({"hitrate@10": [], "mrr": []})
    discounts = 1.0 / np.log2(np.arange(2, max(ks) + 2))
    for row, target in enumerate(targets):
        relevant = np.zeros(scores.shape[1], dtype=bool)
        relevant[target.items] = True
        hits = relevant[top[row]]
        for k in ks:
            n_rel = min(k, len(target.items))
            out[f"recall@{k}"].append(hits[:k].sum() / len(target.items))
            out[f"ndcg@{k}"].append((hits[:k] * discounts[:len(hits[:k])]).sum()
                                    / discounts[:n_rel].sum())
        out["hitrate@10"].append(float(hits[:10].any()))
        best = scores[row, target.items].max()
        out["mrr"].append(1.0 / (1 + int((scores[row] > best).sum())))
    result = {k: np.asarray(v) for k, v in out.items()}
    result["top10"] = top[:, :10]
    return result


def evaluate(model: Scorer, split: Split, which: str = "test", batch: int = 512,
             progress: Callable[[float], None] | None = None) -> dict[str, float]:
    """Mean metrics of ``model`` over the split's validation or test baskets."""
    targets = split.test if which == "test" else split.valid
    if not targets:
        raise ValueError(f"The split has no {which} baskets to evaluate on.")
    pop = purchase_popularity(split.train)
    sums: dict[str, float] = {}
    seen = np.zeros(split.log.n_items + 1, dtype=bool)
    pop_sum = 0.0
    for start in range(0, len(targets), batch):
        chunk = targets[start:start + batch]
        res = rank_metrics(model.score(split.log, chunk), chunk)
        top10 = res.pop("top10")
        seen[top10.ravel()] = True
        pop_sum += float(pop[top10].mean(axis=1).sum())
        for k, v in res.items():
            sums[k] = sums.get(k, 0.0) + float(v.sum())
        if progress:
            progress(min(1.0, (start + batch) / len(targets)))
    n = len(targets)
    out = {k: v / n for k, v in sums.items()}
    out["coverage@10"] = float(seen[1:].mean())
    out["popularity@10"] = pop_sum / n
    out["baskets"] = float(n)
    return out
