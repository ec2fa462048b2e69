"""The ``shoplens`` command: arguments onto the same core functions the pages call."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from core.cli import privacy as cli_privacy
from core.cli import recommend as cli_recommend
from core.cli import simulate as cli_simulate
from core.ingest import ingest, presets
from core.store import config
from core.store.store import Store, StoreError

log = logging.getLogger("shoplens")


def _progress(quiet: bool):
    last = {"msg": ""}

    def say(fraction: float, message: str) -> None:
        if quiet:
            return
        if message != last["msg"]:
            last["msg"] = message
            sys.stderr.write(f"\r[{fraction:6.1%}] {message:<60}")
            sys.stderr.flush()
        if fraction >= 1.0:
            sys.stderr.write("\n")

    return say


def _summary(report: ingest.ImportReport) -> str:
    lines = []
    for t in report.tables:
        lines.append(
            f"{t.file} ({t.kind}, preset {t.preset}): {t.lines_read:,} lines read, "
            f"{t.accepted:,} accepted ({t.fixed:,} fixed), {t.rejected:,} rejected, "
            f"{t.returns:,} returns/cancellations; {t.inserted:,} new, "
            f"{t.already_present:,} already in the shop"
        )
        if t.guests:
            lines.append(f"  {t.guests:,} guest lines (no customer id): revenue only")
        if t.non_product:
            lines.append(f"  {t.non_product:,} non-product lines (postage, fees) kept out of "
                         "the catalog")
        for w in t.warnings:
            lines.append(f"  note: {w}")
        for rule, n in t.rejected_by_rule.items():
            lines.append(f"  rejected {n:,} x {rule}")
        for r in t.rejections[:5]:
            lines.append(f"    {r.file} row {r.row}, column {r.column!r}, value {r.value!r}: "
                         f"{r.problem}; {r.suggestion}")
    state = "checked, nothing written (dry run)" if report.dry_run else (
        "imported" if report.committed else "not imported")
    lines.append(f"{state} into shop {report.shop!r} in {report.seconds:.1f}s")
    return "\n".join(lines)


def _forget_new_shop(shop: str) -> None:
    """Remove a shop file (and its secret) that only a dry run created."""
    db = config.shop_db_path(shop)
    for path in (db, Path(str(db) + ".wal"), config.secrets_dir() / f"{shop}.key"):
        path.unlink(missing_ok=True)


def cmd_import(args: argparse.Namespace) -> int:
    new_shop = not config.shop_db_path(args.shop).exists()
    store = Store.open(args.shop)
    try:
        plans = ingest.plan_paths(store, args.paths, args.preset)
        if args.date_format:
            plans = [replace(p, mapping=replace(p.mapping, date_format=args.date_format))
                     for p in plans]
        report = ingest.run_import(store, plans, dry_run=args.dry_run,
                                   progress=_progress(args.json))
    finally:
        store.close()
        if args.dry_run and new_shop:
            _forget_new_shop(args.shop)  # a dry run leaves no new, empty shop behind
    if args.json:
        print(json.dumps(report.to_dict(), default=str))
    else:
        print(_summary(report))
    return 0 if report.accepted > 0 else 1


def cmd_demo(args: argparse.Namespace) -> int:
    from core.demo import demo, synth
    cfg = synth.SynthConfig(n_customers=args.customers, n_products=args.products,
                            days=args.days, seed=args.seed)
    if args.export:
        counts = demo.export_demo(Path(args.export), cfg, fmt=args.format,
                                  progress=_progress(False))
        print(json.dumps(counts))
        return 0
    if config.shop_db_path(args.shop).exists() and args.if_missing and not args.replace:
        print(f"demo shop {args.shop!r} already exists ({config.shop_db_path(args.shop)})")
        return 0
    if config.shop_db_path(args.shop).exists() and not args.replace:
        print(f"shop {args.shop!r} exists; use --replace to generate it again", file=sys.stderr)
        return 1
    report = demo.create_demo_shop(args.shop, cfg, replace=True, progress=_progress(False))
    if report is not None:
        print(_summary(report))
    return 0


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


def cmd_segments(args: argparse.Namespace) -> int:
    from core.segments import profiles, segments
    cfg = segments.SegmentConfig(parts=tuple(args.inputs), min_cluster_size=args.min_size, seed=args.seed)
    with Store.open(args.shop, read_only=True) as store:
        run = segments.build(store, args.model_id, cfg, progress=_progress(args.json))
        data = profiles.load(store)
    labels = segments.view(run, assign_outliers=args.assign_outliers)
    profs = profiles.segment_profiles(data, run.keys, labels)
    rows = [{"segment": k, "name": p.name, "customers": p.customers,
             "share_customers": round(p.share_customers, 4), "share_revenue": round(p.share_revenue, 4),
             "description": p.description} for k, p in profs.items()]
    unassigned = int((labels == segments.UNASSIGNED).sum())
    if args.json:
        print(json.dumps({"model_id": run.meta.get("model_id"), "customers": int(len(labels)),
                          "unassigned": unassigned, "segments": rows}))
        return 0
    print(f"{len(rows)} segments of {len(labels):,} customers (model {run.meta.get('model_id')}); "
          f"{unassigned:,} unassigned")
    for r in rows:
        print(f"{r['segment']:>3}  {r['name']:<60} {r['customers']:>7,} customers  "
              f"{r['share_customers']:>6.1%} of customers  {r['share_revenue']:>6.1%} of revenue")
    return 0


def cmd_shops(args: argparse.Namespace) -> int:
    rows = []
    for name in config.list_shops():
        try:
            with Store.open(name, read_only=True) as store:
                rows.append({"shop": name, **store.table_counts()})
        except StoreError as err:
            rows.append({"shop": name, "error": str(err)})
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print("  ".join(f"{k}={v}" for k, v in row.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shoplens", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="import files or folders into a shop")
    p.add_argument("--shop", required=True, help="shop name (created if new)")
    p.add_argument("paths", nargs="+", type=Path, help="files or folders of related tables")
    p.add_argument("--preset", choices=sorted(presets.PRESET_BY_NAME) + ["generic"],
                   help="column layout (detected when omitted)")
    p.add_argument("--date-format", help="strptime format of the date column, e.g. %%d/%%m/%%Y")
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo", help="generate the demo shop (or only its export files)")
    p.add_argument("--shop", default=config.DEMO_SHOP)
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--products", type=int, default=1000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--if-missing", action="store_true", help="do nothing if the shop exists")
    p.add_argument("--replace", action="store_true", help="replace an existing shop")
    p.add_argument("--export", help="only write the export files into this folder")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.set_defaults(func=cmd_demo)

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
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("segments", help="customer segments of a trained model: names, sizes, revenue")
    p.add_argument("--shop", required=True)
    p.add_argument("--model-id", help="a trained model (the latest when omitted)")
    p.add_argument("--inputs", nargs="+", choices=["embedding", "rfm", "context"], default=["embedding"],
                   help="what customers are clustered on")
    p.add_argument("--min-size", type=int, help="smallest segment (scaled to the shop when omitted)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--assign-outliers", action="store_true", help="put every customer in a segment")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_segments)

    cli_recommend.add_parser(sub)
    cli_simulate.add_parser(sub)
    cli_privacy.add_parsers(sub)

    p = sub.add_parser("shops", help="list shops and their row counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_shops)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except (ingest.IngestError, StoreError, config.ShopNameError, ValueError, RuntimeError) as err:
        if isinstance(err, RuntimeError) and not type(err).__module__.startswith("core."):
            raise  # not one of ours (e.g. torch): keep the traceback
        if getattr(args, "json", False):
            print(json.dumps({"error": str(err)}))
        print(f"shoplens: {err}", file=sys.stderr)
        return 2


