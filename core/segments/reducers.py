"""Reduce customer vectors and cluster them into segments, by a plain plug-in contract.

A `Reducer` is anything with `fit_transform(X) -> array` (umap.UMAP, sklearn PCA, a test fake);
a `Clusterer` is anything with `fit(X) -> self`, `labels_` and `probabilities_` (hdbscan.HDBSCAN,
`HdbscanClusterer`, a fake). `core/segments.py` wires them; this module only supplies the defaults:

- `UmapPair`: the 2-D map and the ~8-D clustering space from ONE k-nearest-neighbour graph.
  The graph is built once (exact below 50,000 rows with sklearn, which needs no numba compile;
  else pynndescent on `n_jobs` threads) and passed to both UMAP fits as `precomputed_knn`. The
  clustering space starts from PCA and the map starts from the PCA of the clustering space, so
  both converge in few epochs; the epoch count shrinks with n (`auto_epochs`) to keep a fixed
  optimisation budget. Above `max_fit` rows UMAP is fitted on a seeded subsample and the other
  rows are placed at the membership-weighted mean of their fitted neighbours (UMAP's own
  transform initialisation, without its slow refinement). UMAP's numba functions are cached on
  disk (`core.segments.jit`), so their compile is paid once per machine, not per process.
- `HdbscanClusterer`: hdbscan.HDBSCAN with shop-sized defaults; the fitted model stays in `model_`.
- `assign_outliers`: gives every noise point (-1) the segment its clustering-space neighbours vote.

Repeatability: with an int `random_state` the same input gives the same output, run after run
(exact kNN is; pynndescent is deterministic for a fixed seed and thread count; UMAP layouts then
run on one thread). `random_state=None` lets UMAP optimise on `n_jobs` threads (Hogwild): about 2x faster
on 2 cores, but results differ run to run. bench/segments.py measures both paths.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

EXACT_KNN_BELOW = 50_000  # exact kNN below: fast (quadratic, ~5 s at 50k x 64) and no numba compile
KD_TREE_DIMS = 5  # a KD-tree beats brute force up to about this many columns (measured)
EPOCH_BUDGET = 1_000_000  # vertex-epochs per layout (n * n_epochs) before epochs are reduced
MAX_EPOCHS, MIN_EPOCHS = 200, 30
MIN_FIT = 1000  # the smallest subsample UMAP is fitted on


class Reducer(Protocol):
    def fit_transform(self, X: np.ndarray) -> np.ndarray: ...


class Clusterer(Protocol):
    labels_: np.ndarray
    probabilities_: np.ndarray

    def fit(self, X: np.ndarray) -> Clusterer: ...


def auto_epochs(n: int, budget: int = EPOCH_BUDGET) -> int:
    """Layout epochs for n rows: 200 (UMAP's large-data default) up to 5,000 rows, then
    budget / n, never below 30 (40 at 25,000 rows). Well-initialised layouts converge in far
    fewer epochs than UMAP's defaults assume: on 25,000 planted customers 40 epochs find the
    same segments as 160 (ARI 0.985 both; bench/segments_fast.py, bench/segments.py)."""
    return int(np.clip(budget // max(n, 1), MIN_EPOCHS, MAX_EPOCHS))


def knn_graph(X: np.ndarray, n_neighbors: int, metric: str, random_state: int | None,
              n_jobs: int) -> tuple[np.ndarray, np.ndarray, object]:
    """(indices, distances, search index) of each row's n_neighbors nearest rows, itself first.

    Exact below EXACT_KNN_BELOW rows (sklearn: a KD-tree for up to KD_TREE_DIMS columns, else
    brute force; 25,000 x 64 takes about a second on 2 cores), else pynndescent. The exact path
    needs no numba: pynndescent's first call compiles for ~20 s in every new process."""
    if X.shape[0] < EXACT_KNN_BELOW:
        from sklearn.neighbors import NearestNeighbors

        algorithm = "kd_tree" if metric == "euclidean" and X.shape[1] <= KD_TREE_DIMS else "brute"
        nn = NearestNeighbors(n_neighbors=n_neighbors, metric=metric, algorithm=algorithm,
                              n_jobs=n_jobs).fit(X)
        dists, idx = nn.kneighbors(X)
        return idx.astype(np.int32), dists.astype(np.float32), nn
    from sklearn.utils import check_random_state
    from umap.umap_ import nearest_neighbors

    idx, dists, index = nearest_neighbors(X, n_neighbors, metric, {}, False,
                                          check_random_state(random_state), low_memory=True,
                                          n_jobs=n_jobs)
    return idx, dists, index


def extend(index: object, fitted: list[np.ndarray], X_rest: np.ndarray, n_neighbors: int) -> list[np.ndarray]:
    """Place unseen rows at the fuzzy-membership-weighted mean of their nearest fitted rows, in each
    of the `fitted` embeddings (UMAP's transform initialisation, shared kNN query). ``index`` is
    ``knn_graph``'s: sklearn's NearestNeighbors or pynndescent's NNDescent."""
    from umap.umap_ import smooth_knn_dist

    if hasattr(index, "kneighbors"):
        dists, idx = index.kneighbors(X_rest, n_neighbors=n_neighbors)
    else:
        idx, dists = index.query(X_rest, k=n_neighbors)  # (m, k) rows of the fitted subsample
    dists = dists.astype(np.float32)
    sigmas, rhos = smooth_knn_dist(dists, float(n_neighbors), local_connectivity=1.0)
    w = np.exp(-np.maximum(dists - rhos[:, None], 0.0) / sigmas[:, None])  # (m, k)
    w /= w.sum(axis=1, keepdims=True)
    return [np.einsum("mk,mkd->md", w, emb[idx]).astype(np.float32) for emb in fitted]


class UmapPair:
    """The segment map (n, map_components) and clustering space (n, cluster_components) of one
    input, sharing one kNN graph. sklearn-style: parameters in `__init__`, `fit(X)` returns self;
    fitted `map_`, `space_`, `n_epochs_`, `fit_rows_` (indices UMAP was fitted on) and `timings_`
    (seconds per stage). `fit_transform(X)` returns `space_`, so it is a `Reducer`."""

    def __init__(self, *, n_neighbors: int = 15, map_components: int = 2, cluster_components: int = 8,
                 min_dist_map: float = 0.1, min_dist_space: float = 0.0, metric: str = "euclidean",
                 n_epochs: int | None = None, map_epochs: int | None = None,
                 max_fit: int | None = 200_000, n_jobs: int = 2, random_state: int | None = 0) -> None:
        self.n_neighbors = n_neighbors
        self.map_components = map_components
        self.cluster_components = cluster_components
        self.min_dist_map = min_dist_map
        self.min_dist_space = min_dist_space
        self.metric = metric
        self.n_epochs = n_epochs
        self.map_epochs = map_epochs
        self.max_fit = max_fit
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _umap(self, X: np.ndarray, n_components: int, min_dist: float, n_epochs: int,
              init: str | np.ndarray, knn: tuple, n_neighbors: int) -> np.ndarray:
        import umap

        from core.segments import jit

        jit.cache_on_disk()
        seeded = self.random_state is not None
        model = umap.UMAP(n_neighbors=n_neighbors, n_components=n_components, min_dist=min_dist,
                          metric=self.metric, n_epochs=n_epochs, init=init,
                          random_state=self.random_state, n_jobs=1 if seeded else self.n_jobs,
                          precomputed_knn=knn)
        with warnings.catch_warnings():  # exact kNN has no search index; transform is never used
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]", category=UserWarning)
            return model.fit_transform(X).astype(np.float32)

    def fit(self, X: np.ndarray) -> UmapPair:
        from sklearn.decomposition import PCA

        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or not np.isfinite(X).all():
            raise ValueError("expected a finite 2-D array of customer vectors")
        n = X.shape[0]
        if n <= max(self.cluster_components, self.map_components) + 2:
            raise ValueError(f"{n} customers are too few to map")
        if self.max_fit is not None and self.max_fit < MIN_FIT:
            raise ValueError(f"max_fit must be at least {MIN_FIT}")
        timings, started = {}, time.perf_counter()
        rng = np.random.default_rng(self.random_state)
        subsample = self.max_fit is not None and n > self.max_fit
        fit_rows = np.sort(rng.choice(n, self.max_fit, replace=False)) if subsample else np.arange(n)
        X_fit = X[fit_rows]
        n_fit = len(fit_rows)
        k = min(self.n_neighbors, n_fit - 1)
        idx, dists, index = knn_graph(X_fit, k, self.metric, self.random_state, self.n_jobs)
        knn = (idx, dists) if hasattr(index, "kneighbors") else (idx, dists, index)
        timings["knn"] = time.perf_counter() - started

        epochs = self.n_epochs or auto_epochs(n_fit)
        map_epochs = self.map_epochs or max(MIN_EPOCHS, int(0.6 * epochs))
        init = "pca" if min(X_fit.shape) > self.cluster_components else "random"
        space = self._umap(X_fit, self.cluster_components, self.min_dist_space, epochs, init, knn, k)
        timings["space"] = time.perf_counter() - started - timings["knn"]
        map_init = PCA(self.map_components, random_state=0).fit_transform(space)  # (n_fit, 2)
        map_ = self._umap(X_fit, self.map_components, self.min_dist_map, map_epochs, map_init, knn, k)
        timings["map"] = time.perf_counter() - started - timings["knn"] - timings["space"]

        if subsample:
            rest = np.setdiff1d(np.arange(n), fit_rows)
            self.space_ = np.empty((n, space.shape[1]), np.float32)
            self.map_ = np.empty((n, map_.shape[1]), np.float32)
            self.space_[fit_rows], self.map_[fit_rows] = space, map_
            self.space_[rest], self.map_[rest] = extend(index, [space, map_], X[rest], k)
            timings["extend"] = time.perf_counter() - started - sum(timings.values())
        else:
            self.space_, self.map_ = space, map_
        self.fit_rows_, self.n_epochs_, self.timings_ = fit_rows, (epochs, map_epochs), timings
        log.info("UmapPair: %d rows (%d fitted), epochs %s, %s", n, n_fit, self.n_epochs_,
                 ", ".join(f"{key} {sec:.1f}s" for key, sec in timings.items()))
        return self

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).space_


