"""``shoplens recommend``: one customer's list with reasons, or every customer's list to a CSV."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from core.recommend.types import Context, Controls
from core.shop.features import WEEKDAYS
from core.store.store import Store

if TYPE_CHECKING:
    from core.recommend.recommend import Engine
    from core.recommend.types import Result

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction) -> None:
    from core.shop.catalog import DAYPART_NAMES

    p = sub.add_parser("recommend", help="recommendations with reasons for one customer or all")
    p.add_argument("--shop", required=True)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer", help="the shop's own customer id, or its key (c_...)")
    who.add_argument("--all", action="store_true", help="every customer (needs --out)")
    p.add_argument("--out", type=Path, help="CSV file for --all")
    p.add_argument("--model", help="a model id or a baseline name (the latest model when omitted)")
    p.add_argument("--n", type=int, default=10)
    p.add_argument("--daypart", choices=DAYPART_NAMES, help="imagine a visit at this time of day")
    p.add_argument("--weekday", choices=[d.lower() for d in WEEKDAYS])
    p.add_argument("--device", help="e.g. mobile, desktop, tablet")
    p.add_argument("--diversity", type=float, default=0.0, help="0 (by relevance) .. 1")
    p.add_argument("--novelty", type=float, default=0.0, help="0 .. 1: favour less-known products")
    p.add_argument("--context-weight", type=float, default=None,
                   help="0 .. 1: how much sales in the visit's context re-weight the list "
                        "(default: the shop's, chosen on validation baskets after training; else 0.15)")
    p.add_argument("--price-min", type=float)
    p.add_argument("--price-max", type=float)
    p.add_argument("--category", nargs="+", default=[], help="only these categories")
    p.add_argument("--exclude-category", nargs="+", default=[])
    bought = p.add_mutually_exclusive_group()
    bought.add_argument("--include-bought", dest="exclude_bought", action="store_false", default=None,
                        help="do not leave out what they bought")
    bought.add_argument("--leave-out-bought", dest="exclude_bought", action="store_true",
                        help="leave out what they bought, except re-buys that are due (without "
                             "either flag: the shop's default, chosen on validation baskets)")
    p.add_argument("--include-out-of-stock", action="store_true")
    p.add_argument("--no-reasons", action="store_true", help="faster --all without reasons")
    p.add_argument("--limit", type=int, help="--all for only the first LIMIT customers (by key), "
                   "e.g. to time an export")
    p.add_argument("--one-by-one", action="store_true",
                   help="--all with one request per customer instead of scoring blocks of "
                        "customers together (the same lists, slower; for comparison)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_recommend)


def _controls(args: argparse.Namespace, store: Store) -> Controls:
    """The flags given, on top of the shop's default list settings (``core.recommend.defaults``)."""
    from core.recommend import defaults
    given = {k: v for k, v in (("exclude_bought", args.exclude_bought),
                               ("context_weight", args.context_weight)) if v is not None}
    return defaults.controls(store, n=args.n, in_stock_only=not args.include_out_of_stock,
                             price_min=args.price_min, price_max=args.price_max,
                             include_categories=tuple(args.category),
                             exclude_categories=tuple(args.exclude_category),
                             diversity=args.diversity, novelty=args.novelty, **given)


def _context(args: argparse.Namespace) -> Context | None:
    if not (args.daypart or args.weekday or args.device):
        return None  # the customer's usual context
    weekday = [d.lower() for d in WEEKDAYS].index(args.weekday) + 1 if args.weekday else None
    return Context(args.daypart, weekday, args.device)


def cmd_recommend(args: argparse.Namespace) -> int:
    from core.recommend import recommend
    if args.all and not args.out:
        raise ValueError("--all writes a CSV file: add --out FILE.csv")
    context = _context(args)
    with Store.open(args.shop, read_only=True) as store:
        controls = _controls(args, store)
        engine = recommend.load(store, args.model, recommend.segment_names(store))
        if not args.all:
            from core.recommend import customer
            from core.store import pseudonym
            found = customer.find(store, args.customer)
            key = found or pseudonym.pseudonymize(store, [args.customer])[0]
            known = found is not None
            result = engine.recommend(key, controls, context)
            return _show(result, known, args.json)
        keys = [r[0] for r in store.rows("SELECT customer_key FROM customers ORDER BY customer_key")]
        if args.limit is not None:
            keys = keys[:max(args.limit, 0)]
    return _write_all(engine, keys, controls, context, args)


