"""One evaluation for every model: full-catalog ranking of each target basket.

A model is anything with ``score(log, targets) -> float32 [len(targets), n_items + 1]`` (column 0,
padding, is ignored). Relevance is binary: an item is relevant when it is in the basket.
Recall@K divides hits by the basket size; NDCG@K uses the ideal DCG of min(K, basket size)
hits; HitRate@K is the share of baskets with at least one hit; MRR is 1 / rank of the first
relevant item over the whole catalog. Tied scores: each metric is its expected value over a random
order of the tied items (the same rule for all; see ``rank_metrics``). Coverage@10 is the share of
the catalog that appears in anyone's top 10; popularity@10 is the mean training-purchase share of
recommended items.

``assess`` says whether a shop's split holds enough for such scores to mean anything
(``Readiness``; the floors and why they are where they are are noted above them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    """Per-target metrics for one batch of scores.

    Tied scores are ranked by no one's favour: every metric is its expected value over a uniformly
    random order of the tied items (a constant scorer gets the metrics of a random list, not
    MRR 1.0). A place in the list then holds a relevant item with the chance R / N of its tied
    group (R relevant among N items sharing the score); NaN scores rank last with -inf.
    """
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64)[:, 1:], nan=-np.inf)  # item i: column i-1
    n = s.shape[1]
    kmax = min(max(*ks, 10), n)  # a catalog smaller than K ranks everything; 10 for hitrate@10
    top = np.argpartition(-s, kmax - 1, axis=1)[:, :kmax]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    vals = np.take_along_axis(s, top, axis=1)  # [B, kmax], descending
    tied = (np.diff(vals, axis=1) == 0).any(axis=1) | ((s >= vals[:, -1:]).sum(axis=1) > kmax)
    out: dict[str, list[float]] = {f"{m}@{k}": [] for k in ks for m in ("recall", "ndcg")}
    out.update({"hitrate@10": [], "mrr": []})
    discounts = 1.0 / np.log2(np.arange(2, max(ks) + 2))
    for row, target in enumerate(targets):
        relevant = np.zeros(n, dtype=bool)
        relevant[target.items - 1] = True
        hits = (_tied_hit_chance(s[row], vals[row], relevant) if tied[row]
                else relevant[top[row]].astype(np.float64))  # chance that place p holds a hit
        for k in ks:
            n_rel = min(k, len(target.items))
            out[f"recall@{k}"].append(hits[:k].sum() / len(target.items))
            out[f"ndcg@{k}"].append((hits[:k] * discounts[:len(hits[:k])]).sum()
                                    / discounts[:n_rel].sum())
        out["hitrate@10"].append(_any_hit_chance(s[row], vals[row], relevant, hits, 10) if tied[row]
                                 else float(hits[:10].any()))
        best = s[row, target.items - 1].max()
        group = s[row] == best
        in_group = int((group & relevant).sum())
        out["mrr"].append(_first_hit_reciprocal(int((s[row] > best).sum()), in_group,
                                                int(group.sum()) - in_group))
    result = {k: np.asarray(v) for k, v in out.items()}
    result["top10"] = top[:, :10] + 1
    return result


def _tied_hit_chance(row: np.ndarray, vals: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Per place of the top list: R / N of the tied group whose score stands there."""
    chance = np.empty(len(vals))
    for v in np.unique(vals):
        group = row == v
        chance[vals == v] = (group & relevant).sum() / group.sum()
    return chance


def _any_hit_chance(row: np.ndarray, vals: np.ndarray, relevant: np.ndarray, hits: np.ndarray,
                    k: int) -> float:
    """P(at least one relevant item in the top k) over the tie orders: certain when a group wholly
    above place k holds one; else 1 - P(none of the group cut at place k falls in its m places)."""
    k = min(k, len(vals))
    edge = vals[k - 1]
    if hits[:k][vals[:k] > edge].any():
        return 1.0
    group = row == edge
    return 1.0 - _none_drawn(int(group.sum()), int((group & relevant).sum()), int((vals[:k] == edge).sum()))


