"""Recommendations with reasons: request latency, batch throughput and faithful reasons.

    .venv/bin/python bench/recommend.py                  # the full run (roughly an hour on 2 quiet CPUs)
    .venv/bin/python bench/recommend.py --quick          # smoke run: smaller shop, no Online Retail II
    .venv/bin/python bench/recommend.py --skip-orii --keep-home

1. Latency: a generated shop with a 10,000-product catalog (10,000 customers, the generator's
   default 365 days) and a GRU and a transformer trained for ``--epochs`` epochs (few: the
   model's size, not its quality, sets the speed). For each model (transformer, gru, and the
   itemknn and popularity baselines) ``Engine.recommend(key)`` (top 10, default controls, the
   customer's usual context) is timed for ``--requests`` random customers who bought something
   (seed 0, the same customers for every model), after 20 warm-up calls on other customers:
   p50 / p95 / p99 / mean in ms and the share of requests per mode, with reasons and with
   ``explain_picks=False``. Target: p95 < 50 ms with reasons.
2. Batch throughput on the same shop: every customer of the shop in turn, as
   ``shoplens recommend --all`` does (one request each plus the row table of its list), with
   reasons; without reasons on a random sample of ``--batch-sample`` customers, extrapolated to
   the whole shop (marked as such).
3. Faithfulness of "because you bought X" (``core.recommend.explain.faithfulness``): removing the cited
   products from the history must lower the pick's model score. On the default demo shop
   (5,000 customers; GRU and transformer trained ``--faith-epochs`` epochs) and on Online Retail
   II (both years as one shop; GRU and transformer with the trainer's default epochs and early
   stopping, or ``--orii-epochs``), for each neural model and the itemknn and ease baselines,
   over ``--faith-customers`` random customers (seed 0) who get a personalised list from every
   one of those models. Target: >= 80% of cases lowered.

Every shop lives in a fresh temporary SHOPLENS_HOME. Engines are timed as loaded (one process,
torch's thread setting left as it is). Writes bench/results/recommend.md and recommend.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.recommend_tables import (  # noqa: E402
    BATCH_HEAD,
    FAITH_HEAD,
    LATENCY_HEAD,
    batch_line,
    faith_line,
    latency_line,
    trained_lines,
)
from bench.shops import (  # noqa: E402
    REAL,
    all_customers,
    build_generated,
    build_orii,
    busy_note,
    buyers,
    load_engine,
    machine,
    say,
    shop_counts,
    train,
)

RESULTS = ROOT / "bench" / "results"
LATENCY_MODELS = ("transformer", "gru", "itemknn", "popularity")
FAITH_MODELS = ("transformer", "gru", "itemknn", "ease")
NEURAL = ("transformer", "gru")
WARM_UP = 20
log = logging.getLogger("bench.recommend")


# -- measurements ----------------------------------------------------------------------------
def percentiles(ms: np.ndarray) -> dict:
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99),
            "mean_ms": float(ms.mean()), "max_ms": float(ms.max())}


def time_requests(engine, keys: list[str], warm: list[str], explain: bool) -> dict:
    for key in warm:
        engine.recommend(key, explain_picks=explain)
    ms, modes, picks, cited = [], Counter(), 0, 0
    for key in keys:
        started = time.perf_counter()
        res = engine.recommend(key, explain_picks=explain)
        ms.append((time.perf_counter() - started) * 1e3)
        modes[res.mode] += 1
        picks += len(res.picks)
        cited += sum(any(r.kind == "history" for r in p.reasons) for p in res.picks)
    out = percentiles(np.asarray(ms))
    out.update(requests=len(keys), modes={m: n / len(keys) for m, n in modes.items()},
               picks_per_list=picks / len(keys), history_reason_share=cited / max(picks, 1),
               load=os.getloadavg()[0])
    return out


def batch(engine, keys: list[str], explain: bool) -> dict:
    """Every key in turn, like ``shoplens recommend --all``: the request plus its row table."""
    request_s = 0.0
    started = time.perf_counter()
    for key in keys:
        res = engine.recommend(key, explain_picks=explain)
        request_s += res.seconds
        res.frame()
    seconds = time.perf_counter() - started
    return {"customers": len(keys), "seconds": seconds, "customers_per_second": len(keys) / seconds,
            "request_share": request_s / seconds, "load": os.getloadavg()[0]}


def personalised(engine, keys: list[str]) -> set[str]:
    return {k for k in keys if engine.mode_for(k, engine.history(k)) == "personalized"}


# -- the three parts -------------------------------------------------------------------------
def latency_part(args: argparse.Namespace, shop: str, trained: dict[str, dict]) -> tuple[list, list]:
    from core.recommend import recommend
    from core.shop import catalog as catalog_mod
    from core.store.store import Store

    lat_rows, batch_rows = [], []
    with Store.open(shop, read_only=True) as store:
        started = time.perf_counter()
        cat = catalog_mod.load(store)
        cat_s = time.perf_counter() - started
        names = recommend.segment_names(store)
        pool = buyers(store)
        everyone = all_customers(store)
        rng = np.random.default_rng(args.seed)
        chosen = rng.permutation(len(pool))[: args.requests + WARM_UP]
        keys = [pool[i] for i in chosen[: args.requests]]
        warm = [pool[i] for i in chosen[args.requests:]]
        shuffled = rng.permutation(len(everyone))
        sample = [everyone[i] for i in np.sort(shuffled[: args.batch_sample])]
        with_reasons = everyone if not args.batch_reasons_sample else [
            everyone[i] for i in np.sort(shuffled[: args.batch_reasons_sample])]
        log.info("latency: %d of %d buyers timed, %d warm-up calls; catalog loaded in %.1f s",
                 len(keys), len(pool), len(warm), cat_s)
        for model in LATENCY_MODELS:
            engine, load_s = load_engine(store, model, trained, cat, names)
            info = {"model": model, "engine": engine.name, "load_seconds": load_s,
                    "catalog_seconds": cat_s, "weights": trained.get(model, {}).get("weights")}
            for explain in (True, False):
                r = time_requests(engine, keys, warm, explain)
                lat_rows.append({**info, "reasons": explain, **r})
                log.info("%s", latency_line(lat_rows[-1]))
            if model in args.batch_models:
                full = batch(engine, with_reasons, True)
                batch_rows.append({**info, "reasons": True, **full,
                                   "extrapolated": len(with_reasons) < len(everyone),
                                   "shop_customers": len(everyone),
                                   "shop_seconds": len(everyone) / full["customers_per_second"]})
                log.info("%s", batch_line(batch_rows[-1]))
                part = batch(engine, sample, False)
                extrapolated = len(sample) < len(everyone)
                batch_rows.append({**info, "reasons": False, "extrapolated": extrapolated, **part,
                                   "shop_customers": len(everyone),
                                   "shop_seconds": len(everyone) / part["customers_per_second"]})
                log.info("%s", batch_line(batch_rows[-1]))
            del engine
            gc.collect()
    return lat_rows, batch_rows


def faith_part(args: argparse.Namespace, shop: str, label: str, trained: dict[str, dict]) -> list:
    from core.recommend import explain, recommend
    from core.shop import catalog as catalog_mod
    from core.store.store import Store

    rows = []
    with Store.open(shop, read_only=True) as store:
        cat = catalog_mod.load(store)
        names = recommend.segment_names(store)
        everyone = all_customers(store)
        engines = {m: load_engine(store, m, trained, cat, names)[0] for m in FAITH_MODELS}
        common = set(everyone)
        for engine in engines.values():
            common &= personalised(engine, everyone)
        common = sorted(common)
        rng = np.random.default_rng(args.seed)
        keys = [common[i] for i in rng.permutation(len(common))[: args.faith_customers]]
        log.info("%s: %d customers personalised by every model, %d drawn", label, len(common), len(keys))
        for model, engine in engines.items():
            started = time.perf_counter()
            r = explain.faithfulness(engine, keys)
            row = {"shop": label, "model": model, "engine": engine.name, "drawn": len(keys),
                   "personalised_by_all": len(common),
                   **{k: r[k] for k in ("customers", "cases", "lowered", "picks")},
                   "cited_share": float(r["cited_share"]),
                   "share": float(r["share"]), "seconds": time.perf_counter() - started,
                   "epochs": trained.get(model, {}).get("epochs"),
                   "epochs_run": trained.get(model, {}).get("epochs_run")}
            rows.append(row)
            log.info("%s", faith_line(row))
        del engines
        gc.collect()
    return rows


# -- main ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2,000 customers, 100 timed requests, 300 customers in the "
                             "batch with reasons, 100 faithfulness customers, 2 epochs, no Online "
                             "Retail II")
    parser.add_argument("--skip-orii", action="store_true", help="leave Online Retail II out")
    parser.add_argument("--epochs", type=int, help="epochs of the latency shop's models (3; quick 2)")
    parser.add_argument("--customers", type=int, help="customers of the latency shop (10,000; quick 2,000)")
    parser.add_argument("--products", type=int, default=10_000, help="products of the latency shop")
    parser.add_argument("--requests", type=int, help="timed requests per model (500; quick 100)")
    parser.add_argument("--batch-sample", type=int,
                        help="customers scored without reasons (2,000; quick 300)")
    parser.add_argument("--batch-reasons-sample", type=int,
                        help="customers scored with reasons (0 = every customer; quick 300)")
    parser.add_argument("--batch-models", nargs="*", choices=LATENCY_MODELS, default=list(LATENCY_MODELS),
                        help="models whose batch throughput is measured")
    parser.add_argument("--faith-epochs", type=int, help="epochs of the demo shop's models (6; quick 2)")
    parser.add_argument("--orii-epochs", type=int, help="epochs on Online Retail II (trainer default)")
    parser.add_argument("--faith-customers", type=int,
                        help="customers per faithfulness check (500; quick 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-home", action="store_true",
                        help="keep the temporary data folder (its path is logged) to profile later")
    args = parser.parse_args()
    quick = args.quick
    args.epochs = args.epochs or (2 if quick else 3)
    args.customers = args.customers or (2000 if quick else 10_000)
    args.requests = args.requests or (100 if quick else 500)
    args.faith_epochs = args.faith_epochs or (2 if quick else 6)
    args.faith_customers = args.faith_customers or (100 if quick else 500)
    args.skip_orii = args.skip_orii or quick
    args.batch_sample = args.batch_sample or (300 if quick else 2000)
    if args.batch_reasons_sample is None:
        args.batch_reasons_sample = 300 if quick else 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("core", "models", "numba", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not args.skip_orii and not REAL.exists():
        log.warning("Online Retail II not found at %s: skipped", REAL)
        args.skip_orii = True
    home = tempfile.mkdtemp(prefix="shoplens-recommend-")
    os.environ["SHOPLENS_HOME"] = home
    log.info("data folder: %s", home)
    mach = machine()
    command = "`.venv/bin/python bench/recommend.py " + " ".join(sys.argv[1:]) + "`"
    say(f"# Recommendations: latency, throughput, faithful reasons\n\nGenerated by {command} on "
        f"{mach['cpus']} CPUs ({mach['cpu']}), torch threads {mach['torch_threads']}; "
        f"Python {mach['python']}, torch {mach['torch']}, numpy {mach['numpy']}, pandas "
        f"{mach['pandas']}, duckdb {mach['duckdb']}, scikit-learn {mach['sklearn']}; commit "
        f"{mach['commit']}.\n")
    if busy_note(mach):
        say(busy_note(mach))
    result: dict = {"machine": mach, "args": vars(args), "shops": {}, "trained": {}}

    # 1 + 2: latency and batch throughput on a generated shop with a large catalog
    shop = "latency"
    info = build_generated(shop, args.customers, args.products)
    info.update(shop_counts(shop))
    log.info("generated shop: %s", info)
    result["shops"][shop] = info
    trained = train(shop, NEURAL, args.epochs, args.seed)
    result["trained"][shop] = trained
    lat, bat = latency_part(args, shop, trained)
    result["latency"], result["batch"] = lat, bat
    text = [f"## Latency (one request, top 10)\n\nGenerated shop: {info['customers']:,} customers, "
            f"{info['products']:,} products, {info['days']} days, {info['events']:,} events "
            f"(built in {info['build_seconds']:.0f} s). {args.requests} random customers with a "
            f"purchase (seed {args.seed}, the same for every model) after {WARM_UP} warm-up calls; "
            "default controls, the customer's usual context. Target: p95 < 50 ms with reasons. "
            "load: the 1-minute load average when the row was measured.\n",
            *trained_lines(shop, trained), "", *LATENCY_HEAD, *map(latency_line, lat), "",
            "Engine load (s): " + ", ".join(f"{r['model']} {r['load_seconds']:.1f}" for r in lat
                                            if r["reasons"]) + f"; catalog {lat[0]['catalog_seconds']:.1f}.",
            "", "## Batch throughput (every customer, like `shoplens recommend --all`)\n",
            "With reasons: " + (f"every one of the shop's {info['customers']:,} customers"
                                if not args.batch_reasons_sample else
                                f"a random sample of {args.batch_reasons_sample:,} customers")
            + f"; without: a random sample of {min(args.batch_sample, info['customers']):,}; "
            "extrapolated to the whole shop where a sample is smaller. \"in recommend()\" is the "
            "share of the loop spent in the requests (the rest builds each list's row table).\n",
            *BATCH_HEAD, *map(batch_line, bat), ""]
    say("\n".join(text))

    # 3: faithfulness on the demo shop and Online Retail II
    from core.demo import demo
    faith = []
    started = time.perf_counter()
    demo.create_demo_shop("demo")
    result["shops"]["demo"] = {"build_seconds": time.perf_counter() - started, **shop_counts("demo")}
    trained_demo = train("demo", NEURAL, args.faith_epochs, args.seed)
    result["trained"]["demo"] = trained_demo
    faith += faith_part(args, "demo", "demo", trained_demo)
    notes = trained_lines("demo", trained_demo)
    if not args.skip_orii:
        result["shops"]["online_retail_ii"] = {**build_orii("online_retail_ii"),
                                               **shop_counts("online_retail_ii")}
        trained_orii = train("online_retail_ii", NEURAL, args.orii_epochs, args.seed)
        result["trained"]["online_retail_ii"] = trained_orii
        faith += faith_part(args, "online_retail_ii", "online_retail_ii", trained_orii)
        notes += trained_lines("online_retail_ii", trained_orii)
    else:
        notes.append("- Online Retail II: skipped")
    result["faithfulness"] = faith
    mach["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    part3 = ["## Faithful reasons (\"because you bought X\")\n",
             f"{args.faith_customers} random customers (seed {args.seed}) of those every model "
             "personalises; a case is one pick with a 'because you ...' reason; lowered: the pick's "
             "model score drops when the cited products are removed from the history together. "
             "Target: >= 80%. Shops use the app's default event log (views, carts and purchases; "
             "every customer).\n", *notes, "", *FAITH_HEAD, *map(faith_line, faith), ""]
    say("\n".join(part3))
    text += part3
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recommend.json").write_text(json.dumps(result, indent=1, default=str))
    head = (f"Generated by {command} on {mach['cpus']} CPUs ({mach['cpu']}), torch threads "
            f"{mach['torch_threads']}; Python {mach['python']}, torch {mach['torch']}, numpy "
            f"{mach['numpy']}, pandas {mach['pandas']}, duckdb {mach['duckdb']}, scikit-learn "
            f"{mach['sklearn']}; commit {mach['commit']}; load average {mach['load_average'][0]:.1f} "
            f"at the start, {mach['load_average_end'][0]:.1f} at the end.\n")
    note = busy_note(mach)
    if note:
        say(note)
        head += "\n" + note
    if not args.keep_home:
        shutil.rmtree(home, ignore_errors=True)
    (RESULTS / "recommend.md").write_text("\n".join(["# Recommendations: latency, throughput, "
                                                     "faithful reasons\n", head, *text]))


if __name__ == "__main__":
    main()
