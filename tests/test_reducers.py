"""core.segments.reducers on small planted blobs: one module-scoped UMAP fit keeps numba's compile the only
real cost (exact kNN below 50,000 rows, so pynndescent is never compiled here)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from core.segments import reducers

N, CENTERS = 600, 4


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(n_samples=N, n_features=32, centers=CENTERS, cluster_std=2.0, random_state=0)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def pair(blobs) -> reducers.UmapPair:
    return reducers.UmapPair(random_state=0).fit(blobs[0])


@pytest.fixture(scope="module")
def clusterer(pair) -> reducers.HdbscanClusterer:
    return reducers.HdbscanClusterer().fit(pair.space_)


def test_umap_pair_shapes(pair):
    assert pair.map_.shape == (N, 2)
    assert pair.space_.shape == (N, 8)
    assert pair.map_.dtype == pair.space_.dtype == np.float32
    assert np.isfinite(pair.map_).all() and np.isfinite(pair.space_).all()
    assert len(pair.fit_rows_) == N and set(pair.timings_) == {"knn", "space", "map"}


def test_umap_pair_repeatable_with_same_seed(blobs, pair):
    again = reducers.UmapPair(random_state=0).fit(blobs[0])
    np.testing.assert_array_equal(again.space_, pair.space_)
    np.testing.assert_array_equal(again.map_, pair.map_)


def test_umap_pair_is_a_reducer(blobs, pair):
    reducer: reducers.Reducer = reducers.UmapPair(cluster_components=3, n_epochs=30, random_state=1)
    assert reducer.fit_transform(blobs[0]).shape == (N, 3)


def test_umap_pair_rejects_bad_input():
    with pytest.raises(ValueError):
        reducers.UmapPair().fit(np.full((50, 4), np.nan))
    with pytest.raises(ValueError):
        reducers.UmapPair().fit(np.zeros((5, 4)))


def test_hdbscan_finds_planted_blobs(blobs, clusterer):
    assert clusterer.labels_.max() + 1 == CENTERS
    assert adjusted_rand_score(blobs[1], clusterer.labels_) > 0.9
    assert clusterer.probabilities_.shape == (N,)
    assert clusterer.model_.condensed_tree_ is not None  # callers can reach hdbscan's API
    assert clusterer.min_cluster_size_ == reducers.default_min_cluster_size(N)


def test_default_min_cluster_size_scales_with_the_shop():
    assert reducers.default_min_cluster_size(300) == 10
    assert reducers.default_min_cluster_size(5_000) == 50
    assert reducers.default_min_cluster_size(100_000) == 1000
    assert reducers.default_min_cluster_size(2_000_000) == 1000


def test_assign_outliers_fills_noise_and_keeps_assigned(pair, clusterer):
    labels = clusterer.labels_.copy()
    hidden = np.random.default_rng(0).choice(N, 60, replace=False)
    labels[hidden] = -1
    filled = reducers.assign_outliers(clusterer, pair.space_, labels)
    assert (filled >= 0).all()
    kept = labels >= 0
    np.testing.assert_array_equal(filled[kept], labels[kept])
    assert np.mean(filled[hidden] == clusterer.labels_[hidden]) > 0.9


def test_assign_outliers_edge_cases(pair):
    class Fake:  # the Clusterer contract, nothing more
        labels_ = np.full(N, -1)
        probabilities_ = np.zeros(N)

        def fit(self, X):
            return self

    assert (reducers.assign_outliers(Fake(), pair.space_, Fake.labels_) == 0).all()
    labels = np.arange(N) % 3
    np.testing.assert_array_equal(reducers.assign_outliers(Fake(), pair.space_, labels), labels)


def test_a_subsample_fit_places_the_other_rows_with_the_exact_index(blobs):
    X, y = blobs
    pair = reducers.UmapPair(max_fit=reducers.MIN_FIT, n_epochs=30, random_state=0).fit(
        np.vstack([X, X + 0.01]))
    assert len(pair.fit_rows_) == reducers.MIN_FIT and set(pair.timings_) >= {"knn", "extend"}
    assert pair.space_.shape == (2 * N, 8) and np.isfinite(pair.space_).all()
    labels = reducers.HdbscanClusterer().fit(pair.space_).labels_
    assert adjusted_rand_score(np.r_[y, y], labels) > 0.9  # the placed rows land in their blob


def test_umap_functions_are_cached_on_disk_but_not_the_parallel_layout():
    import umap.layouts
    import umap.umap_

    from core.segments import jit

    cached = jit.cache_on_disk()
    assert "umap.layouts._nb_optimize_layout_euclidean_single_epoch" in cached
    assert "umap.umap_.smooth_knn_dist" in cached
    assert type(umap.umap_.smooth_knn_dist._cache).__name__ == "FunctionCache"
    # same Python function as the serial layout: numba's index could not tell the two apart
    assert type(umap.layouts._nb_optimize_layout_euclidean_single_epoch_parallel._cache).__name__ \
        == "NullCache"
    assert jit.cache_on_disk() == cached  # once per process
