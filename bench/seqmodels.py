"""Quality, fit time and peak memory of the neural next-basket models (GRU, SASRec).

    python bench/seqmodels.py                 # Online Retail II and the demo shop
    python bench/seqmodels.py --only uci      # one data set (uci, demo, demo-purchases)

Online Retail II (both years, ../shared/data/online_retail_ii) is imported into a throw-away
SHOPLENS_HOME and read with ``LogOptions(purchases_only=True, min_baskets=2)``; the demo shop is
``core.demo.demo.create_demo_shop`` with the default config, read with views and carts ("demo") and
with purchases only ("demo-purchases": with browse events in the history, every demo basket was
carted minutes before its cut-off, so "demo" measures checkout completion). All are split
by ``models.data.split``. Hyper-parameters are the ``ModelConfig``/``TrainConfig`` defaults
(GRU with one layer), chosen on the validation baskets. Each model is fitted in a forked child
so its ``peak MB`` (the child's maximum resident set) is its own. References: popularity and a
repeat-frequency baseline (``half_life`` in days chosen on validation) + a tiny popularity term.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.data import EVENT_TYPES, EventLog, Split, Target, history, split  # noqa: E402
from models.encoders import ModelConfig  # noqa: E402
from models.metrics import evaluate, purchase_popularity  # noqa: E402
from models.recommender import SequenceRecommender  # noqa: E402
from models.train import TrainConfig  # noqa: E402

log = logging.getLogger("bench.seqmodels")
DATA = ROOT.parent / "shared" / "data" / "online_retail_ii"
PURCHASE = EVENT_TYPES.index("purchase")
MODELS = {"gru": ModelConfig(arch="gru", n_layers=1), "sasrec": ModelConfig(arch="sasrec")}


class Popularity:
    def __init__(self, data: Split) -> None:
        self.pop = purchase_popularity(data.train).astype(np.float32)

    def score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        return np.tile(self.pop, (len(targets), 1))


class RepeatReference:
    """Decayed count of the item in the user's own purchases + 1e-6 x training popularity."""

    def __init__(self, data: Split, half_life: float | None) -> None:
        self.pop, self.half_life = purchase_popularity(data.train), half_life

    def score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        out = np.zeros((len(targets), log.n_items + 1), dtype=np.float32)
        for r, t in enumerate(targets):
            idx = history(log, t)
            idx = idx[log.etype[idx] == PURCHASE]
            w = np.ones(len(idx)) if self.half_life is None else 0.5 ** ((t.cutoff - log.ts[idx]) / 86400
                                                                           / self.half_life)
            out[r] = np.bincount(log.item[idx], weights=w, minlength=log.n_items + 1) + 1e-6 * self.pop
        return out


def load(name: str) -> Split:
    from core.demo import demo
    from core.ingest import ingest
    from core.shop.sequences import LogOptions, event_log
    from core.store.store import Store

    os.environ["SHOPLENS_HOME"] = tempfile.mkdtemp(prefix="shoplens-bench-")
    if name == "uci":
        files = sorted(DATA.glob("online_retail_ii_*.parquet"))
        if not files:
            raise SystemExit(f"No Online Retail II parquet files in {DATA}")
        store = Store.open("online_retail_ii")
        ingest.import_paths(store, files)
        options = LogOptions(purchases_only=True, min_baskets=2)
    else:
        demo.create_demo_shop("demo")
        store = Store.open("demo")
        options = LogOptions(purchases_only=name == "demo-purchases")
    try:
        return split(event_log(store, options))
    finally:
        store.close()


def _child(data: Split, arch: str, queue: mp.Queue) -> None:
    start = time.perf_counter()
    rec = SequenceRecommender(MODELS[arch]).fit(data, TrainConfig())
    fit_s = time.perf_counter() - start
    valid, test = evaluate(rec, data, "valid"), evaluate(rec, data, "test")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"fit_s": fit_s, "epochs": rec.result_.epochs_run, "best": rec.result_.best_epoch,
               "valid": valid, "test": test, "peak_mb": peak_mb})


def run_neural(data: Split, arch: str) -> dict:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(data, arch, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def bench(name: str) -> None:
    data = load(name)
    log.info("%s: %d events, %d users, %d items, %d valid / %d test baskets", name, len(data.log.user),
             data.log.n_users, data.log.n_items, len(data.valid), len(data.test))
    best_hl = max((None, 30.0, 90.0, 180.0, 365.0),
                  key=lambda hl: evaluate(RepeatReference(data, hl), data, "valid")["ndcg@10"])
    rows = [("popularity", Popularity(data)),
            (f"repeat (half-life {best_hl} d)", RepeatReference(data, best_hl))]
    print(f"\n{name}: {data.log.n_users} customers, {data.log.n_items} items, "
          f"{len(data.valid)} valid / {len(data.test)} test baskets")
    print(f"{'model':28s} {'valid NDCG@10':>13s} {'valid R@10':>10s} {'test NDCG@10':>12s} {'test R@10':>9s} "
          f"{'fit s':>6s} {'epochs':>6s} {'peak MB':>7s}")
    reference = 0.0
    for label, model in rows:
        v, t = evaluate(model, data, "valid"), evaluate(model, data, "test")
        reference = max(reference, t["ndcg@10"])
        print(f"{label:28s} {v['ndcg@10']:13.4f} {v['recall@10']:10.4f} {t['ndcg@10']:12.4f} "
              f"{t['recall@10']:9.4f}", flush=True)
    for arch in MODELS:
        r = run_neural(data, arch)
        v, t = r["valid"], r["test"]
        print(f"{arch + ' ' + _describe(arch):28s} {v['ndcg@10']:13.4f} {v['recall@10']:10.4f} "
              f"{t['ndcg@10']:12.4f} {t['recall@10']:9.4f} {r['fit_s']:6.0f} "
              f"{r['best']:>3d}/{r['epochs']:<2d} {r['peak_mb']:7.0f}   "
              f"x{t['ndcg@10'] / reference:.3f} of the best reference", flush=True)


def _describe(arch: str) -> str:
    cfg = MODELS[arch]
    defaults = replace(ModelConfig(), arch=cfg.arch)
    changed = {k: v for k, v in vars(cfg).items() if getattr(defaults, k) != v}
    return ",".join(f"{k}={v}" for k, v in changed.items())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=["uci", "demo", "demo-purchases"])
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name in ([args.only] if args.only else ["uci", "demo", "demo-purchases"]):
        bench(name)


if __name__ == "__main__":
    main()
