"""`shoplens train` and `shoplens segments`: the shop's models, and the segments they give.

`train` ends by building the shop's default segments (``core.segments.defaults``; skip with
``--no-segments``), so the Segments page and `shoplens segments` open them from the cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from core.cli.data import progress
from core.segments.types import UNASSIGNED, SegmentConfig
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
    from core.learn import embeddings
    from core.shop import sequences
    options = sequences.LogOptions(purchases_only=args.purchases_only, min_baskets=args.min_baskets)

    def show(p: dict) -> None:
        if not args.quiet:
            sys.stderr.write(
                f"epoch {p['epoch']}/{p['epochs']}  loss {p['loss']:.4f}  valid NDCG@10 "
                f"{p['valid_ndcg10']:.4f}  {p['seconds']:.0f}s elapsed, ~{p['eta_seconds']:.0f}s left\n")

    with Store.open(args.shop) as store:
        art = embeddings.train(store, args.model, epochs=args.epochs, seed=args.seed,
                               options=options, progress=show)
    if art is None:
        print(json.dumps({"error": "training stopped before the first epoch ended"}))
        return 1
    m = art.manifest["metrics"]
    print(json.dumps({"model_id": art.model_id, "kind": args.model, "seed": args.seed,
                      "best_epoch": m["best_epoch"], "fit_seconds": round(m["fit_seconds"], 2),
                      "valid": m["valid"], "test": m["test"]}))
    return 0


def train_then_segments(args: argparse.Namespace) -> int:
    """`shoplens train`, then the default segments (their summary on stderr; a shop too small
    for segments says so and still exits 0: the model was trained)."""
    code = cmd_train(args)
    if code != 0 or args.no_segments:
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
        data = profiles.load(store)
    labels = segments.view(run, assign_outliers=args.assign_outliers)
    profs = profiles.segment_profiles(data, run.keys, labels)
    rows = [{"segment": k, "name": p.name, "customers": p.customers,
             "share_customers": round(p.share_customers, 4), "share_revenue": round(p.share_revenue, 4),
             "description": p.description} for k, p in profs.items()]
    unassigned = int((labels == UNASSIGNED).sum())
    if args.json:
        print(json.dumps({"model_id": run.meta.get("model_id"), "inputs": list(cfg.parts),
                          "customers": int(len(labels)), "unassigned": unassigned, "segments": rows}))
        return 0
    source = (f"model {run.meta['model_id']}" if run.meta.get("model_id")
              else "recency, frequency and money; no model")
    print(f"{len(rows)} segments of {len(labels):,} customers ({source}); {unassigned:,} unassigned")
    for r in rows:
        print(f"{r['segment']:>3}  {r['name']:<60} {r['customers']:>7,} customers  "
              f"{r['share_customers']:>6.1%} of customers  {r['share_revenue']:>6.1%} of revenue")
    return 0
