"""Customer segments at scale: UMAP map + clustering space, HDBSCAN, outliers, on planted vectors.

    .venv/bin/python bench/segments.py                          # 5k, 20k, 100k; every path
    .venv/bin/python bench/segments.py --sizes 100000 --paths fast

Input: seeded synthetic customer vectors (n, 64) float32 with 8 planted segments of unequal size
(Dirichlet weights), each a Gaussian with its own low-rank (6-D) shape and noise level, 5% of the
customers pulled part-way towards another segment. Paths:
  fast      core.segments.reducers.UmapPair (shared kNN, PCA init, fewer epochs), seeded -> repeatable
  parallel  the same, random_state=None: UMAP layouts on 2 threads, not repeatable
  subsample the same with max_fit=25000 (UMAP fitted on 25k, the rest placed by kNN), n > 25k only
  plain     two plain umap.UMAP(random_state=seed) fits with defaults (8-D and 2-D), the reference
Every path then runs HdbscanClusterer (default_min_cluster_size, min_samples=10) and
assign_outliers. Each (n, path) runs in its own spawned process that first fits a 5,000-row input
and builds a pynndescent kNN graph of it to let numba compile (not timed; bench/segments_fast.py
times the compile), so "peak RSS" is that process's own high-water mark.
ARI compares segments with the planted ones (raw: HDBSCAN noise as its own label; assigned: after
assign_outliers). Map purity@15: share of a customer's 15 nearest map neighbours in its planted
segment (3,000 sampled customers). Writes bench/results/segments.md.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PATHS = ("fast", "parallel", "subsample", "plain")
SUBSAMPLE = 25_000
log = logging.getLogger("bench.segments")


def planted(n: int, seed: int, sep: float = 0.55, d: int = 64, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, d) float32, planted segment (n,)): see the module docstring. Segment means are
    N(0, sep^2) per dimension: at 0.55 plain UMAP + HDBSCAN finds all 8 (ARI 0.95-0.99), at 0.5
    it starts merging close pairs."""
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 3.0)))
    means = rng.normal(size=(k, d)) * sep
    X = np.empty((n, d))
    for c in range(k):
        rows = np.flatnonzero(y == c)
        shape = rng.normal(size=(6, d)) * rng.uniform(0.25, 0.75)
        X[rows] = (means[c] + rng.normal(size=(rows.size, 6)) @ shape
                   + rng.normal(size=(rows.size, d)) * rng.uniform(0.8, 1.2))
    between = rng.random(n) < 0.05
    other = (y[between] + rng.integers(1, k, size=between.sum())) % k
    X[between] += rng.uniform(0.0, 0.45, size=(between.sum(), 1)) * (means[other] - means[y[between]])
    return X.astype(np.float32), y


def _embed(path: str, X: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(space, map) by one path."""
    from core.segments import reducers
    if path == "plain":
        import umap

        space = umap.UMAP(n_components=8, min_dist=0.0, random_state=seed, n_jobs=1).fit_transform(X)
        return space, umap.UMAP(n_components=2, random_state=seed, n_jobs=1).fit_transform(X)
    pair = reducers.UmapPair(random_state=None if path == "parallel" else seed,
                             max_fit=SUBSAMPLE if path == "subsample" else None).fit(X)
    return pair.space_, pair.map_


def _purity(map_: np.ndarray, y: np.ndarray, seed: int) -> float:
    from sklearn.neighbors import KDTree

    sample = np.random.default_rng(seed).choice(len(y), min(3000, len(y)), replace=False)
    _, nn = KDTree(map_).query(map_[sample], k=16)
    return float(np.mean(y[nn[:, 1:]] == y[sample, None]))


def _warm_up(path: str, seed: int) -> None:
    """Let numba compile everything this path runs (pynndescent, UMAP graph and layouts)."""
    from sklearn.utils import check_random_state
    from umap.umap_ import nearest_neighbors

    from core.segments import reducers
    warm, _ = planted(5000, seed + 1)
    nearest_neighbors(warm, 15, "euclidean", {}, False, check_random_state(seed), low_memory=True,
                      n_jobs=2)  # UmapPair's kNN from 50,000 rows
    if path == "plain":
        import umap

        umap.UMAP(n_epochs=10, random_state=seed, n_jobs=1).fit(warm)
    else:
        seeded = None if path == "parallel" else seed
        reducers.UmapPair(n_epochs=10, random_state=seeded,
                          max_fit=4500 if path == "subsample" else None).fit(warm)
    clusterer = reducers.HdbscanClusterer().fit(warm[:, :8])
    reducers.assign_outliers(clusterer, warm[:, :8], clusterer.labels_)


def _run_one(n: int, path: str, seed: int, sep: float, queue: mp.Queue) -> None:
    """In a fresh process: warm numba up, then embed, cluster and assign n planted customers."""
    logging.basicConfig(level=logging.INFO, format="  %(message)s")
    from sklearn.metrics import adjusted_rand_score

    from core.segments import reducers
    started = time.perf_counter()
    _warm_up(path, seed)
    log.info("numba warmed up on 5,000 rows in %.0f s (not timed); now n=%d, path=%s",
             time.perf_counter() - started, n, path)
    X, y = planted(n, seed, sep)
    started = time.perf_counter()
    space, map_ = _embed(path, X, seed)
    embedded = time.perf_counter()
    clusterer = reducers.HdbscanClusterer().fit(space)
    clustered = time.perf_counter()
    labels = reducers.assign_outliers(clusterer, space, clusterer.labels_)
    done = time.perf_counter()
    queue.put({"n": n, "path": path, "embed_seconds": embedded - started,
               "hdbscan_seconds": clustered - embedded, "outliers_seconds": done - clustered,
               "total_seconds": done - started, "segments": int(clusterer.labels_.max() + 1),
               "unassigned": float(np.mean(clusterer.labels_ < 0)),
               "ari_raw": adjusted_rand_score(y, clusterer.labels_),
               "ari": adjusted_rand_score(y, labels), "map_purity": _purity(map_, y, seed),
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def measure(n: int, path: str, seed: int, sep: float) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_one, args=(n, path, seed, sep, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[5000, 20000, 100000])
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sep", type=float, default=0.55, help="spread of the planted segment means")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("each run warms numba up on 5,000 rows first (not timed)")
    header = ("| n customers | path | kNN+space+map (s) | HDBSCAN (s) | outliers (s) | total (s) | "
              "segments | unassigned | ARI raw | ARI assigned | map purity@15 | peak RSS (MB) |")
    lines = [header, "|---:|---|" + "---:|" * 10]
    for n in args.sizes:
        for path in args.paths:
            if path == "subsample" and n <= SUBSAMPLE:
                continue
            r = measure(n, path, args.seed, args.sep)
            lines.append(f"| {n:,} | {path} | {r['embed_seconds']:.1f} | {r['hdbscan_seconds']:.1f} | "
                         f"{r['outliers_seconds']:.2f} | {r['total_seconds']:.1f} | {r['segments']} | "
                         f"{r['unassigned']:.1%} | {r['ari_raw']:.3f} | {r['ari']:.3f} | "
                         f"{r['map_purity']:.3f} | {r['peak_rss_mb']:.0f} |")
            log.info("%s", lines[-1])
    print("\n".join(lines), flush=True)  # noqa: T201
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "segments.md").write_text(
        f"Generated by `.venv/bin/python bench/segments.py --sizes {' '.join(map(str, args.sizes))} "
        f"--paths {' '.join(args.paths)} --sep {args.sep} --seed {args.seed}` on "
        f"{os.cpu_count()} CPUs (numba warmed up first in each process, compile not timed).\n\n"
        + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
