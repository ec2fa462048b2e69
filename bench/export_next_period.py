"""The lists a merchant exports, scored under the next-period protocol (issue 16).

    .venv/bin/python bench/export_next_period.py                 # Online Retail II and the demo shop
    .venv/bin/python bench/export_next_period.py --shops demo    # the demo shop only (minutes)

For each shop: the cutoff is the next-period protocol's (``models.data.split_next_period``: the
90% quantile of purchase times, on the purchase log ``bench/quality.py`` reads for that shop),
worked out on the full data. The export files are then cut strictly before it
(``bench/export_cut.py``) and imported with the real ``shoplens import`` into a fresh shop, which
holds no event at or after the cutoff (asserted). On that shop, as a merchant would:
``shoplens train --model gru`` (default epochs; it also chooses the shop's default list settings),
``shoplens recommend --all --no-reasons`` for the GRU with the default controls, then
``--include-bought --context-weight 0``; the same for the transformer; then every baseline the CLI
serves, with the shop's defaults. Each CSV is scored against each returning customer's first basket
after the cutoff (full catalog, repeats allowed; binary relevance over the basket's distinct
products, as ``models.metrics``): NDCG@10, Recall@10, HitRate@10; a customer without a list
scores 0. The baselines are also scored directly on the same targets (``bench scoring``: tuned
parameters ``models.baselines.TUNED``, fitted on the pre-cutoff event log before its validation
time, histories up to the cutoff, ties as ``models.metrics``), and so are the neural models' raw
scores. Everything (both shops, the cut files, the CSVs: they hold customer keys) lives in one
temporary folder, removed on every exit path. Writes bench/results/export_next_period.md + .json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import export_cut, export_scoring  # noqa: E402
from bench.quality import REAL, _options  # noqa: E402

RESULTS = ROOT / "bench" / "results"
NEURAL = ("gru", "transformer")
CLI_BASELINES = ("popularity", "recent_popularity", "repeat", "itemknn", "ease", "als", "tifuknn", "upcf")
RAW_OFF = ["--include-bought", "--context-weight", "0"]
BENCH_BASELINE = "bench scoring (raw scores)"
# a diagnostic: the same with products out of stock allowed too (the demo's catalog is the
# generator's end-of-year snapshot, so some products bought after the cutoff are out of stock)
NO_STOCK = [*RAW_OFF, "--include-out-of-stock"]
log = logging.getLogger("bench.export_next_period")


def shoplens(home: Path, *args: str) -> tuple[str, float]:
    """Run the real ``shoplens`` command with ``SHOPLENS_HOME=home``: (stdout, seconds)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "core.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, env={**os.environ, "SHOPLENS_HOME": str(home)})
    if done.returncode != 0:
        raise RuntimeError(f"shoplens {' '.join(args)} failed ({done.returncode}): "
                           f"{done.stderr[-2000:]}")
    return done.stdout, time.perf_counter() - started


def full_shop(shop: str, home: Path) -> tuple[list[Path], dict]:
    """Build the shop from all its data; its sources, cutoff and targets (full-shop keys)."""
    os.environ["SHOPLENS_HOME"] = str(home)
    from core.demo import demo
    from core.ingest import ingest
    from core.shop import sequences
    from core.store import pseudonym
    from core.store.store import Store
    from models import data

    if shop == "demo":
        demo.create_demo_shop("demo")
        sources = sorted(demo.source_folder("demo").glob("*.parquet"))
    else:
        sources = sorted(REAL.glob("online_retail_ii_*.parquet"))
        with Store.open(shop) as store:
            ingest.import_paths(store, sources)
    with Store.open(shop, read_only=True) as store:
        log_ = sequences.event_log(store, _options(shop))
        split = data.split_next_period(log_)
        raws = export_cut.raw_ids(sources)
        keys = pseudonym.pseudonymize(store, raws)
        before = int(store.scalar("SELECT count(*) FROM events WHERE epoch(ts) < ?", [split.t_test]))
    raw_of = dict(zip(keys, raws, strict=True))
    targets = [(raw_of[log_.user_ids[t.user]], {log_.item_ids[i] for i in t.items}) for t in split.test]
    return sources, {"cutoff": split.t_test, "targets": targets, "events_before": before,
                     "valid_from": split.t_valid}


