"""`shoplens import`, `shoplens demo` and `shoplens shops`: getting data into shops, and listing them."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from core.ingest import ingest, presets
from core.ingest.plan import ImportRefused, ImportReport, IngestError
from core.store import config, currency
from core.store.store import Store, StoreError


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import files or folders into a shop")
    p.add_argument("--shop", required=True, help="shop name (created if new)")
    p.add_argument("paths", nargs="+", type=Path, help="files or folders of related tables")
    p.add_argument("--preset", choices=sorted(presets.PRESET_BY_NAME) + ["generic"],
                   help="column layout (detected when omitted)")
    p.add_argument("--map", action="append", default=None, metavar="FIELD=COLUMN",
                   help="feed a field from a column, e.g. --map customer_id=client_no --map "
                        "line_total=amount (FIELD= clears a guessed field); repeatable")
    p.add_argument("--mapping", type=Path, metavar="FILE",
                   help='a JSON mapping file: {"customer_id": "client_no", ...}, or '
                        '{"kind": "events", "columns": {...}, "date_format": "%%Y%%m%%d"}')
    p.add_argument("--kind", choices=["events", "products", "customers", "reviews"],
                   help="what the file holds (guessed when omitted)")
    p.add_argument("--date-format", help="strptime format of the date column, e.g. %%d/%%m/%%Y")
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("demo", help="generate the demo shop (or only its export files)")
    p.add_argument("--shop", default=config.DEMO_SHOP)
    p.add_argument("--kind", choices=["shop", "grocery"], default="shop",
                   help="shop: a year of views, carts and orders of a general web shop (5,000 "
                        "customers, 1,000 products); grocery: two years of a grocery shop's order "
                        "export (2,500 households, 65,000 products, ~1.35M lines)")
    p.add_argument("--customers", type=int, help="customers (households for --kind grocery)")
    p.add_argument("--products", type=int)
    p.add_argument("--days", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--if-missing", action="store_true", help="do nothing if the shop exists")
    p.add_argument("--replace", action="store_true", help="replace an existing shop")
    p.add_argument("--export", help="only write the export files into this folder")
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("currency", help="show or set the currency a shop's amounts are in")
    p.add_argument("--shop", required=True)
    p.add_argument("code", nargs="?", help="an ISO code or symbol (EUR, USD, £, ...); 'none' for "
                                           "plain numbers; omitted: show the current one")
    p.set_defaults(func=cmd_currency)

    p = sub.add_parser("shops", help="list shops and their row counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_shops)


def progress(quiet: bool):
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


def _summary(report: ImportReport) -> str:
    lines = []
    for t in report.tables:
        lines.append(
            f"{t.file} ({t.kind}, preset {t.preset}): {t.lines_read:,} lines read, "
            f"{t.accepted:,} accepted ({t.fixed:,} fixed), {t.rejected:,} rejected, "
            f"{t.returns:,} returns/cancellations; {t.inserted:,} new, "
            f"{t.already_present:,} already in the shop"
        )
        if t.preset in ("generic", "remembered"):
            how = "remembered from the last import" if t.preset == "remembered" else "guessed"
            lines.append(f"  columns ({how}): " + ", ".join(
                f"{f} <- {c!r}" + (f" ({t.confidence[f]})" if f in t.confidence else "")
                for f, c in t.columns.items()))
        if t.guests:
            lines.append(f"  {t.guests:,} guest lines (no customer id): revenue only")
        if t.free:
            lines.append(f"  {t.free:,} free lines (price 0): counted as purchases, no revenue")
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
    money = f"; amounts in {report.currency}" if report.currency else "; amounts without a currency"
    lines.append(f"{state} into shop {report.shop!r} in {report.seconds:.1f}s{money}")
    return "\n".join(lines)


def _forget_new_shop(shop: str) -> None:
    """Remove a shop file (and its secret) that only a dry run created."""
    db = config.shop_db_path(shop)
    for path in (db, Path(str(db) + ".wal"), config.secrets_dir() / f"{shop}.key"):
        path.unlink(missing_ok=True)


def mapping_options(args: argparse.Namespace) -> tuple[str | None, dict[str, str], str | None]:
    """(kind, field -> column, date format) from --mapping FILE, then --map and --kind."""
    kind, columns, fmt = args.kind, {}, args.date_format
    if args.mapping:
        try:
            data = json.loads(args.mapping.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValueError(f"{args.mapping}: not a readable JSON mapping file ({err}).") from err
        if not isinstance(data, dict):
            raise ValueError(f"{args.mapping}: a mapping file holds one JSON object.")
        if "columns" in data:
            kind = kind or data.get("kind")
            fmt = fmt or data.get("date_format")
            data = data["columns"]
        columns.update({str(f): str(c) for f, c in data.items()})
    for item in args.map or []:
        field, sep, column = item.partition("=")
        if not sep or not field.strip():
            raise ValueError(f"--map {item!r}: write FIELD=COLUMN, for example "
                             "--map customer_id=client_no.")
        columns[field.strip()] = column.strip()
    return kind, columns, fmt


def _apply(plans: list, kind: str | None, columns: dict[str, str], fmt: str | None) -> list:
    """The user's mapping on every planned file (a column must be in the file it maps)."""
    out = []
    for plan in plans:
        mine = {f: c for f, c in columns.items() if not c or c in plan.columns}
        if len(plans) > 1 and not any(mine.values()) and not kind:
            out.append(replace(plan, mapping=replace(plan.mapping, date_format=fmt))
                       if fmt else plan)
            continue
        missing = [c for c in columns.values() if c and c not in plan.columns]
        if missing and len(plans) == 1:
            raise IngestError(f"{plan.label} has no column {missing[0]!r}; its columns are: "
                              f"{', '.join(plan.columns)}.")
        plan = ingest.remap(plan, kind=kind)
        plan = ingest.remap(plan, columns={**plan.mapping.columns, **mine}, date_format=fmt)
        out.append(plan)
    return out


