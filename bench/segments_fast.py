"""Segments right after `shoplens train` on a spend-only shop: where the time goes, and the total.

    .venv/bin/python bench/segments_fast.py                    # 25,000 customers
    .venv/bin/python bench/segments_fast.py --customers 5000 --skip-before

A CDNOW-like history (core.demo.spend_only: customer, YYYYMMDD, items, amount; no products) is
written and imported through the real importer into a temporary shoplens home. Then:

- **breakdown rows**, each in a fresh spawned process (so numba starts cold, as a new
  `shoplens` process or dashboard server does): `import umap`, numba's compile
  (core.segments.reducers.warm_up on 200 rows), the default segments
  (core.segments.defaults.build_after_training: inputs, kNN, UMAP space and map, HDBSCAN) and
  the first Segments page view (profiles.load + segment_profiles: the names).
  "before" is the previous pipeline (pynndescent kNN from 4,096 rows, epoch budget 4M, no disk
  cache for UMAP's numba functions); "first process" starts from an empty numba cache folder
  (SHOPLENS_NUMBA_CACHE), "later processes" from the one it filled.
- **CLI rows**: the real `shoplens train --model gru --epochs 1` (its last step builds the
  segments), first with an empty numba cache, then with the filled one; "after train" is the
  time the command itself reports for its segment step.

Segment counts differ between rows: the RFM space of a spend-only shop has no planted groups,
and HDBSCAN cuts it differently at another epoch count. Writes bench/results/segments_fast.md.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
SHOP = "cdnow"


def _stage(home: str, numba_cache: str, before: bool, queue: mp.Queue) -> None:
    """In a fresh process: import, compile, build and name the default segments, timed."""
    os.environ["SHOPLENS_HOME"], os.environ["SHOPLENS_NUMBA_CACHE"] = home, numba_cache
    from core.segments import jit, reducers
    if before:  # the previous defaults: pynndescent kNN from 4,096 rows, 4M epoch budget, no cache
        jit._enabled = []
        reducers.EXACT_KNN_BELOW = 4096
        reducers.auto_epochs.__defaults__ = (4_000_000,)
    t0 = time.perf_counter()
    import umap  # noqa: F401 - timed: pynndescent's cached functions load here
    t1 = time.perf_counter()
    reducers.warm_up()
    t2 = time.perf_counter()
    from core.segments import cache, defaults, profiles
    from core.store.store import Store
    with Store.open(SHOP, read_only=True) as store:
        shutil.rmtree(cache.cache_dir(store), ignore_errors=True)
        done = defaults.build_after_training(store)
        t3 = time.perf_counter()
        data = profiles.load(store)
    names = [p.name for p in profiles.segment_profiles(data, done.run.keys, done.run.labels).values()]
    t4 = time.perf_counter()
    queue.put({"import": t1 - t0, "compile": t2 - t1, "build": t3 - t2, "names": t4 - t3,
               "timings": done.run.meta["timings"], "segments": done.run.n_segments,
               "distinct": len(set(names)), "customers": len(done.run.keys),
               "numbered": sum(n.endswith(")") for n in names), "examples": names[:4]})


def stage(home: Path, numba_cache: Path, before: bool = False) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_stage, args=(str(home), str(numba_cache), before, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def cli(home: Path, numba_cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHOPLENS_HOME": str(home), "SHOPLENS_NUMBA_CACHE": str(numba_cache),
           "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"shoplens {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out


def cli_train(home: Path, numba_cache: Path) -> dict:
    shutil.rmtree(home / "cache" / SHOP / "segments", ignore_errors=True)
    started = time.perf_counter()
    out = cli(home, numba_cache, "train", "--shop", SHOP, "--model", "gru", "--epochs", "1", "--quiet")
    wall = time.perf_counter() - started
    found = re.search(r"Segments: (\d+) segments of ([\d,]+) customers ready in ([\d.]+)s", out.stderr)
    if not found:
        raise RuntimeError(f"no segment line from shoplens train: {out.stderr[-2000:]}")
    return {"segments": int(found[1]), "customers": int(found[2].replace(",", "")),
            "after_train": float(found[3]), "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-before", action="store_true", help="leave out the previous pipeline")
    args = parser.parse_args()
    from core.demo import spend_only

    tmp = Path(tempfile.mkdtemp(prefix="segments_fast_"))
    home, cold, numba_cache = tmp / "home", tmp / "numba_before", tmp / "numba"
    try:
        export = spend_only.write(tmp / "CDNOW_like.txt", args.customers, args.seed)
        started = time.perf_counter()
        cli(home, numba_cache, "import", "--shop", SHOP, str(export))
        print(f"imported {args.customers:,} customers in {time.perf_counter() - started:.1f}s",  # noqa: T201
              flush=True)
        rows = []
        if not args.skip_before:
            rows.append(("before: pynndescent kNN, 160/96 epochs, no disk cache", stage(home, cold, True)))
        rows.append(("fast, first process (empty numba cache)", stage(home, numba_cache)))
        rows.append(("fast, later processes (numba cache on disk)", stage(home, numba_cache)))
        shutil.rmtree(numba_cache, ignore_errors=True)
        cli_cold = cli_train(home, numba_cache)
        cli_warm = cli_train(home, numba_cache)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    lines = ["| path | import umap (s) | numba compile (s) | build (s) | segments ready after train (s) "
             "| first page view: names (s) | segments | distinct names |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, r in rows:
        ready = r["import"] + r["compile"] + r["build"]
        lines.append(f"| {label} | {r['import']:.1f} | {r['compile']:.1f} | {r['build']:.1f} | "
                     f"{ready:.1f} | {r['names']:.1f} | {r['segments']} | {r['distinct']} |")
    for label, r in (("`shoplens train`, first process (empty numba cache)", cli_cold),
                     ("`shoplens train`, later (numba cache on disk)", cli_warm)):
        lines.append(f"| {label} | | | | {r['after_train']:.1f} | | {r['segments']} | |")
    stages = ["| path | " + " | ".join(rows[0][1]["timings"]) + " |",
              "|---|" + "---:|" * len(rows[0][1]["timings"])]
    stages += [f"| {label} | " + " | ".join(f"{v:.2f}" for v in r["timings"].values()) + " |"
               for label, r in rows]
    names = rows[-1][1]["examples"]
    text = (f"Generated by `.venv/bin/python bench/segments_fast.py --customers {args.customers} "
            f"--seed {args.seed}` on {os.cpu_count()} CPUs: a spend-only shop of "
            f"{args.customers:,} customers ({rows[-1][1]['customers']:,} profiled).\n\n"
            + "\n".join(lines) + "\n\nThe build's stages (seconds):\n\n" + "\n".join(stages)
            + "\n\nFirst names (fast path): " + "; ".join(names) + ".\n")
    print(text, flush=True)  # noqa: T201
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "segments_fast.md").write_text(text)


if __name__ == "__main__":
    main()
