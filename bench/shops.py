"""Shops, trained models and the machine, shared by the recommendation benchmarks
(``bench/recommend.py``, ``bench/context_prior.py``): build a generated shop or Online Retail II,
train the neural kinds, load engines, describe the machine a table was measured on."""

from __future__ import annotations

import logging
import os
import platform
import subprocess
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "online_retail_ii"
log = logging.getLogger("bench.shops")


def say(line: str = "") -> None:
    print(line, flush=True)  # noqa: T201


# -- the machine -----------------------------------------------------------------------------
def machine() -> dict:
    import duckdb
    import pandas as pd
    import scipy
    import sklearn
    import torch

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                                capture_output=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    cwd=ROOT, text=True, capture_output=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__,
            "duckdb": duckdb.__version__, "platform": platform.platform(),
            "commit": commit + ("+dirty" if dirty else ""), "nice": os.nice(0),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def busy_note(mach: dict) -> str:
    """A warning when the timings were taken on a niced or busy machine: torch's OpenMP threads
    then wait on each other and the neural models' requests slow down many-fold."""
    load = max(mach["load_average"][0], mach.get("load_average_end", [0])[0])
    if mach["nice"] <= 0 and load < (mach["cpus"] or 1):
        return ""
    return (f"**Caution:** measured at nice {mach['nice']} with a load average up to {load:.1f} on "
            f"{mach['cpus']} CPUs; torch's {mach['torch_threads']} intra-op threads contend with "
            "other processes, which can slow the neural models' requests many-fold. Rerun on a quiet "
            "machine, not niced, for numbers to quote.\n")


# -- shops and models ------------------------------------------------------------------------
def build_generated(shop: str, n_customers: int, n_products: int) -> dict:
    from core.demo import demo
    from core.demo.config import SynthConfig
    started = time.perf_counter()
    cfg = SynthConfig(n_customers=n_customers, n_products=n_products)
    demo.create_demo_shop(shop, cfg, replace=True)
    return {"shop": shop, "customers": n_customers, "products": n_products, "days": cfg.days,
            "build_seconds": time.perf_counter() - started}


def build_orii(shop: str) -> dict:
    from core.ingest import ingest
    from core.store.store import Store

    started = time.perf_counter()
    with Store.open(shop) as store:
        ingest.import_paths(store, sorted(REAL.glob("*.parquet")))
    return {"shop": shop, "build_seconds": time.perf_counter() - started}


def shop_counts(shop: str) -> dict:
    from core.store.store import Store

    with Store.open(shop, read_only=True) as store:
        return {"customers": int(store.scalar("SELECT count(*) FROM customers")),
                "products": int(store.scalar("SELECT count(*) FROM products")),
                "events": int(store.scalar("SELECT count(*) FROM events"))}


def train(shop: str, kinds: tuple[str, ...], epochs: int | None, seed: int) -> dict[str, dict]:
    """Train each neural kind; {kind: {model_id, epochs asked, epochs run, fit seconds, weights}}."""
    from core.learn import embeddings
    from core.store.store import Store

    out = {}
    with Store.open(shop) as store:
        prep = embeddings.prepare(store)
        for kind in kinds:
            started = time.perf_counter()
            kwargs = {} if epochs is None else {"epochs": epochs}
            art = embeddings.train(store, kind, seed=seed, prepared=prep, **kwargs)
            seconds = time.perf_counter() - started
            weights = sum(int(np.prod(t.shape)) for t in art.tensors.values())
            fit = art.state.get("fit", {})
            out[kind] = {"model_id": art.model_id, "epochs": epochs if epochs is not None else "default",
                         "epochs_run": fit.get("epochs_run"), "best_epoch": fit.get("best_epoch"),
                         "train_seconds": seconds, "weights": weights,
                         "valid_ndcg@10": art.manifest.get("metrics", {}).get("valid", {}).get("ndcg@10")}
            log.info("%s: %s trained in %.0f s (%s epochs run, %.2fM weights)", shop, kind, seconds,
                     out[kind]["epochs_run"], weights / 1e6)
        del prep
    return out


def load_engine(store, model: str, trained: dict[str, dict], cat, names: dict[int, str]):
    """(engine, seconds to load it) for a neural kind (its trained model id) or a baseline."""
    from core.recommend import recommend
    started = time.perf_counter()
    engine = recommend.load(store, trained[model]["model_id"] if model in trained else model, names, cat)
    return engine, time.perf_counter() - started


def buyers(store) -> list[str]:
    """Customers with at least one purchase, sorted (the latency sample is drawn from these)."""
    return [r[0] for r in store.rows("SELECT DISTINCT customer_key FROM events WHERE "
                                     "event_type = 'purchase' AND customer_key IS NOT NULL "
                                     "ORDER BY customer_key")]


def all_customers(store) -> list[str]:
    return [r[0] for r in store.rows("SELECT customer_key FROM customers ORDER BY customer_key")]
