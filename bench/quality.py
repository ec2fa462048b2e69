"""Recommendation quality: every model on the same test baskets, with training time and memory.

    .venv/bin/python bench/quality.py                    # Online Retail II and the demo shop
    .venv/bin/python bench/quality.py --shops demo --models popularity repeat transformer
    .venv/bin/python bench/quality.py --protocol next_period   # one cutoff in time

Online Retail II: both years imported as one shop, purchases only, customers with at least
two baskets. Demo shop: the default generated shop (views, carts and purchases). The split is
in time (train, then a validation basket per customer, then each customer's last basket as
test); hyper-parameters come from the validation baskets only. Each model is fitted and
evaluated in its own process, so "peak RSS" is that model's own high-water mark (including
the shop's event log it reads). Writes bench/results/quality.md and quality.json.

``--protocol next_period`` (``models.data.split_next_period``): one cutoff at the 90% quantile
of purchase times; a model trained before it (validated on the last 10% of purchases before it)
ranks the full catalog, repeats allowed, for each returning customer's first basket after the
cutoff, from the history before the cutoff alone. Writes quality_next_period.md and .json.
Tuned parameters are the ones chosen on the last-basket validation baskets.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "online_retail_ii"
RESULTS = ROOT / "bench" / "results"
MODELS = ("popularity", "recent_popularity", "repeat", "itemknn", "ease", "als", "tifuknn", "upcf",
          "gru", "transformer")
log = logging.getLogger("bench.quality")


def _options(shop: str):
    from core.shop import sequences
    if shop == "online_retail_ii":
        return sequences.LogOptions(purchases_only=True, min_baskets=2)
    return sequences.LogOptions()


def _run_one(home: str, shop: str, model: str, seed: int, queue: mp.Queue,
             protocol: str = "last_basket", model_args: dict | None = None) -> None:
    """In a fresh process: prepare the shop's split, fit one model, evaluate it on test."""
    os.environ["SHOPLENS_HOME"] = home
    from core.learn import embeddings
    from core.store.store import Store
    from models import baselines, metrics

    with Store.open(shop, read_only=True) as store:
        prep = embeddings.prepare(store, _options(shop), protocol)
    started = time.perf_counter()
    if model in embeddings.NEURAL:
        with Store.open(shop) as store:
            art = embeddings.train(store, model, seed=seed, prepared=prep, model_args=model_args)
        fit = time.perf_counter() - started
        test, valid = art.manifest["metrics"]["test"], art.manifest["metrics"]["valid"]
        extra = {k: art.manifest["metrics"].get(k) for k in ("best_epoch", "epochs_run", "seconds_to_best")}
    else:
        params = baselines.TUNED.get(shop, {}).get(model)  # chosen on validation baskets
        fitted = baselines.make(model, params).fit(prep.split)
        fit = time.perf_counter() - started
        test = metrics.evaluate(fitted, prep.split, "test")
        valid = metrics.evaluate(fitted, prep.split, "valid")
        extra = {}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"shop": shop, "model": model, "protocol": protocol, "fit_seconds": fit,
               "peak_rss_mb": peak, "test_baskets": len(prep.split.test),
               "valid_ndcg@10": valid["ndcg@10"], **test,
               "users": prep.log.n_users, "items": prep.log.n_items,
               "events": len(prep.log.user), **extra})


def measure(home: str, shop: str, model: str, seed: int, protocol: str = "last_basket",
            model_args: dict | None = None) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run_one, args=(home, shop, model, seed, queue, protocol, model_args))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def build_shops(home: str, shops: list[str]) -> None:
    os.environ["SHOPLENS_HOME"] = home
    from core.demo import demo
    from core.ingest import ingest
    from core.store.store import Store

    if "demo" in shops:
        demo.create_demo_shop("demo")
    if "grocery" in shops:  # the generated 65k-product grocery shop (issue 16's large catalog)
        from core.demo.kinds import grocery
        demo.create_demo_shop("grocery", grocery_cfg=grocery.GroceryConfig())
    if "online_retail_ii" in shops:
        with Store.open("online_retail_ii") as store:
            ingest.import_paths(store, sorted(REAL.glob("*.parquet")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", nargs="+", default=["online_retail_ii", "demo"])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--protocol", choices=["last_basket", "next_period"], default="last_basket",
                        help="last_basket: each customer's last basket; next_period: one cutoff at "
                             "the 90%% quantile of purchase times, each returning customer's first "
                             "basket after it, predicted from the history before it")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if "online_retail_ii" in args.shops and not REAL.exists():
        log.warning("Online Retail II not found at %s: skipped", REAL)
        args.shops.remove("online_retail_ii")
    home = tempfile.mkdtemp(prefix="shoplens-quality-")
    build_shops(home, args.shops)
    rows = []
    header = ("| shop | model | NDCG@10 | Recall@10 | HitRate@10 | MRR | NDCG@20 | Recall@20 | "
              "coverage@10 | popularity@10 | valid NDCG@10 | fit (s) | peak RSS (MB) |")
    lines = [header, "|---|---|" + "---:|" * 11]
    print(header, flush=True)  # noqa: T201
    print(lines[1], flush=True)  # noqa: T201
    for shop in args.shops:
        for model in args.models:
            r = measure(home, shop, model, args.seed, args.protocol)
            rows.append(r)
            line = _line(r)
            lines.append(line)
            print(line, flush=True)  # noqa: T201
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quality" if args.protocol == "last_basket" else f"quality_{args.protocol}"
    rows = _merged(rows, RESULTS / f"{name}.json")
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=1))
    flag = "" if args.protocol == "last_basket" else f" --protocol {args.protocol}"
    (RESULTS / f"{name}.md").write_text(
        f"Generated by `.venv/bin/python bench/quality.py{flag}` on {os.cpu_count()} CPUs.\n\n"
        + "\n".join([header, lines[1], *(_line(r) for r in rows)]) + "\n")


def _line(r: dict) -> str:
    return (f"| {r['shop']} | {r['model']} | {r['ndcg@10']:.4f} | {r['recall@10']:.4f} | "
            f"{r['hitrate@10']:.4f} | {r['mrr']:.4f} | {r['ndcg@20']:.4f} | "
            f"{r['recall@20']:.4f} | {r['coverage@10']:.3f} | {r['popularity@10']:.4f} | "
            f"{r['valid_ndcg@10']:.4f} | {r['fit_seconds']:.1f} | {r['peak_rss_mb']:.0f} |")


def _merged(rows: list[dict], path: Path) -> list[dict]:
    """This run's rows replace the same (shop, model) rows of earlier results; others are kept,
    so one model can be re-measured on a quiet machine without rerunning everything."""
    old = json.loads(path.read_text()) if path.exists() else []
    new = {(r["shop"], r["model"]): r for r in rows}
    kept = [r for r in old if (r["shop"], r["model"]) not in new]
    pairs = [(s, m) for s in ("online_retail_ii", "demo") for m in MODELS]
    order = {pair: i for i, pair in enumerate(pairs)}
    return sorted(kept + rows, key=lambda r: order.get((r["shop"], r["model"]), len(order)))


if __name__ == "__main__":
    main()