def pre_shop(shop: str, sources: list[Path], cutoff: int, work: Path) -> tuple[Path, dict]:
    """Cut the sources strictly before ``cutoff``, import them with ``shoplens import`` into a
    fresh home and check that nothing at or after the cutoff got in."""
    home, folder = work / "pre", work / "cut"
    cuts = export_cut.write_before(sources, export_cut.TIME_COLUMNS[shop],
                                   pd.Timestamp(cutoff, unit="s"), folder)
    shoplens(home, "import", "--shop", shop, *map(str, sorted(folder.glob("*.parquet"))))
    os.environ["SHOPLENS_HOME"] = str(home)
    from core.store.store import Store
    with Store.open(shop, read_only=True) as store:
        latest = int(store.scalar("SELECT max(epoch(ts))::BIGINT FROM events"))
        events = int(store.scalar("SELECT count(*) FROM events"))
    assert latest < cutoff, f"{shop}: the imported shop holds an event at {latest} >= cutoff {cutoff}"
    return home, {"latest_event": latest, "events": events,
                  "files": {c.name: {"rows": c.rows, "kept": c.kept, "unreadable": c.unreadable}
                            for c in cuts}}


def shop_defaults(shop: str, home: Path) -> dict:
    """The shop's default list settings as kept in its store (chosen after the latest training)."""
    os.environ["SHOPLENS_HOME"] = str(home)
    from core.recommend import defaults
    from core.store.store import Store
    with Store.open(shop, read_only=True) as store:
        choice = defaults.load(store)
    if choice is None:
        return {"chosen": defaults.BUILT_IN + " (built-in: none chosen)", "for_model": None, "scores": {}}
    return {"chosen": choice.chosen, "for_model": choice.model, "scores": choice.scores,
            "baskets": choice.baskets}


def export(shop: str, home: Path, work: Path, model: str, extra: list[str]) -> tuple[Path, dict]:
    out = work / f"{model}_{len(extra)}.csv"
    stdout, seconds = shoplens(home, "recommend", "--shop", shop, "--all", "--out", str(out),
                               "--model", model, "--no-reasons", "--json", *extra)
    return out, {**json.loads(stdout.strip().splitlines()[-1]), "command_seconds": seconds}


def run_shop(shop: str, work: Path, kinds: tuple[str, ...], cli_baselines: tuple[str, ...]) -> list[dict]:
    started = time.perf_counter()
    sources, full = full_shop(shop, work / "full")
    cutoff = full["cutoff"]
    home, pre = pre_shop(shop, sources, cutoff, work)
    log.info("%s: cutoff %s, %d targets; imported %d events (full shop: %d before the cutoff)",
             shop, pd.Timestamp(cutoff, unit="s"), len(full["targets"]), pre["events"],
             full["events_before"])
    keys = export_scoring.key_map(shop, home, [raw for raw, _ in full["targets"]])
    targets = [(keys.get(raw), items) for raw, items in full["targets"]]
    rows, trained = [], {}
    base = {"shop": shop, "cutoff": str(pd.Timestamp(cutoff, unit="s")), "targets": len(targets)}
    for kind in kinds:
        stdout, seconds = shoplens(home, "train", "--shop", shop, "--model", kind, "--quiet")
        info = json.loads(stdout.strip().splitlines()[-1])
        trained[kind] = info["model_id"]
        chosen = shop_defaults(shop, home)
        log.info("%s: %s trained in %.0f s (in use: %s); defaults: %s", shop, kind, seconds,
                 info["in_use"], chosen["chosen"])
        for extra in ([], RAW_OFF, NO_STOCK):
            csv, summary = export(shop, home, work, info["model_id"], extra)
            made = "CLI export, " + ("default controls" if not extra else " ".join(extra))
            rows.append({**base, "model": kind, "made": made,
                         **export_scoring.score_csv(csv, targets), "train_seconds": seconds,
                         "defaults": chosen["chosen"] if not extra else "(flags given)",
                         "defaults_for": chosen["for_model"], "default_scores": chosen["scores"],
                         "in_use": info["in_use"], "epochs_best": info.get("best_epoch"),
                         "export": summary})
            csv.unlink()
            log.info("%s", rows[-1])
    chosen = shop_defaults(shop, home)
    for name in cli_baselines:
        csv, summary = export(shop, home, work, name, [])
        rows.append({**base, "model": name, "made": "CLI export, default controls",
                     **export_scoring.score_csv(csv, targets), "defaults": chosen["chosen"],
                     "defaults_for": chosen["for_model"], "export": summary, "baseline": True})
        csv.unlink()
        log.info("%s", rows[-1])
    try:
        scored = export_scoring.bench_scores(shop, home, full["targets"], cutoff, trained, CLI_BASELINES)
    except Exception:  # the exports above are kept: a table without the bench rows still says much
        log.exception("%s: bench scoring failed", shop)
        scored = {}
    for name, res in scored.items():
        rows.append({**base, "model": name, "made": BENCH_BASELINE
                     if name not in trained else "bench scoring (model's raw scores)", **res,
                     "baseline": name not in trained})
        log.info("%s", rows[-1])
    for r in rows:
        r.setdefault("baseline", False)
        r["cut"] = pre
        r["shop_seconds"] = time.perf_counter() - started
    return rows


