"""Segments: the pipeline's pieces with fakes, profiles and names, the differences test, export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.segments import audience, profiles, segments
from core.segments import stats as segment_stats
from core.segments.segments import UNASSIGNED
from core.segments.types import SegmentConfig, SegmentRun


class FakeReducer:
    """Identity 'reduction': the map is the first two columns, the space is the input."""

    def fit(self, X: np.ndarray) -> FakeReducer:
        self.map_, self.space_ = X[:, :2].copy(), X.copy()
        return self


class FakeClusterer:
    """Labels by the sign of the first column; points near zero are outliers."""

    def fit(self, X: np.ndarray) -> FakeClusterer:
        self.labels_ = np.where(np.abs(X[:, 0]) < 0.5, UNASSIGNED, (X[:, 0] > 0).astype(int))
        self.probabilities_ = np.where(self.labels_ >= 0, 1.0, 0.0)
        return self


def _blobs(n: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.repeat([[-3.0, 0.0], [3.0, 0.0]], n // 2, axis=0)
    return (centres + rng.normal(0, 0.5, size=(n, 2))).astype(np.float32)


def test_cluster_uses_the_plugins_and_refuses_tiny_inputs() -> None:
    X = _blobs()
    map2d, space, cl = segments.cluster(X, SegmentConfig(), FakeReducer(), FakeClusterer())
    assert map2d.shape == (60, 2) and space.shape == (60, 2)
    assert set(cl.labels_) <= {UNASSIGNED, 0, 1}
    with pytest.raises(ValueError, match="at least 10"):
        segments.cluster(X[:5], SegmentConfig(), FakeReducer(), FakeClusterer())


def test_config_rejects_unknown_inputs() -> None:
    with pytest.raises(ValueError, match="Unknown segment inputs"):
        SegmentConfig(parts=("embedding", "zodiac"))
    assert SegmentConfig().key() == SegmentConfig().key()
    assert SegmentConfig(seed=1).key() != SegmentConfig().key()


def test_matching_keeps_segment_numbers_across_retrains() -> None:
    keys = np.array([f"c{i}" for i in range(9)], dtype=object)
    before = np.array([0, 0, 0, 1, 1, 1, 2, 2, UNASSIGNED])
    # a retrain finds the same groups under other numbers, one customer moved, plus a new group
    after = np.array([2, 2, 2, 0, 0, 2, 1, 1, 3])
    renumbered = segments.match_to_previous(keys, after, keys, before)
    assert renumbered[:5].tolist() == [0, 0, 0, 1, 1]
    assert renumbered[6:8].tolist() == [2, 2]
    assert renumbered[8] == 3  # the new group gets a fresh number


def test_view_assigns_and_merges_without_recomputing() -> None:
    space = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [10.3], [5.0], [4.0]])
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 2, UNASSIGNED])
    nearest = np.where(labels == UNASSIGNED, 1, labels)
    run = SegmentRun(np.array([f"c{i}" for i in range(9)], dtype=object), space[:, [0, 0]],
                              space, labels, np.ones(9), nearest, pd.DataFrame())
    assert segments.view(run).tolist() == labels.tolist()
    assert UNASSIGNED not in segments.view(run, assign_outliers=True)
    merged = segments.view(run, merge_below=2)
    assert merged[7] in (0, 1) and 2 not in merged


def test_holm_matches_the_hand_computed_adjustment() -> None:
    # p = (0.01, 0.04, 0.03): sorted 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max-accumulated
    assert segment_stats.holm(np.array([0.01, 0.04, 0.03])).tolist() == pytest.approx([0.03, 0.06, 0.06])


def _data(n: int = 200) -> tuple[profiles.CustomerData, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    keys = np.array([f"c{i:03d}" for i in range(n)], dtype=object)
    labels = np.repeat([0, 1], n // 2)
    num = pd.DataFrame({
        "recency_days": rng.uniform(1, 100, n),
        "frequency": np.where(labels == 0, 6, 1) + rng.integers(0, 2, n),
        "monetary": np.where(labels == 0, 500.0, 40.0) * rng.uniform(0.8, 1.2, n),
        "basket_items": rng.integers(1, 4, n).astype(float), "basket_value": rng.uniform(10, 90, n),
        "tenure_days": rng.uniform(100, 300, n), "weekend_share": rng.uniform(0, 1, n),
        "views_per_purchase": rng.uniform(1, 9, n)}, index=pd.Index(keys, name="customer_key"))
    device = pd.DataFrame({"mobile": np.where(labels == 0, 0.9, 0.2)}, index=num.index)
    device["desktop"] = 1 - device["mobile"]
    weekday = pd.DataFrame(0.0, index=num.index, columns=profiles.features.WEEKDAYS)
    weekday["Saturday"] = np.where(labels == 0, 0.4, 0.05)
    weekday["Sunday"] = np.where(labels == 0, 0.35, 0.05)
    weekday["Monday"] = 1 - weekday["Saturday"] - weekday["Sunday"]
    cats = pd.DataFrame({"customer_key": np.r_[keys, keys],
                         "category": ["Gifts"] * (n // 2) + ["Books"] * (n // 2) + ["Books"] * n,
                         "items": np.r_[np.full(n // 2, 5.0), np.full(n // 2, 1.0), np.ones(n)],
                         "spend": np.ones(2 * n)})
    prods = pd.DataFrame({"customer_key": keys, "product_id": np.where(labels == 0, "p1", "p2"),
                          "title": np.where(labels == 0, "Gift box", "Novel"), "category": "x"})
    return profiles.CustomerData(num, {"device": device, "weekday": weekday}, cats, prods), keys, labels


def test_profiles_name_the_distinctive_traits() -> None:
    data, keys, labels = _data()
    profs = profiles.segment_profiles(data, keys, labels)
    gift = profs[0]
    assert gift.customers == 100 and gift.share_customers == pytest.approx(0.5)
    assert gift.share_revenue > 0.8  # they spend ~12x more
    assert gift.name.startswith("Weekend mobile gifts")
    assert gift.name.endswith(", high value")
    assert "Gifts" in gift.description and "mobile" in gift.description
    top = gift.products.iloc[0]
    assert top["title"] == "Gift box" and top["lift"] == pytest.approx(2.0)
    assert "Weekday" in profs[1].name and "low spend" in profs[1].name
    table = profiles.table(profs)
    assert table["customers"].sum() == 200 and table["name"].is_unique


def test_differences_find_the_planted_measures_and_not_the_noise() -> None:
    data, keys, labels = _data()
    diff = segment_stats.differences(data, keys, labels).set_index("measure")
    assert diff.loc["monetary", "significant"] and diff.loc["frequency", "significant"]
    assert not diff.loc["recency_days", "significant"] and not diff.loc["tenure_days", "significant"]
    assert (diff["p_holm"] >= diff["p"]).all()


def test_export_is_formula_safe_and_keeps_only_consenting_customers(store) -> None:
    store.execute("INSERT INTO customers (customer_key, country, consent_profiling) VALUES "
                  "('c000', '=HYPERLINK(\"x\")', true), ('c001', 'UK', false), ('c002', 'UK', true)")
    data, keys, labels = _data()
    frame = audience.members(store, data, keys[:3], labels[:3], {0: "+cmd"})
    assert frame["customer_key"].tolist() == ["c000", "c002"]
    text = audience.to_csv(frame).decode()
    assert "'=HYPERLINK" in text and "'+cmd" in text and "c001" not in text