def warm_up() -> float:
    """Compile (or load from the disk cache) what a seeded UmapPair fit runs, on a tiny input;
    the seconds it took. The first call in a process pays numba's compile, later ones ~0.1 s."""
    started = time.perf_counter()
    X = np.random.default_rng(0).normal(size=(200, 4)).astype(np.float32)
    UmapPair(n_epochs=5, map_epochs=5, max_fit=None).fit(X)
    return time.perf_counter() - started


def default_min_cluster_size(n: int) -> int:
    """About 1% of the shop's customers, at least 10 and at most 1000: a segment smaller than
    that is too small to act on (and tiny clusters multiply on large shops)."""
    return int(min(max(10, round(0.01 * n)), 1000))


class HdbscanClusterer:
    """hdbscan.HDBSCAN with shop-sized defaults. ``core_dist_n_jobs`` stays 1 by default: more
    starts joblib worker processes, and a benchmark process was seen hanging at exit waiting
    for them; inside the dashboard's server process that risk is not worth a few seconds.
    Fitted: `labels_` (-1 = noise), `probabilities_`, `min_cluster_size_` and `model_` (for
    hdbscan.approximate_predict, condensed_tree_, ...)."""

    def __init__(self, *, min_cluster_size: int | None = None, min_samples: int = 10,
                 cluster_selection_method: str = "eom", prediction_data: bool = True,
                 core_dist_n_jobs: int = 1) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.prediction_data = prediction_data
        self.core_dist_n_jobs = core_dist_n_jobs

    def fit(self, X: np.ndarray) -> HdbscanClusterer:
        import hdbscan

        X = np.asarray(X, dtype=np.float64)
        size = self.min_cluster_size or default_min_cluster_size(X.shape[0])
        self.model_ = hdbscan.HDBSCAN(
            min_cluster_size=size, min_samples=min(self.min_samples, size),
            cluster_selection_method=self.cluster_selection_method, algorithm="boruvka_kdtree",
            core_dist_n_jobs=self.core_dist_n_jobs, prediction_data=self.prediction_data).fit(X)
        self.labels_ = self.model_.labels_
        self.probabilities_ = self.model_.probabilities_
        self.min_cluster_size_ = size
        log.info("HDBSCAN: %d rows, %d segments, %.1f%% noise", X.shape[0], self.labels_.max() + 1,
                 100 * np.mean(self.labels_ < 0))
        return self


