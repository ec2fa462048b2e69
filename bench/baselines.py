"""Quality, fit time and memory of the non-neural baselines on Online Retail II.

    python bench/baselines.py --tune   # grid search on the VALIDATION baskets, prints TUNED
    python bench/baselines.py          # test metrics with models.baselines.TUNED

The shop is imported into a temporary SHOPLENS_HOME from ../shared/data/online_retail_ii (both
years), read with ``LogOptions(purchases_only=True, min_baskets=2)`` and split by time with
``models.data.split`` (10 % validation, 10 % test). Each model is fitted and evaluated in a spawned
child process so that its peak resident memory can be read on its own (``peak MB`` is the child's
high-water mark minus its resident size once the split is loaded: what the model added on top).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import baselines  # noqa: E402
from models.data import Split, split  # noqa: E402
from models.metrics import evaluate  # noqa: E402

log = logging.getLogger("bench.baselines")
DATA = ROOT.parent / "shared" / "data" / "online_retail_ii"
SHOP = "online_retail_ii"

# The validation grid: every combination is fitted on train and scored on validation baskets.
GRID: dict[str, dict[str, list[Any]]] = {
    "popularity": {},
    "recent_popularity": {"days": [7, 14, 30, 60, 90, 180]},
    "repeat": {"half_life_days": [None, 14, 30, 60, 90, 180, 365]},
    "itemknn": {"unit": ["user", "basket"], "neighbours": [50, 100, 200, 500],
                "shrink": [0.0, 10.0, 100.0, 300.0, 1000.0],
                "half_life_days": [None, 30, 90, 180, 365]},
    "ease": {"l2": [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0]},
    "als": {"factors": [64, 128, 256], "reg": [1.0, 10.0, 30.0, 100.0, 300.0],
            "alpha": [0.5, 1.0, 2.0, 5.0, 10.0]},
    # around the authors' and cornac's settings (k=300-900, r_b 0.9, r_g 0.6-0.7, alpha 0.2-0.7)
    "tifuknn": {"neighbours": [25, 50, 100, 300, 900], "within_decay": [0.9, 1.0],
                "group_decay": [0.6, 0.8], "alpha": [0.1, 0.2, 0.5, 0.8], "n_groups": [3, 7]},
    # around the paper's grid (r 1-inf, alpha 0.25-0.75, q 1-10, k up to 1000)
    "upcf": {"recency": [1, 5, 25, 0], "asymmetry": [0.25, 0.5, 0.75], "locality": [1.0, 5.0],
             "neighbours": [100, 300]},
}


def load_split(data: Path) -> Split:
    """Import both Online Retail II files into a throw-away shop and split its baskets."""
    from core.ingest import ingest
    from core.shop.sequences import LogOptions, event_log
    from core.store.store import Store

    files = sorted(data.glob("online_retail_ii_*.parquet"))
    if not files:
        raise SystemExit(f"No Online Retail II parquet files in {data}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as home:
        os.environ["SHOPLENS_HOME"] = home
        store = Store.open("uci")
        try:
            ingest.import_paths(store, files)
            events = event_log(store, LogOptions(purchases_only=True, min_baskets=2))
        finally:
            store.close()
    result = split(events)
    log.info("%d users, %d items, %d purchase events; %d train events, %d valid / %d test "
             "baskets (%.1fs)", events.n_users, events.n_items, len(events.item),
             len(result.train.item), len(result.valid), len(result.test),
             time.perf_counter() - started)
    return result


def _memory_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident) of this process, from /proc."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Start the peak-RSS count afresh (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError as err:
        log.warning("cannot reset the peak memory count (%s); peak MB includes loading", err)


def _run(name: str, params: dict[str, Any], data: Split, which: str) -> dict[str, float]:
    _reset_peak()
    start_rss = _memory_mb("VmRSS")
    model = baselines.make(name, params)
    t0 = time.perf_counter()
    model.fit(data)
    t1 = time.perf_counter()
    metrics = evaluate(model, data, which)
    t2 = time.perf_counter()
    peak = _memory_mb("VmHWM")
    return {**metrics, "fit_s": t1 - t0, "eval_s": t2 - t1, "peak_mb": peak - start_rss}


def _child(conn: Any, name: str, params: dict[str, Any], data: Split, which: str) -> None:
    conn.send(_run(name, params, data, which))
    conn.close()


def measure(name: str, params: dict[str, Any], data: Split, which: str) -> dict[str, float]:
    """Fit and evaluate one model in a fresh child process (for a clean peak-memory reading).
    Spawned, not forked: a fork after torch's OpenMP pool has run can deadlock."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, name, params, data, which))
    proc.start()
    result = parent.recv()
    proc.join()
    return result


def tune(data: Split, names: list[str]) -> dict[str, dict[str, Any]]:
    """Best parameters per model by validation NDCG@10."""
    best: dict[str, dict[str, Any]] = {}
    for name in names:
        grid = GRID[name]
        keys = list(grid)
        scored = []
        for values in itertools.product(*(grid[k] for k in keys)):
            params = dict(zip(keys, values))
            res = _run(name, params, data, "valid")
            scored.append((res["ndcg@10"], params))
            log.info("valid %-18s %-70s ndcg@10 %.4f recall@10 %.4f (fit %.1fs)", name,
                     params, res["ndcg@10"], res["recall@10"], res["fit_s"])
        score, params = max(scored, key=lambda s: s[0])
        log.info("best %s: %s (valid ndcg@10 %.4f)", name, params, score)
        best[name] = params
    return best


def table(data: Split, params: dict[str, dict[str, Any]], which: str, names: list[str]) -> str:
    """A markdown table of metrics, fit/eval seconds and peak memory per baseline."""
    cols = ["ndcg@10", "recall@10", "recall@20", "ndcg@20", "hitrate@10", "mrr", "coverage@10",
            "popularity@10"]
    lines = ["| model | params | " + " | ".join(cols) + " | fit s | eval s | peak MB |",
             "|---" * (len(cols) + 5) + "|"]
    for name in names:
        p = params.get(name, {})
        res = measure(name, p, data, which)
        shown = ", ".join(f"{k}={v}" for k, v in p.items()) or "defaults"
        lines.append(f"| {name} | {shown} | " + " | ".join(f"{res[c]:.4f}" for c in cols)
                     + f" | {res['fit_s']:.1f} | {res['eval_s']:.1f} | {res['peak_mb']:.0f} |")
        log.info("%s done", name)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--tune", action="store_true", help="grid search on validation baskets")
    ap.add_argument("--which", choices=("valid", "test"), default="test")
    ap.add_argument("--only", nargs="+", choices=sorted(baselines.BASELINES),
                    default=list(baselines.BASELINES), help="models to tune or measure")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("models.baselines").setLevel(logging.WARNING)
    data = load_split(args.data)
    if args.tune:
        best = tune(data, args.only)
        sys.stdout.write(f"TUNED[{SHOP!r}] = {best!r}\n")
        sys.stdout.write(table(data, best, "valid", args.only))
    else:
        sys.stdout.write(table(data, baselines.TUNED.get(SHOP, {}), args.which, args.only))


if __name__ == "__main__":
    main()
