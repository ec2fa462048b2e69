"""``shoplens erase``, ``shoplens export-customer``, ``shoplens consent`` and ``shoplens retention``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from core.privacy.consent import set_consent
from core.privacy.retention import purge_older_than, purge_preview, retention_days, set_retention_days
from core.store.store import Store


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("erase", help="erase customers everywhere (right to erasure)")
    p.add_argument("--shop", required=True)
    p.add_argument("--customer", nargs="+", required=True, help="the shop's own customer ids (or keys c_...)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("export-customer", help="everything held about one customer, as JSON or a zip of CSVs")
    p.add_argument("--shop", required=True)
    p.add_argument("--customer", required=True)
    p.add_argument("--out", type=Path, required=True, help="a .json or .zip file")
    p.add_argument("--model", help="the model whose recommendations are included (latest when omitted)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("consent", help="record a customer's objection to profiling (or its withdrawal)")
    p.add_argument("--shop", required=True)
    p.add_argument("--customer", nargs="+", required=True)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--object", action="store_true", help="the customer objects to profiling")
    group.add_argument("--allow", action="store_true", help="the objection is withdrawn")
    p.set_defaults(func=cmd_consent)

    p = sub.add_parser("fairness", help="fairness and exposure audit of a model's lists")
    p.add_argument("--shop", required=True)
    p.add_argument("--model", help="a model id or a baseline name (the latest model when omitted)")
    p.add_argument("--diversity", type=float, default=0.0)
    p.add_argument("--customers", type=int, default=2000, help="customers audited (a random sample)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_fairness)

    p = sub.add_parser("retention", help="show or set the retention period; purge older events")
    p.add_argument("--shop", required=True)
    p.add_argument("--days", type=int, help="keep events this many days (0 = keep everything)")
    p.add_argument("--purge", action="store_true", help="delete events older than the period now")
    p.set_defaults(func=cmd_retention)


def keys_of(store: Store, given: list[str]) -> list[str]:
    """Stored keys of customers given by the shop's own ids or keys; unknown ids get the key an
    import would give them (so erasing them still stops a later import)."""
    from core.ingest.checks import normalize_customer_id
    from core.recommend import customer
    from core.store import pseudonym

    out = []
    for raw in given:
        found = customer.find(store, raw) or customer.find(store, normalize_customer_id(raw))
        out.append(found or (raw if pseudonym.is_key(raw)
                             else pseudonym.pseudonymize(store, [normalize_customer_id(raw)])[0]))
    return out


def cmd_erase(args: argparse.Namespace) -> int:
    from core.privacy import erasure
    with Store.open(args.shop) as store:
        result = erasure.erase(store, keys_of(store, args.customer))
    summary = {"customers": result.customers, "rows": result.rows, "segment_files": result.segment_files,
               "models_marked_for_retraining": result.models_marked, "seconds": round(result.seconds, 2)}
    if args.json:
        print(json.dumps(summary))
        return 0
    rows = ", ".join(f"{n:,} {table}" for table, n in result.rows.items())
    print(f"Erased {result.customers} customer(s): {rows} removed; the shop's file was rewritten so they "
          "cannot be read back; a later import of the same file will not bring them back.")
    if result.segment_files:
        print(f"Removed from {result.segment_files} cached segment map(s).")
    if result.models_marked:
        print(f"Models trained on their data, to retrain: {', '.join(result.models_marked)} "
              f"(`shoplens train --shop {args.shop}`).")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.privacy import access
    from core.recommend import recommend
    with Store.open(args.shop, read_only=False) as store:
        key = keys_of(store, [args.customer])[0]
        engine = None
        for model in dict.fromkeys([args.model, "itemknn"]):  # a stale model: the simple rule instead
            try:
                engine = recommend.load(store, model, recommend.segment_names(store))
                break
            except (ValueError, RuntimeError) as err:
                print(f"shoplens: model {model or 'latest'} not used: {err}", file=sys.stderr)
        data = access.export_customer(store, key, engine)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if out.suffix.lower() == ".zip":
        tmp.write_bytes(access.to_zip(data))
    else:
        tmp.write_text(access.to_json(data), encoding="utf-8")
    os.replace(tmp, out)
    print(f"{data['counts']['events']:,} events and {data['counts']['reviews']:,} reviews of {key} -> {out}")
    return 0


def cmd_consent(args: argparse.Namespace) -> int:
    with Store.open(args.shop) as store:
        n = set_consent(store, keys_of(store, args.customer), consent=args.allow)
    what = "objects to profiling" if args.object else "no longer objects to profiling"
    print(f"{n} customer(s) changed: now {what}.")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    with Store.open(args.shop) as store:
        if args.days is not None:
            set_retention_days(store, args.days or None)
        days = retention_days(store)
        if days is None:
            print("Retention: events are kept until you delete them.")
            return 0
        n, cutoff = purge_preview(store, days)
        if not args.purge:
            print(f"Retention: {days} days. {n:,} events are older than {cutoff:%Y-%m-%d}; "
                  "add --purge to delete them.")
            return 0
        deleted = purge_older_than(store, days)
    print(f"Deleted {deleted:,} events older than {cutoff:%Y-%m-%d}.")
    return 0


def cmd_fairness(args: argparse.Namespace) -> int:
    from core.fairness import audit as fairness_audit
    from core.recommend import recommend
    from core.recommend.types import Controls

    with Store.open(args.shop, read_only=True) as store:
        engine = recommend.load(store, args.model, recommend.segment_names(store))
        report = fairness_audit.run(store, engine, Controls(new_products=False, diversity=args.diversity),
                                    args.customers)
    if args.json:
        print(json.dumps(report, default=str))
        return 0
    print(f"Fairness audit of {report['model']} on {report['customers']:,} customers' lists:")
    for sentence in report["summary"]:
        print(f"- {sentence}")
    print()
    print(fairness_audit.exposure_table(report).round(3).to_string())
    return 0
