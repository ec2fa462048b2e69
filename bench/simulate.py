"""A/B simulator benchmark: speed at 50,000 customers, and how honest the statistics are.

    .venv/bin/python bench/simulate.py            # ~15 min on 2 cores; writes bench/results/simulate.md
    .venv/bin/python bench/simulate.py --quick    # smoke run

1. **Speed**: a generated shop with 50,000 customers; a test of 30 days with 2 arms, timed end to
   end (``core.abtest.abtest.simulate_shop``: the world, every customer's list per arm, the daily run,
   the repeats and the off-policy check), for best-sellers vs item-kNN and best-sellers vs a GRU
   (trained for one epoch beforehand, not timed).
2. **Statistics** on synthetic worlds with a known true lift (``core.abtest.world.synthetic``): coverage
   of the 95% interval for every metric at two traffic levels, false positives with no true
   difference, false positives when looking every day (plain interval vs always-valid band),
   and the off-policy estimators' bias over repeated logs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
OUT = ROOT / "bench" / "results"
log = logging.getLogger("bench.simulate")
LINES: list[str] = []


def say(line: str = "") -> None:
    LINES.append(line)
    print(line, flush=True)  # noqa: T201 - a benchmark prints its table


def speed(args: argparse.Namespace) -> list[dict]:
    from core.abtest import abtest, policies
    from core.demo import demo
    from core.demo.config import SynthConfig
    from core.learn import embeddings
    from core.store.store import Store

    started = time.perf_counter()
    demo.create_demo_shop("big", SynthConfig(n_customers=args.customers, n_products=args.products),
                          replace=True)
    build = time.perf_counter() - started
    with Store.open("big") as store:
        n = int(store.scalar("SELECT count(*) FROM customers"))
        started = time.perf_counter()
        embeddings.train(store, "gru", epochs=1, seed=0)
        train = time.perf_counter() - started
    log.info("shop built in %.0fs (%d customers); GRU trained in %.0fs", build, n, train)
    rows = []
    with Store.open("big", read_only=True) as store:
        for challenger in ("itemknn", "gru"):
            for repeats in (0, 20):
                arms = [policies.parse_arm("A=popularity"), policies.parse_arm(f"B={challenger}")]
                plan = abtest.Plan(arms, days=30, repeats=repeats)
                started = time.perf_counter()
                prepared = abtest.prepare(store, plan)
                prep = time.perf_counter() - started
                report = abtest.execute(prepared, plan)
                total = time.perf_counter() - started
                rows.append({"arms": f"best-sellers vs {challenger}", "customers": n, "days": 30,
                             "repeats": repeats, "prepare_s": prep, "run_s": total - prep, "total_s": total,
                             "visitors": sum(a["visitors"] for a in report["arms"])})
                log.info("%s", rows[-1])
    return rows


def coverage(world, a, b, days: int, repeats: int) -> dict[str, float]:
    from core.abtest import simulate
    ta, tb = simulate.expected(world, a, days), simulate.expected(world, b, days)
    hit = dict.fromkeys(simulate.METRICS, 0)
    visitors = []
    for seed in range(repeats):
        run = simulate.run(world, [a, b], np.array([1.0, 1.0]), days, seed, snapshots=False)
        visitors.append(int((run.totals.visits > 0).sum()))
        for m in hit:
            lift = simulate.lift(run.totals, run.arm, m, 0, 1)
            hit[m] += lift.rel_low <= tb[m] / ta[m] - 1 <= lift.rel_high
    out = {m: h / repeats for m, h in hit.items()}
    out["visitors_per_arm"] = float(np.mean(visitors)) / 2
    out.update({f"true_{m}": tb[m] / ta[m] - 1 for m in simulate.METRICS})
    return out


def statistics(args: argparse.Namespace) -> dict:
    from core.abtest import offpolicy, simulate
    from core.abtest import world as world_mod
    result: dict = {"coverage": {}}
    for n in (4_000, 20_000):
        w = world_mod.synthetic(n, 300, seed=1)
        a = simulate.exposure(w, np.tile(np.argsort(-w.attract)[:10], (n, 1)))
        b = simulate.exposure(w, world_mod.best_lists(w))
        result["coverage"][n] = coverage(w, a, b, 14, args.repeats)
        log.info("coverage at %d customers: %s", n, result["coverage"][n])
    w = world_mod.synthetic(3_000, 200, seed=2)
    a = simulate.exposure(w, np.tile(np.argsort(-w.attract)[:10], (3_000, 1)))
    fp = dict.fromkeys(simulate.METRICS, 0)
    for seed in range(args.repeats):
        run = simulate.run(w, [a, a], np.array([1.0, 1.0]), 7, seed, snapshots=False)
        for m in fp:
            fp[m] += simulate.lift(run.totals, run.arm, m, 0, 1).p_value < 0.05
    result["false_positives"] = {m: v / args.repeats for m, v in fp.items()}
    planned = float((1 - np.exp(-w.rate * w.season(30).sum())).sum())
    naive = always = 0
    for seed in range(args.peeks):
        run = simulate.run(w, [a, a], np.array([1.0, 1.0]), 30, seed, metric="conversion", n_star=planned)
        days = [d for d in run.daily if d["arm"] == 1 and np.isfinite(d["low"])]
        naive += any(d["low"] > 0 or d["high"] < 0 for d in days)
        always += any(d["seq_low"] > 0 or d["seq_high"] < 0 for d in days)
    result["peeking"] = {"repeats": args.peeks, "naive": naive / args.peeks,
                         "always_valid": always / args.peeks}
    w = world_mod.synthetic(20_000, 300, seed=1)
    pop = np.tile(np.argsort(-w.attract)[:10], (20_000, 1))
    best = world_mod.best_lists(w)
    truth = {"A": offpolicy.true_value(w, pop), "B": offpolicy.true_value(w, best)}
    est: dict[tuple[str, str], list[float]] = {}
    cover: dict[tuple[str, str], int] = {}
    for seed in range(args.logs):
        log_ = offpolicy.generate_log(w, [pop, best], 20_000, seed=seed)
        table = offpolicy.evaluate(log_, {"A": pop, "B": best}, w.taste.argmax(axis=1), 300, seed)
        for row in table.itertuples():
            est.setdefault((row.arm, row.estimator), []).append(row.value)
            cover[(row.arm, row.estimator)] = cover.get((row.arm, row.estimator), 0) + (
                row.low <= truth[row.arm] <= row.high)  # no interval (DM on a thin model): not covered
    result["offpolicy"] = []
    for (arm, e), v in est.items():
        se = np.std(v, ddof=1) / np.sqrt(len(v))
        result["offpolicy"].append({"arm": arm, "estimator": e, "true": truth[arm], "mean": float(np.mean(v)),
                                    "bias_in_se": float((np.mean(v) - truth[arm]) / se),
                                    "coverage": cover[(arm, e)] / len(v)})
    return result


def report(speed_rows: list[dict], st: dict, args: argparse.Namespace) -> None:
    from core.abtest.simulate import METRICS

    say("## Speed: 30 days, 2 arms, the whole test (world, lists, run, repeats, off-policy check)\n")
    say("| arms | customers | repeats | world + lists (s) | simulation (s) | total (s) | visitors |")
    say("|---|---:|---:|---:|---:|---:|---:|")
    for r in speed_rows:
        say(f"| {r['arms']} | {r['customers']:,} | {r['repeats']} | {r['prepare_s']:.1f} | "
            f"{r['run_s']:.1f} | {r['total_s']:.1f} | {r['visitors']:,} |")
    say("\n## Coverage of the true lift by the 95% interval (synthetic worlds, 14 days)\n")
    say(f"{args.repeats} repeats per world; the true lift is exact (`core.abtest.simulate.expected`).\n")
    say("| customers | visitors per arm | " + " | ".join(METRICS.values()) + " |")
    say("|---:|---:|" + "---:|" * len(METRICS))
    for n, c in st["coverage"].items():
        cells = " | ".join(f"{c[m]:.1%}" for m in METRICS)
        say(f"| {n:,} | {c['visitors_per_arm']:,.0f} | {cells} |")
    true = " | ".join(f"{st['coverage'][20_000][f'true_{m}']:+.1%}" for m in METRICS)
    say(f"| true lift (20,000) | | {true} |")
    say("\n## False positives with no true difference (p < 0.05, 3,000 customers, 7 days)\n")
    say("| " + " | ".join(METRICS.values()) + " |")
    say("|" + "---:|" * len(METRICS))
    say("| " + " | ".join(f"{st['false_positives'][m]:.1%}" for m in METRICS) + " |")
    p = st["peeking"]
    say(f"\n## Looking every day for 30 days, no true difference ({p['repeats']} tests, conversion)\n")
    say("| reading | tests with a false 'significant' on some day |")
    say("|---|---:|")
    say(f"| the plain 95% interval, every day | {p['naive']:.1%} |")
    say(f"| the always-valid band, every day | {p['always_valid']:.1%} |")
    say(f"\n## Off-policy estimates over {args.logs} logs of 20,000 rounds (featured-slot click-through)\n")
    say("| arm | estimator | true | mean estimate | bias / its standard error | 95% interval covers |")
    say("|---|---|---:|---:|---:|---:|")
    for r in st["offpolicy"]:
        say(f"| {r['arm']} | {r['estimator']} | {r['true']:.4f} | {r['mean']:.4f} | "
            f"{r['bias_in_se']:+.2f} | {r['coverage']:.1%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 customers, few repeats")
    parser.add_argument("--customers", type=int, help="customers of the speed shop (50,000)")
    parser.add_argument("--products", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, help="repeats per coverage / false-positive check (2,000)")
    parser.add_argument("--peeks", type=int, help="tests in the daily-peeking check (1,000)")
    parser.add_argument("--logs", type=int, help="logs in the off-policy check (200)")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    args.customers = args.customers or (5_000 if args.quick else 50_000)
    args.repeats = args.repeats or (100 if args.quick else 2_000)
    args.peeks = args.peeks or (50 if args.quick else 1_000)
    args.logs = args.logs or (20 if args.quick else 200)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("core", "models", "numba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from recommend import busy_note, machine

    home = tempfile.mkdtemp(prefix="shoplens-simulate-")
    os.environ["SHOPLENS_HOME"] = home
    mach = machine()
    command = "`.venv/bin/python bench/simulate.py " + " ".join(sys.argv[1:]) + "`"
    say(f"# A/B simulator: speed and honest statistics\n\nGenerated by {command} on {mach['cpus']} CPUs "
        f"({mach['cpu']}); Python {mach['python']}, torch {mach['torch']}, numpy {mach['numpy']}, scipy "
        f"{mach['scipy']}; commit {mach['commit']}.\n")
    if busy_note(mach):
        say(busy_note(mach))
    speed_rows = [] if args.skip_speed else speed(args)
    st = statistics(args)
    report(speed_rows, st, args)
    if not args.quick:
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "simulate.md").write_text("\n".join(LINES) + "\n", encoding="utf-8")
        data = {"machine": mach, "args": vars(args), "speed": speed_rows, "statistics": st}
        (OUT / "simulate.json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
