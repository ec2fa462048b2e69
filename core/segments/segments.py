"""Customer segments: learned customer vectors -> UMAP (a 2-D map and a clustering space) -> HDBSCAN.

``build`` runs the pipeline for one model and caches the result per (model, settings, data), so
the page opens instantly after the first run. Settings without the learned ``embedding`` need
no model at all (``inputs_for``): a shop without products (a spend-only history) is segmented
on recency, frequency and money alone. The reducer and the clusterer are plug-ins with a
plain contract (``fit(X) -> self`` with ``map_``/``space_``; ``fit(X) -> self`` with ``labels_``
and ``probabilities_``), so either can be swapped or faked in tests. Segment numbers stay the
same across retrains: a new run's segments are matched to the shop's previous run by member
overlap. ``view`` applies the cheap choices (assign outliers, merge small segments) to a cached
run without recomputing anything.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from core.learn import embeddings
from core.segments import cache
from core.segments.types import UNASSIGNED, Clusterer, MapReducer, Progress, SegmentConfig, SegmentRun
from core.shop import features, sequences
from core.store import artifacts
from core.store.store import Store

log = logging.getLogger(__name__)


def default_reducer(config: SegmentConfig, n: int) -> MapReducer:
    from core.segments.reducers import UmapPair

    return UmapPair(n_neighbors=config.n_neighbors, random_state=config.seed)


def default_clusterer(config: SegmentConfig, n: int) -> Clusterer:
    from core.segments.reducers import HdbscanClusterer, default_min_cluster_size

    size = config.min_cluster_size or default_min_cluster_size(n)
    if config.min_samples is None:
        return HdbscanClusterer(min_cluster_size=size)
    return HdbscanClusterer(min_cluster_size=size, min_samples=config.min_samples)


def inputs(store: Store, keys: np.ndarray, vectors: np.ndarray, parts: tuple[str, ...]) -> np.ndarray:
    """The clustering input: the learned vectors and/or standardised RFM and context features."""
    blocks = [features.standardise_vectors(vectors)] if "embedding" in parts else []
    extra = tuple(p for p in parts if p != "embedding")
    if extra:
        blocks.append(features.matrix(store, list(keys), extra))
    return np.hstack(blocks).astype(np.float32)


def profiled_customers(store: Store) -> np.ndarray:
    """Keys of the customers a model-less run profiles: consenting, with at least one purchase
    (the customers a model's event log holds), in key order."""
    rows = store.rows("""
        SELECT DISTINCT e.customer_key FROM events e JOIN customers c USING (customer_key)
        WHERE e.event_type = 'purchase' AND c.consent_profiling ORDER BY 1""")
    return np.array([r[0] for r in rows], dtype=object)


def inputs_for(store: Store, model_id: str | None, cfg: SegmentConfig
               ) -> tuple[np.ndarray, np.ndarray, artifacts.Artifact | None, list[str]]:
    """(customer keys, clustering input, the model or None, problems) for these settings. With
    the ``embedding`` the customers and vectors are the model's (the latest when None); without
    it no model is read and the customers are ``profiled_customers``."""
    if "embedding" not in cfg.parts:
        keys = profiled_customers(store)
        return keys, features.matrix(store, list(keys), cfg.parts), None, []
    keys, vectors, art, problems = embeddings.customer_vectors(store, model_id)
    return keys, inputs(store, keys, vectors, cfg.parts), art, problems


def cluster(X: np.ndarray, config: SegmentConfig, reducer: MapReducer | None = None,
            clusterer: Clusterer | None = None, progress: Progress | None = None,
            timings: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, Clusterer]:
    """(map, space, fitted clusterer) of the rows of ``X``; seconds per stage into ``timings``."""
    say = progress or (lambda _f, _m: None)
    spent = timings if timings is not None else {}
    if len(X) < 10:
        raise ValueError(f"Only {len(X)} customers can be profiled; segments need at least 10.")
    say(0.05, f"Mapping {len(X):,} customers (UMAP)")
    started = time.perf_counter()
    red = (reducer or default_reducer(config, len(X))).fit(X)
    spent.update({f"umap_{k}": round(v, 2) for k, v in getattr(red, "timings_", {}).items()})
    spent["umap"] = round(time.perf_counter() - started, 2)
    say(0.75, "Finding segments (HDBSCAN)")
    started = time.perf_counter()
    cl = (clusterer or default_clusterer(config, len(X))).fit(red.space_)
    spent["hdbscan"] = round(time.perf_counter() - started, 2)
    return np.asarray(red.map_, np.float32), np.asarray(red.space_, np.float32), cl


def _condensed_tree(cl: Clusterer) -> pd.DataFrame:
    model = getattr(cl, "model_", cl)
    tree = getattr(model, "condensed_tree_", None)
    if tree is None:
        return pd.DataFrame(columns=["parent", "child", "lambda_val", "child_size"])
    return tree.to_pandas()


def _selected_nodes(cl: Clusterer) -> list[int]:
    """Condensed-tree node of each raw HDBSCAN label (hdbscan numbers the selected clusters in
    sorted node order); empty when the clusterer has no tree."""
    tree = getattr(getattr(cl, "model_", cl), "condensed_tree_", None)
    if tree is None:
        return []
    try:
        return sorted(int(c) for c in tree._select_clusters())
    except (AttributeError, ValueError, TypeError) as err:
        log.info("no cluster hierarchy available: %s", err)
        return []


def match_to_previous(keys: np.ndarray, labels: np.ndarray, prev_keys: np.ndarray,
                      prev_labels: np.ndarray) -> np.ndarray:
    """Renumber ``labels`` so each segment takes the number of the previous segment it shares
    most members with (Hungarian matching on member overlap); new segments get fresh numbers."""
    prev = pd.Series(prev_labels, index=pd.Index(prev_keys))
    common = pd.Index(keys).intersection(prev.index)
    new_ids = [k for k in np.unique(labels) if k != UNASSIGNED]
    old_ids = [k for k in np.unique(prev_labels) if k != UNASSIGNED]
    if not new_ids or not old_ids or not len(common):
        return labels
    now = pd.Series(labels, index=pd.Index(keys)).loc[common]
    overlap = pd.crosstab(now, prev.loc[common]).reindex(index=new_ids, columns=old_ids, fill_value=0)
    rows, cols = linear_sum_assignment(-overlap.to_numpy())
    mapping = {new_ids[r]: old_ids[c] for r, c in zip(rows, cols) if overlap.iat[r, c] > 0}
    fresh = iter(range(max(old_ids) + 1, max(old_ids) + 1 + len(new_ids)))
    mapping.update({k: next(fresh) for k in new_ids if k not in mapping})
    mapping[UNASSIGNED] = UNASSIGNED
    return np.array([mapping[k] for k in labels], dtype=np.int64)


def build(store: Store, model_id: str | None = None, cfg: SegmentConfig | None = None,
          reducer: MapReducer | None = None, clusterer: Clusterer | None = None,
          progress: Progress | None = None, use_cache: bool = True) -> SegmentRun:
    """Segments of the shop's profiled customers from a model (the latest when None), cached."""
    cfg = cfg or SegmentConfig()
    say = progress or (lambda _f, _m: None)
    data = sequences.fingerprint(store)
    chosen = model_id or artifacts.latest_id(store)
    if use_cache and reducer is None and clusterer is None and (chosen or "embedding" not in cfg.parts):
        # before any model or vector work: a cache hit needs neither
        hit = cache.path_for(store, chosen, cfg, data)
        run = cache.load(hit) if hit.exists() else None
        if run is not None:
            say(1.0, "Segments loaded from cache")
            return run
    started = time.perf_counter()
    say(0.0, "Reading customer vectors" if "embedding" in cfg.parts else "Reading customer figures")
    keys, X, art, problems = inputs_for(store, model_id, cfg)
    path = cache.path_for(store, art.model_id if art else None, cfg, data)
    timings = {"inputs": round(time.perf_counter() - started, 2)}
    map2d, space, cl = cluster(X, cfg, reducer, clusterer, lambda f, m: say(0.05 + 0.85 * f, m),
                               timings)
    raw = np.asarray(cl.labels_, dtype=np.int64)
    labels = raw
    prev = cache.previous_run(store)
    if prev is not None:
        labels = match_to_previous(keys, raw, prev.keys, prev.labels)
    nodes = _selected_nodes(cl)
    leaves = {str(int(new)): nodes[int(old)] for old, new in set(zip(raw.tolist(), labels.tolist()))
              if old != UNASSIGNED and int(old) < len(nodes)}
    say(0.92, "Giving outliers their nearest segment")
    from core.segments.reducers import assign_outliers

    run = SegmentRun(keys, map2d, space, labels, np.asarray(cl.probabilities_, np.float32),
                     assign_outliers(cl, space, labels), _condensed_tree(cl))
    run.meta = {"model_id": art.model_id if art else None,
                "kind": art.manifest.get("kind") if art else "features", "config": asdict(cfg),
                "data": data, "seconds": round(time.perf_counter() - started, 2),
                "created": time.strftime("%Y-%m-%d %H:%M:%S"), "problems": problems,
                "n_customers": int(len(keys)), "n_segments": run.n_segments,
                "unassigned": run.unassigned_share, "leaf_nodes": leaves, "timings": timings}
    if reducer is None and clusterer is None:
        if sequences.fingerprint(store) != data:  # erasures or objections while it was built
            allowed = {r[0] for r in store.rows("SELECT customer_key FROM customers WHERE consent_profiling")}
            gone = np.array([k not in allowed for k in run.keys], dtype=bool)
            if gone.any():
                run = cache.without_points(run, gone)
        cache.save(run, path)
        cache.publish(store, path)
    say(1.0, f"{run.n_segments} segments")
    log.info("segments of %s: %d customers, %d segments, %.1f%% unassigned, %.1fs", store.shop,
             len(keys), run.n_segments, 100 * run.unassigned_share, run.meta["seconds"])
    return run


def view(run: SegmentRun, assign_outliers: bool = False, merge_below: int = 0) -> np.ndarray:
    """Labels as shown: optionally every outlier in its nearest segment, and segments smaller
    than ``merge_below`` customers merged into the nearest larger one (by centroid)."""
    labels = run.nearest.copy() if assign_outliers else run.labels.copy()
    if merge_below <= 0:
        return labels
    sizes = pd.Series(labels[labels != UNASSIGNED]).value_counts()
    big = sizes[sizes >= merge_below].index.to_numpy()
    small = sizes[sizes < merge_below].index.to_numpy()
    if not len(big) or not len(small):
        return labels
    centroids = {k: run.space[labels == k].mean(axis=0) for k in sizes.index}
    for k in small:
        d = [float(((centroids[k] - centroids[b]) ** 2).sum()) for b in big]
        labels[labels == k] = big[int(np.argmin(d))]
    return labels