def cmd_import(args: argparse.Namespace) -> int:
    kind, columns, fmt = mapping_options(args)
    new_shop = not config.shop_db_path(args.shop).exists()
    store = Store.open(args.shop)
    try:
        plans = ingest.plan_paths(store, args.paths, args.preset)
        if kind or columns or fmt:
            try:
                plans = _apply(plans, kind, columns, fmt)
            except BaseException:
                ingest.cleanup(plans)
                raise
        try:
            report = ingest.run_import(store, plans, dry_run=args.dry_run,
                                       progress=progress(args.json), where="cli")
        except ImportRefused as err:  # nothing written: the report still says why, row by row
            print(f"shoplens: {err}", file=sys.stderr)
            report = err.report
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
    from core.demo import demo
    from core.demo.config import SynthConfig
    from core.demo.kinds import grocery
    given = {k: v for k, v in (("n_customers", args.customers), ("n_products", args.products),
                               ("days", args.days), ("seed", args.seed)) if v is not None}
    cfg, groc = SynthConfig(**given), None
    if args.kind == "grocery":
        groc = grocery.GroceryConfig(**{{"n_customers": "households", "n_products": "products"}.get(k, k): v
                                        for k, v in given.items()})
    if args.export:
        if groc is not None:
            counts = grocery.write(Path(args.export) / "orders.csv", groc)
        else:
            counts = demo.export_demo(Path(args.export), cfg, fmt=args.format, progress=progress(False))
        print(json.dumps(counts))
        return 0
    if config.shop_db_path(args.shop).exists() and args.if_missing and not args.replace:
        print(f"demo shop {args.shop!r} already exists ({config.shop_db_path(args.shop)})")
        return 0
    if config.shop_db_path(args.shop).exists() and not args.replace:
        print(f"shop {args.shop!r} exists; use --replace to generate it again", file=sys.stderr)
        return 1
    report = demo.create_demo_shop(args.shop, cfg, replace=True, progress=progress(False),
                                   grocery_cfg=groc)
    if report is not None:
        print(_summary(report))
    return 0


def cmd_currency(args: argparse.Namespace) -> int:
    if not config.shop_db_path(args.shop).exists():
        print(f"no shop {args.shop!r}: see `shoplens shops`", file=sys.stderr)
        return 1
    with Store.open(args.shop, read_only=args.code is None) as store:
        if args.code is not None:  # a ValueError (not a currency) is said by core.cli.main
            currency.set_currency(store, None if args.code.strip().lower() == "none" else args.code)
        now, source = currency.currency(store), currency.source(store)
    how = {"explicit": "chosen by you", "import": "read from an imported file"}.get(source or "", "")
    print(f"shop {args.shop!r}: " + (currency.label(now) if now else "no currency (plain numbers)")
          + (f", {how}" if how and (now or source == "explicit") else ""))
    return 0


def cmd_shops(args: argparse.Namespace) -> int:
    rows = []
    for name in config.list_shops():
        try:
            with Store.open(name, read_only=True) as store:
                rows.append({"shop": name, **store.table_counts(),
                             "currency": currency.currency(store)})
        except StoreError as err:
            rows.append({"shop": name, "error": str(err)})
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print("  ".join(f"{k}={v}" for k, v in row.items()))
    return 0
