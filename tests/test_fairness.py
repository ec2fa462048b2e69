"""Fairness audit (core.fairness) against hand-computed values on tiny lists."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.fairness import fairness, wording
from core.fairness.fairness import POOLED, Disparity
from core.recommend import batch, beyond

T_975_DF1 = 12.706204736174705  # scipy.stats.t.ppf(0.975, 1)
T_975_DF2 = 4.302652729911275  # scipy.stats.t.ppf(0.975, 2)


# --- ndcg_at_k --------------------------------------------------------------------------------------

def test_ndcg_hand_computed_cases():
    lists = np.array([[5, 2, 7, 9], [5, 2, 7, 9], [5, 2, 7, 9], [1, 2, 0, 0], [0, 4, 0, 0], [5, 5, 3, 0]])
    relevant = [np.array([5, 7]), np.array([9]), np.array([], dtype=int), np.array([1, 2, 3]),
                np.array([4]), np.array([5])]
    got = fairness.ndcg_at_k(lists, relevant, k=10)
    # hits at ranks 1 and 3, 2 relevant: (1 + 1/log2(4)) / (1 + 1/log2(3))
    assert got[0] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    # one hit at rank 4, 1 relevant: (1/log2(5)) / 1
    assert got[1] == pytest.approx(1 / math.log2(5))
    assert math.isnan(got[2])  # nothing relevant held out
    # hits at ranks 1, 2 of 3 relevant; ideal = 3 hits in the first 3 ranks
    ideal3 = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert got[3] == pytest.approx((1 + 1 / math.log2(3)) / ideal3)
    assert got[4] == pytest.approx(1 / math.log2(3))  # empty slot keeps its rank
    assert got[5] == pytest.approx(1.0)  # a repeated hit counts once


def test_ndcg_cut_at_k_and_ideal_capped_at_k():
    lists = np.array([[5, 2, 7, 9], [1, 2, 3, 4]])
    relevant = [np.array([7, 9]), np.array([1, 2, 3])]
    got = fairness.ndcg_at_k(lists, relevant, k=2)
    assert got[0] == 0.0  # relevant items sit below rank 2
    assert got[1] == pytest.approx(1.0)  # ideal = min(k=2, |R|=3) hits
    with pytest.raises(ValueError):
        fairness.ndcg_at_k(lists, relevant[:1])


# --- group_means ------------------------------------------------------------------------------------

def test_group_means_t_interval_by_hand_and_small_groups_pooled():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 7.0, 99.0, np.nan, 4.0])
    labels = ["a", "a", "a", "b", "b", "c", None, "a", float("nan")]
    stats = fairness.group_means(values, labels, "segment", min_size=2)
    assert [s.group for s in stats] == ["a", "b", POOLED]
    a, b, other = stats
    # a: {1, 2, 3} (the NaN value is ignored) mean 2, s = 1, half = t(0.975, 2) * 1 / sqrt(3)
    assert (a.attribute, a.n, a.value) == ("segment", 3, 2.0)
    assert a.low == pytest.approx(2 - T_975_DF2 / math.sqrt(3))
    assert a.high == pytest.approx(2 + T_975_DF2 / math.sqrt(3))
    # b: {10, 20} mean 15, s = sqrt(50), half = t(0.975, 1) * sqrt(50) / sqrt(2) = 5 t
    assert (b.n, b.value) == (2, 15.0)
    assert (b.low, b.high) == pytest.approx((15 - 5 * T_975_DF1, 15 + 5 * T_975_DF1))
    # c (n = 1) is pooled; unknown labels (None, NaN) are left out
    assert (other.n, other.value) == (1, 7.0)
    assert math.isnan(other.low) and math.isnan(other.high)


def test_group_means_pools_several_small_groups_together():
    values = [1.0, 1.0, 1.0, 4.0, 6.0]
    labels = ["big", "big", "big", "x", "y"]
    stats = fairness.group_means(values, labels, "region", min_size=3)
    assert [(s.group, s.n, s.value) for s in stats] == [("big", 3, 1.0), (POOLED, 2, 5.0)]
    assert stats[0].low == stats[0].high == 1.0  # no spread, zero-width interval


# --- disparity --------------------------------------------------------------------------------------

def _two_groups(mean_b: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    a = np.r_[np.ones(n // 2), np.zeros(n // 2)]  # mean 0.5
    b = np.r_[np.ones(int(n * mean_b)), np.zeros(n - int(n * mean_b))]
    return np.r_[a, b], np.array(["A"] * n + ["B"] * n)


def test_disparity_ratio_names_and_bootstrap_interval():
    values, labels = _two_groups(0.25)
    d = fairness.disparity(values, labels, "region", "ndcg", n_boot=500, seed=0)
    assert (d.worst, d.best, d.n_groups) == ("B", "A", 2)
    assert d.ratio == pytest.approx(0.5)
    assert 0 < d.low < 0.5 < d.high <= 1
    assert d == fairness.disparity(values, labels, "region", "ndcg", n_boot=500, seed=0)  # seeded


def test_disparity_equal_groups_interval_covers_parity():
    values, labels = _two_groups(0.5)
    d = fairness.disparity(values, labels, "device", "ndcg")
    assert d.worst != d.best
    assert d.ratio == pytest.approx(1.0)
    assert d.low <= 1 <= d.high


def test_disparity_widens_interval_for_many_groups_and_needs_two():
    values, labels = _two_groups(0.25)
    two = fairness.disparity(values, labels, "region", "ndcg")
    third = np.full(200, 0.4)  # a third group in between leaves worst/best unchanged
    three = fairness.disparity(np.r_[values, third], np.append(labels, ["C"] * 200), "region", "ndcg")
    assert (three.worst, three.best, three.n_groups) == ("B", "A", 3)
    assert three.low < two.low and three.high > two.high  # simultaneous over 3 pairs
    assert fairness.disparity(values[:200], labels[:200], "region", "ndcg") is None
    # a pooled remainder smaller than min_size does not count as a group
    assert fairness.disparity(np.append(values[:200], 1.0), np.append(labels[:200], "Z"), "region",
                              "ndcg") is None


def test_disparities_loops_over_attributes_and_metrics():
    values, labels = _two_groups(0.25)
    groups = {"region": labels, "gender": np.full(len(labels), None)}
    found = fairness.disparities({"ndcg": values, "price": values * 10}, groups, n_boot=50)
    assert [(d.attribute, d.metric) for d in found] == [("region", "ndcg"), ("region", "price")]


# --- price_level and exposure -----------------------------------------------------------------------

def test_price_level_by_hand():
    prices = np.array([np.nan, 10.0, 20.0, np.nan, 40.0])
    lists = np.array([[1, 2, 0], [3, 4, 1], [3, 0, 0]])
    got = fairness.price_level(lists, prices)
    assert got[0] == pytest.approx(15.0)  # (10 + 20) / 2
    assert got[1] == pytest.approx(25.0)  # item 3 has no price: (40 + 10) / 2
    assert math.isnan(got[2])
    with pytest.raises(ValueError):
        fairness.price_level(np.array([[5]]), prices)


LISTS = np.array([[1, 2, 3], [1, 2, 4], [1, 5, 0], [2, 1, 3]])  # 4 customers, 3 slots, 6 items
POP = np.array([0.0, 50, 40, 5, 3, 1, 1])


def test_exposure_hand_computed_and_equal_to_beyond():
    got = fairness.exposure(LISTS, 6, POP, histories=[np.array([3, 4]), np.array([5, 6])])
    # shown counts: item 1: 4, 2: 3, 3: 2, 4: 1, 5: 1, 6: 0 -> 11 slots
    assert got["coverage"] == pytest.approx(5 / 6)
    # sorted x = 0,1,1,2,3,4; sum (2i - 7) x_i = -3 - 1 + 2 + 9 + 20 = 27; G = 27 / (6 * 11)
    assert got["gini"] == pytest.approx(27 / 66)
    # head = ceil(0.2 * 6) = 2 best-sellers {1, 2}; tail slots: items 3, 3, 4, 5 -> 4 / 11
    assert got["long_tail_share"] == pytest.approx(4 / 11)
    assert got["top10_share"] == pytest.approx(1.0)  # only 5 items shown
    # shares s = c / 100: recommended (4*.5 + 3*.4 + 2*.05 + .03 + .01) / 11; bought (.05+.03+.01+.01) / 4
    assert got["popularity_share"] == pytest.approx(3.34 / 11)
    assert got["popularity_bias"] == pytest.approx((3.34 / 11) / 0.025)
    counts = np.array([4, 3, 2, 1, 1, 0])
    assert got["gini"] == beyond.gini(counts)
    assert got["coverage"] == beyond.coverage(LISTS, 6)
    assert got["long_tail_share"] == beyond.long_tail_share(LISTS, POP)
    assert math.isnan(fairness.exposure(LISTS, 6, POP)["popularity_bias"])  # needs histories


def test_top10_share_with_more_than_ten_items():
    lists = np.array([[1, 2, 3], [1, 4, 5], [6, 7, 8], [9, 10, 11]])
    # item 1 shown twice, ten others once: top 10 = 2 + 9 of 12 slots
    assert fairness.exposure(lists, 12, np.ones(13))["top10_share"] == pytest.approx(11 / 12)


def test_compare_exposure_table():
    baseline = np.tile([1, 2, 3], (4, 1))
    table = fairness.compare_exposure(LISTS, baseline, 6, POP)
    assert list(table.columns) == ["policy", "best-sellers baseline", "difference"]
    assert table.index.name == "measure"
    assert table.loc["coverage", "best-sellers baseline"] == pytest.approx(0.5)
    assert table.loc["coverage", "difference"] == pytest.approx(5 / 6 - 0.5)
    pd.testing.assert_series_equal(table["difference"], table["policy"] - table["best-sellers baseline"],
                                   check_names=False)


# --- cap_exposure -----------------------------------------------------------------------------------

def test_cap_exposure_respects_cap_and_each_customers_order():
    rng = np.random.default_rng(3)
    # everyone ranks items 1, 2, 3 first, then 4..12 in their own order
    ranked = np.array([np.r_[1, 2, 3, rng.permutation(np.arange(4, 13))] for _ in range(10)])
    out = batch.cap_exposure(ranked, n=3, max_share=0.3, seed=7)
    cap = math.ceil(0.3 * 10)
    counts = np.bincount(out.ravel(), minlength=13)[1:]
    assert out.shape == (10, 3) and (out > 0).all()
    assert counts.max() <= cap
    for row, got in zip(ranked, out):
        pos = [int(np.flatnonzero(row == i)[0]) for i in got]
        assert pos == sorted(pos)  # taken in the customer's own order
        skipped = [i for i in row[:pos[-1]] if i not in got]
        assert all(counts[i - 1] == cap for i in skipped)  # passed over only when full
    assert (out == batch.cap_exposure(ranked, n=3, max_share=0.3, seed=7)).all()


def test_cap_exposure_without_binding_cap_is_top_n():
    ranked = np.array([[3, 1, 2, 0], [1, 2, 0, 0], [2, 3, 1, 4]])
    assert (batch.cap_exposure(ranked, n=2, max_share=1.0) == ranked[:, :2]).all()
    # more slots than candidates: the rest stays empty
    assert batch.cap_exposure(ranked, n=3, max_share=1.0)[1].tolist() == [1, 2, 0]
    with pytest.raises(ValueError):
        batch.cap_exposure(ranked, n=2, max_share=0.0)


# --- summary ----------------------------------------------------------------------------------------

def test_summary_sentences():
    pol = {"coverage": 0.31, "top10_share": 0.2, "long_tail_share": 0.4, "ndcg": 0.1}
    base = {"coverage": 0.01, "top10_share": 1.0, "long_tail_share": 0.0}
    chance = Disparity("device", "ndcg", "mobile", "desktop", 0.9, 0.75, 1.08, 2)
    real = Disparity("region", "ndcg", "North", "South", 0.62, 0.48, 0.79, 2)
    unknown = Disparity("gender", "ndcg", "x", "y", math.nan, math.nan, math.nan, 2)
    what_if = {"diversity 0.3": {"coverage": 0.43, "ndcg": 0.096},
               "exposure cap 5%": {"coverage": 0.31, "ndcg": 0.1}}
    text = wording.details(pol, base, [chance, real, unknown], what_if)
    assert text[0] == "The recommendations show 31% of the catalog (best-sellers alone: 1%)."
    chance_s = next(s for s in text if "'mobile'" in s)
    assert "could be chance" in chance_s and "worth a look" not in chance_s
    real_s = next(s for s in text if "'North'" in s)
    assert "'South'" in real_s and "0.62x" in real_s and "0.48-0.79" in real_s and "worth a look" in real_s
    assert not any("'x'" in s for s in text)  # undefined ratio: nothing said
    assert ("Setting diversity to 0.3 shows 12 points more of the catalog and costs 4% of list accuracy."
            in text)
    cap_s = next(s for s in text if "exposure cap" in s)
    assert "about the same" in cap_s
    assert wording.details({}, {}, []) == []


def test_plain_words_are_few_and_plain():
    pol = {"coverage": 0.31, "top10_share": 0.2, "long_tail_share": 0.4, "popularity_bias": 2.5,
           "ndcg": 0.1}
    base = {"coverage": 0.01, "top10_share": 1.0, "long_tail_share": 0.0}
    chance = Disparity("device", "ndcg", "mobile", "desktop", 0.9, 0.75, 1.08, 2)
    real = Disparity("region", "ndcg", "North", "South", 0.62, 0.48, 0.79, 2)
    cheap = Disparity("region", "mean price", "East", "West", 0.7, 0.6, 0.8, 3)
    what_if = {"diversity 0.3": {"coverage": 0.43, "ndcg": 0.096},
               "exposure cap 5%": {"coverage": 0.31, "ndcg": 0.1}}
    text = wording.plain(pol, base, [chance, real, cheap], what_if)
    assert 1 <= len(text) <= wording.MAX_PLAIN
    assert not any("interval" in s or "Gini" in s for s in text)  # statistics stay in the details
    assert any("'North'" in s and "38% less well" in s for s in text)
    assert any("'East'" in s and "cheaper" in s for s in text)
    assert not any("'mobile'" in s for s in text)  # a gap that could be chance is not said plainly
    assert len(wording.details(pol, base, [chance, real, cheap], what_if)) > len(text)
    calm = wording.plain(pol, base, [chance], {})
    assert "No group of customers gets clearly worse lists than the others." in calm