def _show(result: Result, known: bool, as_json: bool) -> int:
    picks = [{"rank": i + 1, "product_id": p.product_id, "title": p.title, "category": p.category,
              "price": p.price, "score": round(p.score, 4), "source": p.source,
              "reasons": [{"kind": r.kind, "text": r.text, "weight": round(r.weight, 3),
                           "items": list(r.items)} for r in p.reasons]}
             for i, p in enumerate(result.picks)]
    if as_json:
        print(json.dumps({"customer_key": result.customer_key, "known": known, "mode": result.mode,
                          "label": result.label, "model": result.model,
                          "context": result.context.words(), "milliseconds": round(result.seconds * 1e3, 1),
                          "notes": result.notes, "picks": picks}))
        return 0
    who = result.customer_key if known else f"{result.customer_key} (not in the shop: a new customer)"
    print(f"{who}: {result.label}; model {result.model}; {result.context.words()}")
    for p in picks:
        price = "" if p["price"] is None else f"{p['price']:>9,.2f}"
        print(f"{p['rank']:>3}. {p['title'][:48]:<48} {price}  score {p['score']:.2f}")
        for r in p["reasons"]:
            print(f"       - {r['text']}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


BLOCK = 1000  # customers whose lists are made and held in memory at once before they are written


def _block_table(engine: Engine, keys: list[str], controls: Controls, context: Context | None,
                 explain: bool, one_by_one: bool) -> tuple[pd.DataFrame, list[str]]:
    """The CSV rows of ``keys``' lists (safe cells), and each customer's mode."""
    from core.recommend import blocks
    from core.segments.audience import safe_cells

    if one_by_one:  # one request per customer, a frame each
        frames, modes = [], []
        for key in keys:
            res = engine.recommend(key, controls, context, explain_picks=explain)
            modes.append(res.mode)
            frame = res.frame()
            frame.insert(0, "customer_key", key)
            frame.insert(1, "mode", res.mode)
            frames.append(frame)
        return safe_cells(pd.concat(frames, ignore_index=True)), modes
    results = blocks.results(engine, keys, controls, context, explain=explain)
    rows = [{"customer_key": res.customer_key, "mode": res.mode, **row}
            for res in results for row in res.rows()]
    return safe_cells(pd.DataFrame(rows)), [res.mode for res in results]


def _write_all(engine: Engine, keys: list[str], controls: Controls, context: Context | None,
               args: argparse.Namespace, block: int = BLOCK) -> int:
    """Every customer's list to ``args.out``, written block by block as it goes.

    At most ``block`` customers' lists are made and held at once (not the whole table): the
    model scores a block's customers together (``core.recommend.blocks``: the same lists as one
    request each, in memory bounded by the block, not by the shop), or one request per customer
    with ``args.one_by_one``. The CSV grows in a temp file next to the target and is renamed at
    the end, and the temp file (personal data: customer keys) is removed on every other exit path."""
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    started, modes, n_rows, header = time.perf_counter(), {}, 0, True
    one_by_one = bool(getattr(args, "one_by_one", False))
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for lo in range(0, len(keys), max(block, 1)):
                table, block_modes = _block_table(engine, keys[lo:lo + block], controls, context,
                                                  not args.no_reasons, one_by_one)
                for m in block_modes:
                    modes[m] = modes.get(m, 0) + 1
                if len(table):  # a block of only empty lists has no rows to write
                    table.to_csv(fh, index=False, header=header)
                    header, n_rows = False, n_rows + len(table)
                done = min(lo + block, len(keys))
                if not args.json:
                    sys.stderr.write(f"\r[{done / len(keys):6.1%}] {done:,} of {len(keys):,} customers")
                    sys.stderr.flush()
            if header:  # no customer has a list
                pd.DataFrame().to_csv(fh, index=False)
        os.replace(tmp, out)  # never a half-written file under the real name
    finally:
        tmp.unlink(missing_ok=True)
    if not args.json:
        sys.stderr.write("\n")
    seconds = time.perf_counter() - started
    summary = {"customers": len(keys), "rows": n_rows, "seconds": round(seconds, 2),
               "customers_per_second": round(len(keys) / max(seconds, 1e-9), 1), "modes": modes,
               "out": str(out)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{len(keys):,} customers, {n_rows:,} rows in {seconds:.1f}s "
              f"({summary['customers_per_second']:,.0f} customers/s) -> {out}")
        print("  " + ", ".join(f"{n:,} {m}" for m, n in sorted(modes.items())))
    return 0
