"""`shoplens train`, `models`, `use-model` and `segments`: the shop's models, which one is in
use, and the segments they give.

`train` ends by building the shop's default segments (``core.segments.defaults``; skip with
``--no-segments``), so the Segments page and `shoplens segments` open them from the cache.

`train` on a shop too small for a sequence model says so in plain words (stderr), fits nothing
and prints what is used instead (exit 0: the simple models serve the shop; its JSON line has
``"sequence_model": false``). Ctrl-C during training stops after the current batch and keeps
the best epoch as a candidate, like the Model page's Cancel button.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

from core.cli.data import progress
from core.segments.types import UNASSIGNED, SegmentConfig
from core.shop.money import format_money
from core.store.store import Store


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a neural model of the shop's customers and products")
    p.add_argument("--shop", required=True)
    p.add_argument("--model", choices=["gru", "lstm", "transformer"], default="transformer")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--purchases-only", action="store_true",
                   help="learn from purchases only (order exports without views)")
    p.add_argument("--min-baskets", type=int, default=1,
                   help="leave out customers with fewer purchase baskets")
    p.add_argument("--quiet", action="store_true", help="no per-epoch progress on stderr")
    p.add_argument("--no-segments", action="store_true",
                   help="do not build the default customer segments after training")
    p.set_defaults(func=train_then_segments)

    p = sub.add_parser("models", help="the shop's trained models: which is in use, which are candidates")
    p.add_argument("--shop", required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--re-sign", action="store_true",
                   help="sign the manifests of models saved before manifests were signed (only "
                        "unsigned ones whose files check out; do it only if you trust the models "
                        "folder as it is)")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("use-model", help="put a trained model (e.g. a cancelled run kept as a "
                                         "candidate) in use")
    p.add_argument("--shop", required=True)
    p.add_argument("model_id", help="as listed by `shoplens models`")
    p.set_defaults(func=cmd_use_model)

    p = sub.add_parser("segments", help="customer segments of a trained model: names, sizes, revenue")
    p.add_argument("--shop", required=True)
    p.add_argument("--model-id", help="a trained model (the latest when omitted)")
    p.add_argument("--inputs", nargs="+", choices=["embedding", "rfm", "context"],
                   help="what customers are clustered on (default: the model's learned behaviour; "
                        "recency, frequency and money on a shop without products)")
    p.add_argument("--min-size", type=int, help="smallest segment (scaled to the shop when omitted)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--assign-outliers", action="store_true", help="put every customer in a segment")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_segments)


def cmd_train(args: argparse.Namespace) -> int:
    from core.learn import embeddings, guards, wording
    from core.shop import sequences
    options = sequences.LogOptions(purchases_only=args.purchases_only, min_baskets=args.min_baskets)

    def show(p: dict) -> None:
        if not args.quiet:
            sys.stderr.write(wording.epoch_log_line(p) + "\n")

    with Store.open(args.shop) as store:
        prep = embeddings.prepare(store, options)
        try:
            with _ctrl_c_cancels() as stop:
                art = embeddings.train(store, args.model, epochs=args.epochs, seed=args.seed,
                                       prepared=prep, progress=show, stop=stop.is_set)
        except guards.NotReady as refused:
            sys.stderr.write(f"Not training a {args.model} model. {refused}\n")
            table = (embeddings.compare(store, prep, names=guards.SIMPLE)
                     if prep.readiness.scorable and not prep.no_recommendations else None)
            print(json.dumps({"sequence_model": False, "why": str(refused),
                              "counts": asdict(prep.readiness),
                              "simple_models": None if table is None else [
                                  {"model": r["model"], "ndcg@10": round(r["ndcg@10"], 4),
                                   "recall@10": round(r["recall@10"], 4)}
                                  for r in table.to_dict("records")]}))
            return 0
    if art is None:
        print(json.dumps({"error": "training stopped before the first epoch ended"}))
        return 1
    m = art.manifest
    sys.stderr.write(f"{'In use' if not m['candidate'] else 'Kept as a candidate'}: {m['note']}\n")
    print(json.dumps({"model_id": art.model_id, "kind": args.model, "seed": args.seed,
                      "in_use": not m["candidate"], "note": m["note"],
                      "cancelled": m["metrics"]["cancelled"], "best_epoch": m["metrics"]["best_epoch"],
                      "fit_seconds": round(m["metrics"]["fit_seconds"], 2),
                      "fit_time": wording.duration(m["metrics"]["fit_seconds"]),
                      "valid": m["metrics"]["valid"], "test": m["metrics"]["test"]}))
    return 0


@contextmanager
def _ctrl_c_cancels() -> Iterator[threading.Event]:
    """While training: the first Ctrl-C sets the stop flag (the run ends after its current
    batch and is kept as a candidate); a second one interrupts as usual."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        sys.stderr.write("Stopping after this batch (Ctrl-C again to abort)...\n")
        stop.set()

    if threading.current_thread() is not threading.main_thread():  # signals reach main only
        yield stop
        return
    previous = signal.signal(signal.SIGINT, handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_models(args: argparse.Namespace) -> int:
    from core.learn import wording
    from core.store import artifacts, resign
    with Store.open(args.shop, read_only=True) as store:
        if args.re_sign:
            for model_id, outcome in resign.re_sign(store).items():
                print(f"{model_id}: {outcome}", file=sys.stderr if args.json else sys.stdout)
        in_use = artifacts.latest_id(store)
        rows = []
        for m in artifacts.list_models(store):
            metrics = m.get("metrics", {})
            rows.append({"model_id": m["model_id"], "kind": m.get("kind"),
                         "state": _state(m, in_use), "refused": m.get("refused"),
                         "cancelled": metrics.get("cancelled"),
                         "valid_ndcg@10": metrics.get("valid", {}).get("ndcg@10"),
                         "test_ndcg@10": metrics.get("test", {}).get("ndcg@10"),
                         "training": wording.duration(metrics.get("fit_seconds"))})
    if args.json:
        print(json.dumps({"in_use": in_use, "models": rows}))
        return 0
    if not rows:
        print(f"Shop {args.shop!r} has no trained model yet: `shoplens train --shop {args.shop}`.")
    for r in rows:
        scores = ("" if r["valid_ndcg@10"] is None else
                  f"valid NDCG@10 {r['valid_ndcg@10']:.4f}  test NDCG@10 {r['test_ndcg@10']:.4f}")
        print(f"{r['model_id']:<32} {r['kind'] or '-':<12} {r['state']:<10} {scores}  {r['training']}")
        if r["refused"]:
            print(f"    refused: {r['refused']}")
    return 0


def _state(manifest: dict, in_use: str | None) -> str:
    if "damaged" in manifest:
        return "damaged"
    if "refused" in manifest:
        return "refused"
    if manifest["model_id"] == in_use:
        return "in use"
    return "candidate" if manifest.get("candidate") else "earlier"


def cmd_use_model(args: argparse.Namespace) -> int:
    from core.learn import promotion
    with Store.open(args.shop) as store:
        art = promotion.promote(store, args.model_id)
    print(json.dumps({"model_id": art.model_id, "in_use": True}))
    return 0


def train_then_segments(args: argparse.Namespace) -> int:
    """`shoplens train`, then the default segments (their summary on stderr; a shop too small
    for segments says so and still exits 0: the model was trained)."""
    code = cmd_train(args)
    if code != 0:
        return code
    _choose_list_defaults(args)
    if args.no_segments:
        return code
    from core.segments import defaults
    started = time.perf_counter()
    with Store.open(args.shop, read_only=True) as store:
        done = defaults.build_after_training(store, progress=progress(args.quiet))
    if done.run is None:
        sys.stderr.write(done.note + "\n")
    else:
        sys.stderr.write(f"Segments: {done.note} ready in {time.perf_counter() - started:.1f}s "
                         f"(`shoplens segments --shop {args.shop}` names them; the Segments page "
                         "opens them at once).\n")
    return 0


def _choose_list_defaults(args: argparse.Namespace) -> None:
    """The shop's default list settings, chosen on validation baskets for the model in use."""
    from core.recommend import defaults
    with Store.open(args.shop) as store:
        choice = defaults.choose_and_save(store, progress=progress(args.quiet))
    if choice is not None and not args.quiet:
        sys.stderr.write(f"Default lists: {choice.chosen} (validation NDCG@10 "
                         f"{choice.scores[choice.chosen]:.4f}, {choice.gain():+.1%} over the built-in "
                         f"settings, {choice.baskets:,} baskets).\n")


def cmd_segments(args: argparse.Namespace) -> int:
    from core.segments import defaults, profiles, segments
    with Store.open(args.shop, read_only=True) as store:
        parts, model_id = args.inputs, args.model_id
        if parts is None:  # the shop's default: the model's vectors, or figures without products
            choice = defaults.choose(store, model_id)
            parts = list(choice.config.parts) if choice else ["embedding"]
            model_id = choice.model_id if choice else model_id
        cfg = SegmentConfig(parts=tuple(parts), min_cluster_size=args.min_size, seed=args.seed)
        run = segments.build(store, model_id, cfg, progress=progress(args.json))
        data = profiles.load(store)  # knows the shop's currency: descriptions state amounts in it
    labels = segments.view(run, assign_outliers=args.assign_outliers)
    profs = profiles.segment_profiles(data, run.keys, labels)
    rows = [{"segment": k, "name": p.name, "customers": p.customers,
             "share_customers": round(p.share_customers, 4), "share_revenue": round(p.share_revenue, 4),
             "revenue": round(p.revenue, 2), "description": p.description} for k, p in profs.items()]
    unassigned = int((labels == UNASSIGNED).sum())
    if args.json:
        print(json.dumps({"model_id": run.meta.get("model_id"), "inputs": list(cfg.parts),
                          "customers": int(len(labels)), "unassigned": unassigned,
                          "currency": data.currency, "segments": rows}))
        return 0
    source = (f"model {run.meta['model_id']}" if run.meta.get("model_id")
              else "recency, frequency and money; no model")
    money = f"amounts in {data.currency}" if data.currency else "amounts without a currency"
    print(f"{len(rows)} segments of {len(labels):,} customers ({source}); {unassigned:,} unassigned; {money}")
    for r in rows:
        print(f"{r['segment']:>3}  {r['name']:<60} {r['customers']:>7,} customers  "
              f"{r['share_customers']:>6.1%} of customers  "
              f"{format_money(r['revenue'], data.currency):>12} revenue ({r['share_revenue']:.1%})")
    return 0