def ratios(rows: list[dict]) -> None:
    """Each row's NDCG@10 over the shop's best baseline (CLI export or bench scoring), and over
    the best baseline's exported list (the same engine filters as the neural export)."""
    for shop in {r["shop"] for r in rows}:
        base = [r for r in rows if r["shop"] == shop and r["baseline"]]
        if not base:
            continue
        best = max(base, key=lambda r: r["ndcg@10"])
        exported = max((r for r in base if r["made"].startswith("CLI")), key=lambda r: r["ndcg@10"],
                       default=best)
        for r in rows:
            if r["shop"] == shop:
                r["best_baseline"] = f"{best['model']} ({_source(best)})"
                r["ratio"] = r["ndcg@10"] / best["ndcg@10"] if best["ndcg@10"] > 0 else float("nan")
                r["best_exported_baseline"] = exported["model"]
                r["ratio_exported"] = (r["ndcg@10"] / exported["ndcg@10"] if exported["ndcg@10"] > 0
                                       else float("nan"))


HEADER = ("| shop | model | list made by | NDCG@10 | Recall@10 | HitRate@10 | × best baseline | "
          "× best exported baseline | default settings the shop chose | train (s) | "
          "export (customers/s) |")
RULE = "|---|---|---|" + "---:|" * 5 + "---|---:|---:|"


def line(r: dict) -> str:
    train = f"{r['train_seconds']:.0f}" if r.get("train_seconds") else ""
    speed = f"{r['export']['customers_per_second']:.0f}" if r.get("export") else ""
    defaults = r.get("defaults", "")
    if r.get("defaults_for") and "flags" not in defaults:
        defaults += f" (chosen for the {r['defaults_for'].rsplit(' (', 1)[0]})"  # kind, not the id
    return (f"| {r['shop']} | {r['model']} | {r['made']} | {r['ndcg@10']:.4f} | {r['recall@10']:.4f} | "
            f"{r['hitrate@10']:.4f} | {r.get('ratio', float('nan')):.3f} | "
            f"{r.get('ratio_exported', float('nan')):.3f} | {defaults} | {train} | {speed} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", nargs="+", default=["online_retail_ii", "demo"])
    parser.add_argument("--models", nargs="+", default=list(NEURAL), choices=NEURAL)
    parser.add_argument("--cli-baselines", nargs="*", default=list(CLI_BASELINES))
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the .md from the .json (no shop is built)")
    args = parser.parse_args()
    if args.render:
        write(json.loads((RESULTS / "export_next_period.json").read_text()))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # temp folder removed on kill too
    if "online_retail_ii" in args.shops and not REAL.exists():
        log.warning("Online Retail II not found at %s: skipped", REAL)
        args.shops.remove("online_retail_ii")
    rows = []
    with tempfile.TemporaryDirectory(prefix="shoplens-npexport-") as tmp:
        for shop in args.shops:
            rows += run_shop(shop, Path(tmp) / shop, tuple(args.models), tuple(args.cli_baselines))
    ratios(rows)
    print("\n".join([HEADER, RULE, *map(line, rows)]), flush=True)  # noqa: T201
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "export_next_period.json"
    old = [r for r in (json.loads(path.read_text()) if path.exists() else [])
           if r["shop"] not in args.shops]
    write(old + rows)


def write(rows: list[dict]) -> None:
    """The .json (every row) and the .md (the table and its notes) of ``rows``."""
    order = {"online_retail_ii": 0, "demo": 1}
    rows = sorted(rows, key=lambda r: order.get(r["shop"], 2))  # stable: each shop's own order
    for r in rows:  # rows of an earlier version of this script
        r["made"] = r["made"].replace("bench scoring (tuned, raw scores)", BENCH_BASELINE)
    ratios(rows)
    (RESULTS / "export_next_period.json").write_text(json.dumps(rows, indent=1, default=_plain))
    notes = "\n".join(export_scoring.notes(rows))
    (RESULTS / "export_next_period.md").write_text(
        f"Generated by `.venv/bin/python bench/export_next_period.py` on {os.cpu_count()} CPUs.\n\n"
        + "\n".join([HEADER, RULE, *map(line, rows)]) + "\n\n" + notes + "\n")


def _source(row: dict) -> str:
    return "CLI export" if row["made"].startswith("CLI") else "bench scoring"


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


if __name__ == "__main__":
    main()