def _none_drawn(size: int, relevant: int, drawn: int) -> float:
    """P(no relevant item among ``drawn`` places of a tied group of ``size`` holding ``relevant``)."""
    i = np.arange(drawn, dtype=np.float64)
    return float(np.prod((size - relevant - i) / (size - i)))


def _first_hit_reciprocal(above: int, relevant: int, others: int) -> float:
    """E[1 / rank] of the first relevant item when ``relevant`` relevant and ``others`` other items
    share one score below ``above`` items, over every order of the tied group (all equally likely).

    J, the first relevant's place in the group, has P(J = j) = C(n - j, r - 1) / C(n, r) with
    n = r + others; the ratio of consecutive terms, (n - j - r + 1) / (n - j), builds it stably.
    """
    n = relevant + others
    j = np.arange(1, others + 2, dtype=np.float64)
    ratios = (n - j[:-1] - relevant + 1) / (n - j[:-1])
    p = (relevant / n) * np.concatenate(([1.0], np.cumprod(ratios)))
    return float((p / (above + j)).sum())


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


# -- is a score meaningful here? ---------------------------------------------------------------
# A ranking metric at K = 10 only says something when the catalog is much larger than the list
# and when enough baskets are scored for the differences between models to exceed the noise:
# - products bought >= 50 for a sequence model: a top-10 list then holds at most a fifth of the
#   catalog, so a random list finds a one-item basket at most 1 time in 5. With a handful of
#   products every list holds nearly the whole catalog and every model scores ~1.0 (a shop with
#   one product - a spend-only history - scores exactly 1.0 with a loss of 0).
# - customers with a second basket >= 100: a sequence model learns what follows a history; a
#   customer with one basket gives it nothing to learn from (item-kNN and repeats need none).
# - validation and test baskets >= 40 each: with n baskets the standard error of a hit rate
#   near 0.5 is sqrt(0.25 / n), 0.08 at n = 40 - about the gap between a good and a plain model
#   on a small shop. Fewer, and early stopping and the comparison follow noise.
# - any score at all (the simple models' too) from 20 products (a top-10 list is at most half
#   the catalog) and 20 baskets each.

MIN_PRODUCTS = 50
MIN_REPEAT_CUSTOMERS = 100
MIN_EVAL_BASKETS = 40
MIN_SCORED_PRODUCTS = 2 * KS[0]
MIN_SCORED_BASKETS = 20


@dataclass(frozen=True)
class Readiness:
    """What a shop's split holds, counted the way the floors above are stated."""

    products: int  # distinct products bought by the customers a model may learn from
    customers: int  # customers in the event log
    repeat_customers: int  # of them, customers with at least two purchase baskets
    valid: int  # validation baskets
    test: int  # test baskets

    def shortfalls(self) -> list[tuple[str, int, int]]:
        """(what, has, needs) for every floor of a sequence model this shop is below."""
        checks = [("products", self.products, MIN_PRODUCTS),
                  ("customers with a second basket", self.repeat_customers, MIN_REPEAT_CUSTOMERS),
                  ("validation baskets", self.valid, MIN_EVAL_BASKETS),
                  ("test baskets", self.test, MIN_EVAL_BASKETS)]
        return [(what, has, need) for what, has, need in checks if has < need]

    @property
    def sequence_ok(self) -> bool:
        """Enough for a GRU, LSTM or transformer and a meaningful score of it."""
        return not self.shortfalls()

    @property
    def scorable(self) -> bool:
        """Enough for any model's score (the simple ones included) to mean something."""
        return (self.products >= MIN_SCORED_PRODUCTS and self.valid >= MIN_SCORED_BASKETS
                and self.test >= MIN_SCORED_BASKETS)


def assess(split: Split) -> Readiness:
    """Count what ``split`` offers a model."""
    log = split.log
    bought = log.etype == EVENT_TYPES.index("purchase")
    users, baskets = log.user[bought], log.basket[bought]
    width = int(baskets.max()) + 2 if len(baskets) else 1
    per_user = np.bincount(np.unique(users * width + baskets) // width, minlength=log.n_users)
    return Readiness(products=int(len(np.unique(log.item[bought]))), customers=int(log.n_users),
                     repeat_customers=int((per_user >= 2).sum()), valid=len(split.valid),
                     test=len(split.test))
