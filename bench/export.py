"""``shoplens recommend --all`` on Online Retail II: customers/s and peak memory, per model.

    .venv/bin/python bench/export.py                       # the full run
    .venv/bin/python bench/export.py --home /tmp/orii      # reuse (or build once) a shop there
    .venv/bin/python bench/export.py --models als gru --reasons-limit 500
    .venv/bin/python bench/export.py --shop grocery --no-one-by-one   # the 65k-product shop

Online Retail II (``../shared/data/online_retail_ii``, both years) is imported as one shop the
way ``bench/quality.py``'s ``build_shops`` does; a GRU and a transformer are trained for
``--epochs`` epochs (few: a model's size, not its quality, sets the speed of its lists) and the
shop's default list settings chosen on validation baskets, as after training in the app
(``core.recommend.defaults``). Then, for every model (popularity, itemknn, ease, als, gru,
transformer), ``python -m core.cli recommend --shop online_retail_ii --all --out F --model M``
runs in its own process with the shop's default controls and each customer's usual context:
without reasons (``--no-reasons``) and with reasons, by block scoring (the default,
``core.recommend.blocks``) and by one request per customer (``--one-by-one``, the path before)
in the same run, so the ratio is fair on a shared machine. Without reasons every customer of the
shop is exported; with reasons the one-by-one path exports the first ``--reasons-limit``
customers (it takes minutes per model), the block path every customer. Peak RSS is the child's own
``ru_maxrss`` (``os.wait4``); load is the 1-minute load average when the row finished. Both paths'
CSVs are compared: "same lists" counts customers whose products and order differ (a float32 model
may round a score's last digit differently in a block; those are counted apart). Targets:
>= 500 customers/s without reasons and < 2 GB peak for every model. Writes
bench/results/export.md and export.json. ``--shop grocery`` generates the 65,000-product grocery
shop (``shoplens demo --kind grocery``, as ``bench/quality.py`` does) instead; target < 4 GB peak;
it writes export_grocery.md/.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "online_retail_ii"
RESULTS = ROOT / "bench" / "results"
SHOP = "online_retail_ii"
GROCERY = "grocery"  # the generated 65k-product shop (`shoplens demo --kind grocery`)
MODELS = ("popularity", "itemknn", "ease", "als", "gru", "transformer")
log = logging.getLogger("bench.export")


def build(home: str, shop: str, epochs: int) -> None:
    """The shop (imported or generated once), its neural models and default list settings, if
    missing."""
    os.environ["SHOPLENS_HOME"] = home
    from core.learn import embeddings
    from core.recommend import defaults
    from core.store.store import Store

    if shop == GROCERY and not (Path(home) / "shops" / f"{GROCERY}.duckdb").exists():
        from bench.quality import build_shops
        build_shops(home, [GROCERY])
    with Store.open(shop) as store:
        if shop == SHOP and not store.rows("SELECT 1 FROM customers LIMIT 1"):
            from core.ingest import ingest
            ingest.import_paths(store, sorted(REAL.glob("*.parquet")))
        have = {m["kind"] for m in embeddings.latest_per_kind(store)}
        for kind in ("gru", "transformer"):
            if kind not in have:
                embeddings.train(store, kind, epochs=epochs, seed=0)
        if defaults.load(store) is None:
            defaults.choose_and_save(store)


def model_ids(home: str, shop: str) -> dict[str, str]:
    os.environ["SHOPLENS_HOME"] = home
    from core.learn import embeddings
    from core.store.store import Store
    with Store.open(shop, read_only=True) as store:
        return {m["kind"]: m["model_id"] for m in embeddings.latest_per_kind(store)}


def export(home: str, shop: str, model: str, reasons: bool, one_by_one: bool,
           limit: int | None) -> dict:
    """One ``recommend --all`` in its own process: its summary, wall time and peak RSS."""
    out = Path(home) / f"export-{model}-{reasons}-{one_by_one}.csv"
    cmd = [sys.executable, "-m", "core.cli", "recommend", "--shop", shop, "--all", "--out", str(out),
           "--model", model, "--json"]
    cmd += [] if reasons else ["--no-reasons"]
    cmd += ["--one-by-one"] if one_by_one else []
    cmd += [] if limit is None else ["--limit", str(limit)]
    env = {**os.environ, "SHOPLENS_HOME": home}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    stdout = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode})")
    summary = json.loads(stdout.strip().splitlines()[-1])
    return {**summary, "wall_seconds": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "load": round(os.getloadavg()[0], 2), "csv": str(out)}


def compare(a: str, b: str) -> dict:
    """Customers whose lists (products in order) differ between two exports, and score cells
    that differ (the CSVs may cover different customers: the common ones are compared)."""
    import pandas as pd
    x = pd.read_csv(a, keep_default_na=False, dtype=str)
    y = pd.read_csv(b, keep_default_na=False, dtype=str)
    common = sorted(set(x["customer_key"]) & set(y["customer_key"]))
    x = x[x["customer_key"].isin(common)].reset_index(drop=True)
    y = y[y["customer_key"].isin(common)].reset_index(drop=True)
    if len(x) != len(y):
        return {"customers": len(common), "lists_differ": len(common), "scores_differ": None}
    rest = [c for c in x.columns if c != "score"]
    rows = (x[rest] != y[rest]).any(axis=1)
    return {"customers": len(common), "lists_differ": int(x.loc[rows, "customer_key"].nunique()),
            "scores_differ": int((x["score"] != y["score"]).sum()), "rows": len(x)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", help="a data folder to build the shop in once and reuse")
    parser.add_argument("--shop", choices=[SHOP, GROCERY], default=SHOP,
                        help="Online Retail II, or the generated 65k-product grocery shop")
    parser.add_argument("--no-one-by-one", action="store_true",
                        help="block scoring only (the one-request path takes long on large shops)")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--epochs", type=int, default=1, help="training epochs of the neural models")
    parser.add_argument("--reasons-limit", type=int, default=1000,
                        help="customers the one-by-one path exports with reasons")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from bench.shops import machine
    home = args.home or tempfile.mkdtemp(prefix="shoplens-export-")
    started = time.perf_counter()
    build(home, args.shop, args.epochs)
    ids = model_ids(home, args.shop)
    mach = machine()
    mach["load_average"] = [round(x, 2) for x in os.getloadavg()]
    rows = []
    header = ("| model | reasons | path | customers | seconds | customers/s | new/old | peak RSS (MB) | "
              "lists differ | scores differ | load |")
    lines = [header, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print(header, flush=True)  # noqa: T201
    print(lines[1], flush=True)  # noqa: T201
    for model in args.models:
        name = ids.get(model, model)
        for reasons in (False, True):
            new = export(home, args.shop, name, reasons, False, None)
            if args.no_one_by_one:
                old, same = None, {"lists_differ": "", "scores_differ": ""}
            else:
                old = export(home, args.shop, name, reasons, True,
                             args.reasons_limit if reasons else None)
                same = compare(new["csv"], old["csv"])
            for path, r in (("one request each", old), ("blocks", new)):
                if r is None:
                    continue
                ratio = None if old is None else new["customers_per_second"] / max(
                    old["customers_per_second"], 1e-9)
                row = {"model": model, "model_id": name, "reasons": reasons, "path": path, **r, **same,
                       "ratio": ratio}
                rows.append(row)
                ratio = f"{ratio:.1f}x" if path == "blocks" and ratio is not None else ""
                line = (f"| {model} | {'yes' if reasons else 'no'} | {path} | {r['customers']:,} | "
                        f"{r['seconds']:.1f} | {r['customers_per_second']:,.0f} | {ratio} | "
                        f"{r['peak_rss_mb']:,.0f} | {same['lists_differ'] if path == 'blocks' else ''} | "
                        f"{same['scores_differ'] if path == 'blocks' else ''} | {r['load']:.1f} |")
                lines.append(line)
                print(line, flush=True)  # noqa: T201
            for r in (old, new):
                if r is not None:
                    Path(r["csv"]).unlink(missing_ok=True)  # personal data: customer keys
    mach["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    command = "`.venv/bin/python bench/export.py " + " ".join(sys.argv[1:]) + "`"
    neural = ", ".join(f"{k} `{v}`" for k, v in sorted(ids.items()))
    title = "Online Retail II" if args.shop == SHOP else "the generated 65k-product grocery shop"
    text = (f"# `shoplens recommend --all` on {title}: throughput and memory\n\n"
            f"Generated by {command.replace(' `', '`')} on {mach['cpus']} CPUs ({mach['cpu']}), torch "
            f"threads {mach['torch_threads']}; Python {mach['python']}, torch {mach['torch']}, numpy "
            f"{mach['numpy']}, pandas {mach['pandas']}; commit {mach['commit']}; load average "
            f"{mach['load_average'][0]:.1f} at the start, {mach['load_average_end'][0]:.1f} at the end "
            f"(1-minute averages on a shared machine); {time.perf_counter() - started:.0f} s.\n\n"
            f"Neural models trained {args.epochs} epoch(s) each for this run ({neural}): enough for "
            "throughput, not for quality. Default controls (the shop's own, chosen on validation "
            "baskets), each customer's usual context, top 10. One process per row; peak RSS is that "
            "process's own. With reasons, 'one request each' exports the first "
            f"{args.reasons_limit:,} customers; every other row the whole shop. 'lists differ': "
            "customers (of those both paths exported) whose products or their order differ between "
            "the two paths; 'scores differ': score cells that differ (a float32 model's last digit). "
            + ("Targets: >= 500 customers/s without reasons, < 2 GB peak, every model.\n\n"
               if args.shop == SHOP else "Target: < 4 GB peak, every model.\n\n")
            + "\n".join(lines) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "export" if args.shop == SHOP else "export_grocery"
    (RESULTS / f"{stem}.md").write_text(text, encoding="utf-8")
    (RESULTS / f"{stem}.json").write_text(json.dumps({"machine": mach, "command": command, "rows": rows},
                                                    indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