def assign_outliers(clusterer: Clusterer, space: np.ndarray, labels: np.ndarray, k: int = 10) -> np.ndarray:
    """Labels with every -1 replaced by the segment of its k nearest assigned neighbours in the
    clustering space, each vote weighted by that neighbour's membership strength
    (`clusterer.probabilities_`) over its distance. Assigned points keep their label. A KD-tree
    query: well under a second at 100k. (hdbscan.all_points_membership_vectors was not used: it is
    slower and memory-hungry at scale and can return NaN rows, hdbscan issues #295 and #498.)
    If nothing was clustered, everyone is segment 0."""
    from sklearn.neighbors import KDTree

    labels = np.asarray(labels)
    out = labels.copy()
    noise, kept = labels < 0, labels >= 0
    if not noise.any():
        return out
    if not kept.any():
        return np.zeros_like(labels)
    strength = np.asarray(getattr(clusterer, "probabilities_", np.ones(len(labels))), dtype=np.float64)
    k = min(k, int(kept.sum()))
    dist, nn = KDTree(space[kept]).query(space[noise], k=k)  # (n_noise, k) rows of the kept points
    weight = (strength[kept][nn] + 1e-3) / (dist + 1e-9)
    votes = np.zeros((noise.sum(), labels.max() + 1))
    np.add.at(votes, (np.arange(len(nn))[:, None], labels[kept][nn]), weight)
    out[noise] = votes.argmax(axis=1)
    return out
