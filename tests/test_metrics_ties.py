"""Ranking metrics under tied scores: the expected value over every order of the tied items."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models import data, metrics


def _strict(order: list[int], items: set[int], ks: tuple[int, ...]) -> dict[str, float]:
    """The metrics of one fully ordered list (item ids, best first), by their textbook formulas."""
    hit = [i in items for i in order]
    out = {}
    for k in ks:
        ideal = sum(1 / np.log2(r + 2) for r in range(min(k, len(items))))
        out[f"recall@{k}"] = sum(hit[:k]) / len(items)
        out[f"ndcg@{k}"] = sum(1 / np.log2(r + 2) for r, h in enumerate(hit[:k]) if h) / ideal
    out["hitrate@10"] = float(any(hit[:10]))
    out["mrr"] = 1 / (hit.index(True) + 1)
    return out


def _brute_force(row: np.ndarray, items: set[int], ks: tuple[int, ...]) -> dict[str, float]:
    """Average of ``_strict`` over every order of the tied groups (items 1..n; 0 is padding)."""
    levels = sorted(set(row[1:].tolist()), reverse=True)
    groups = [[i for i in range(1, len(row)) if row[i] == v] for v in levels]
    totals: dict[str, float] = {}
    count = 0
    for perms in itertools.product(*(itertools.permutations(g) for g in groups)):
        for key, value in _strict([i for p in perms for i in p], items, ks).items():
            totals[key] = totals.get(key, 0.0) + value
        count += 1
    return {key: value / count for key, value in totals.items()}


CASES = [  # scores of items 1..n (column 0 is padding), the basket
    ([0, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 0], [5, 9]),  # groups of 3, 2, 4, 3: 1,728 orders
    ([0, 1, 1, 1, 1, 1, 1, 1], [2, 7]),  # a constant scorer
    ([0, 5, 4, 4, 4, 4, 4, 1, 1], [1, 8]),  # the best relevant item alone on top
    ([0, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1], [12]),  # place 10 cuts a group of 5
]


@pytest.mark.parametrize(("row", "basket"), CASES)
def test_tied_scores_get_the_average_over_every_tie_order(row: list[float], basket: list[int]) -> None:
    ks = (2, 3)
    res = metrics.rank_metrics(np.array([row], dtype=np.float32),
                               [data.Target(0, 0, np.array(basket), {})], ks=ks)
    expected = _brute_force(np.array(row, dtype=np.float64), set(basket), ks)
    for key, value in expected.items():
        assert res[key][0] == pytest.approx(value, abs=1e-12), key


def test_random_small_cases_match_the_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(25):
        row = np.concatenate(([0.0], rng.integers(0, 3, size=7).astype(np.float64)))
        basket = rng.choice(np.arange(1, 8), size=int(rng.integers(1, 4)), replace=False)
        res = metrics.rank_metrics(row[None, :], [data.Target(0, 0, basket, {})], ks=(1, 3))
        expected = _brute_force(row, set(basket.tolist()), (1, 3))
        for key, value in expected.items():
            assert res[key][0] == pytest.approx(value, abs=1e-12), (row, basket, key)


def test_a_constant_scorer_scores_as_a_random_list() -> None:
    n_items, size = 200, 3
    scores = np.ones((1, n_items + 1), dtype=np.float32)
    res = metrics.rank_metrics(scores, [data.Target(0, 0, np.array([4, 50, 120]), {})])
    # MRR: E[1 / rank of the first of 3 relevant among 200 in random order]
    mrr = sum(1 / j * size * np.prod([(n_items - size - i) / (n_items - i) for i in range(j - 1)])
              / (n_items - j + 1) for j in range(1, n_items - size + 2))
    assert res["mrr"][0] == pytest.approx(mrr, rel=1e-9)
    assert res["mrr"][0] < 0.1  # not 1.0
    assert res["recall@10"][0] == pytest.approx(10 / n_items)
    assert res["hitrate@10"][0] == pytest.approx(
        1 - np.prod([(n_items - size - i) / (n_items - i) for i in range(10)]))
    assert res["ndcg@10"][0] > 0  # not 0: each place holds a hit with chance 3 / 200


def test_untied_scores_are_unchanged() -> None:
    scores = np.array([[0, 5, 4, 3, 2, 1]], dtype=np.float32)  # ranking: 1, 2, 3, 4, 5
    res = metrics.rank_metrics(scores, [data.Target(0, 0, np.array([2, 5]), {})], ks=(10, 20))
    assert res["mrr"][0] == pytest.approx(0.5)
    assert res["top10"][0].tolist() == [1, 2, 3, 4, 5]
