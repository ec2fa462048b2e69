"""Beyond-accuracy measures (core.recommend.beyond) against hand-computed values on tiny lists."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest
from scipy import sparse

from core.recommend import (
    beyond,  # item vectors indexed by id: 0 = padding, 1 = x axis, 2 = y axis, 3 = diagonal (scaled)
)

VECS = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])


def test_coverage_counts_distinct_items_and_ignores_empty_slots():
    lists = np.array([[1, 2, 0], [2, 3, 0]])
    # {1, 2, 3} of 5 items = 0.6
    assert beyond.coverage(lists, 5) == pytest.approx(0.6)
    assert beyond.coverage(np.zeros((3, 4), dtype=int), 5) == 0.0
    assert beyond.coverage(np.array([[4, 4]]), 4) == pytest.approx(0.25)  # a single user


def test_coverage_rejects_bad_shapes_and_negative_ids():
    with pytest.raises(ValueError):
        beyond.coverage(np.array([1, 2]), 3)
    with pytest.raises(ValueError):
        beyond.coverage(np.array([[1, -1]]), 3)


def test_intra_list_diversity_by_hand():
    lists = np.array([[1, 2, 3], [1, 2, 0], [3, 0, 0]])
    # user 0: cos(1,2) = 0, cos(1,3) = cos(2,3) = 1/sqrt2 -> mean sim = sqrt2/3 -> ILD = 1 - sqrt2/3
    # user 1: items 1, 2 -> cos 0 -> ILD 1;  user 2: one item, skipped
    expected = ((1 - math.sqrt(2) / 3) + 1.0) / 2
    assert beyond.intra_list_diversity(lists, VECS) == pytest.approx(expected)


def test_intra_list_diversity_edge_cases():
    # identical items -> distance 0; a single user works
    assert beyond.intra_list_diversity(np.array([[1, 1]]), VECS) == pytest.approx(0.0)
    # nobody has two items -> undefined
    assert math.isnan(beyond.intra_list_diversity(np.array([[1, 0], [0, 0]]), VECS))
    with pytest.raises(ValueError):
        beyond.intra_list_diversity(np.array([[1, 9]]), VECS)


def test_intra_list_diversity_chunks_match_a_plain_loop(monkeypatch):
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(31, 5))
    lists = rng.integers(0, 31, size=(57, 6))
    expected = []
    for row in lists:
        ids = row[row > 0]
        if len(ids) < 2:
            continue
        u = vecs[ids] / np.linalg.norm(vecs[ids], axis=1, keepdims=True)
        sims = [u[a] @ u[b] for a, b in combinations(range(len(ids)), 2)]
        expected.append(1 - np.mean(sims))
    monkeypatch.setattr(beyond, "_CHUNK_ELEMENTS", 100)  # forces many small chunks
    assert beyond.intra_list_diversity(lists, vecs) == pytest.approx(np.mean(expected))


def test_novelty_with_add_one_smoothing():
    popularity = np.array([0, 3, 1, 0])  # 3 items, 4 purchases
    # p = (3+1, 1+1, 0+1) / (4 + 3) = 4/7, 2/7, 1/7
    lists = np.array([[1, 3, 0]])
    expected = (math.log2(7 / 4) + math.log2(7)) / 2
    assert beyond.novelty(lists, popularity) == pytest.approx(expected)
    assert math.isnan(beyond.novelty(np.zeros((2, 2), dtype=int), popularity))


def test_personalization_by_hand():
    lists = np.array([[1, 2], [1, 3], [4, 5]])
    # pairs (0,1): 1 shared / k=2 = 0.5; (0,2): 0; (1,2): 0 -> mean 1/6 -> 1 - 1/6
    assert beyond.personalization(lists, 5) == pytest.approx(5 / 6)
    # duplicates count once: {1} vs {1,2} share 1 item / k=2 -> 0.5
    assert beyond.personalization(np.array([[1, 1], [1, 2]]), 2) == pytest.approx(0.5)


def test_personalization_edge_cases():
    same = np.tile([1, 2, 3], (4, 1))
    assert beyond.personalization(same, 3) == pytest.approx(0.0)
    disjoint = np.array([[1, 2], [3, 4], [5, 6]])
    assert beyond.personalization(disjoint, 6) == pytest.approx(1.0)
    assert math.isnan(beyond.personalization(np.array([[1, 2]]), 2))  # a single user


def test_personalization_exact_matches_all_pairs_and_sampling():
    rng = np.random.default_rng(7)
    n_items, k = 40, 5
    lists = np.array([rng.choice(np.arange(1, n_items + 1), size=k, replace=False) for _ in range(300)])
    lists[::7, -1] = 0  # some empty slots
    u = sparse.csr_array((np.ones(lists.size), (np.repeat(np.arange(300), k), lists.ravel())),
                         shape=(300, n_items + 1))
    u = u[:, 1:]
    overlap = (u @ u.T).toarray()
    brute = 1 - overlap[np.triu_indices(300, 1)].mean() / k
    exact = beyond.personalization(lists, n_items)
    assert exact == pytest.approx(brute)
    sampled = beyond.personalization(lists, n_items, max_pairs=20000, seed=3, exact=False)
    assert sampled == pytest.approx(exact, abs=0.01)
    assert sampled != exact  # it really sampled


def test_popularity_bias_lists_and_sparse_histories_agree():
    popularity = np.array([0, 6, 3, 1])  # shares 0.6, 0.3, 0.1
    lists = np.array([[1, 2]])  # recommended: (0.6 + 0.3) / 2 = 0.45
    histories = [np.array([1, 3]), np.array([3, 3])]  # bought: (0.6 + 0.1 * 3) / 4 = 0.225
    res = beyond.popularity_bias(lists, histories, popularity)
    assert res["recommended"] == pytest.approx(0.45)
    assert res["bought"] == pytest.approx(0.225)
    assert res["ratio"] == pytest.approx(2.0)
    csr = sparse.csr_matrix(np.array([[0, 1, 0, 1], [0, 0, 0, 2]]))  # same purchases as counts
    assert beyond.popularity_bias(lists, csr, popularity) == pytest.approx(res)


def test_gini():
    # sorted 1..4, n=4, sum=10: sum (2i-5) x_i = -3 - 2 + 3 + 12 = 10 -> 10 / (4 * 10)
    assert beyond.gini(np.array([4, 1, 3, 2])) == pytest.approx(0.25)
    assert beyond.gini(np.full(7, 3)) == pytest.approx(0.0)
    n = 5
    assert beyond.gini(np.array([0, 0, 9, 0, 0])) == pytest.approx((n - 1) / n)
    assert beyond.gini(np.zeros(4)) == 0.0
    assert beyond.gini(np.array([])) == 0.0


def test_long_tail_share():
    popularity = np.array([0, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0])  # 10 items, head = top 2 = {1, 2}
    lists = np.array([[1, 3, 0], [2, 6, 7]])
    # slots 1, 3, 2, 6, 7 -> outside the head: 3, 6, 7 -> 3/5
    assert beyond.long_tail_share(lists, popularity) == pytest.approx(0.6)
    # ties: 5 equal items, head = ceil(0.2 * 5) = 1 item, the lowest id -> {1}
    assert beyond.long_tail_share(np.array([[1, 2]]), np.array([0, 1, 1, 1, 1, 1])) == pytest.approx(0.5)
    assert math.isnan(beyond.long_tail_share(np.zeros((1, 2), dtype=int), popularity))


def test_summary_combines_all_measures():
    lists = np.array([[1, 2], [1, 3]])
    popularity = np.array([0, 6, 3, 1])
    histories = [np.array([1, 3]), np.array([3, 3])]
    out = beyond.summary(lists, 3, VECS, popularity, histories)
    assert list(out) == ["coverage", "diversity", "novelty", "personalization", "popularity_lift",
                         "gini", "long_tail"]
    assert out["coverage"] == pytest.approx(1.0)
    # exposure (2, 1, 1): sorted 1, 1, 2 -> (-2*1 + 0*1 + 2*2) / (3 * 4) = 1/6
    assert out["gini"] == pytest.approx(1 / 6)
    # {1,2} vs {1,3}: 1 shared / k=2 -> 1 - 0.5
    assert out["personalization"] == pytest.approx(0.5)
    # recommended (0.6+0.3+0.6+0.1)/4 = 0.4 vs bought 0.225
    assert out["popularity_lift"] == pytest.approx(0.4 / 0.225)
    assert out["long_tail"] == pytest.approx(0.5)  # head = ceil(0.6) = 1 item {1}; slots 2, 3 outside


def test_explain_summary_sentences():
    text = beyond.explain_summary({"coverage": 0.12, "popularity_lift": 3.1, "personalization": math.nan,
                                   "long_tail": 0.004})
    assert text[0] == "The lists use 12% of the catalog."
    assert text[1] == ("Recommended products are 3.1x as popular as what customers actually buy: "
                       "the lists lean on best-sellers.")
    assert text[2].startswith("Less than 1% of recommendation slots")
    assert len(text) == 3  # nan personalization left out
    assert "about as popular" in beyond.explain_summary({"popularity_lift": 1.02})[0]
    assert "less-known" in beyond.explain_summary({"popularity_lift": 0.5})[0]
    full = beyond.summary(np.array([[1, 2], [1, 3]]), 3, VECS, np.array([0, 6, 3, 1]), [np.array([1])])
    assert len(beyond.explain_summary(full)) == 7
