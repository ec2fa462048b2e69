"""The markdown tables of ``bench/recommend.py``: heads, one line per measured row."""

from __future__ import annotations

TARGET_P95_MS = 50.0
TARGET_FAITH = 0.80
MODE_SHORT = {"personalized": "pers", "best-sellers": "best", "segment": "seg", "new": "new",
              "non-personalized": "non-pers"}


LATENCY_HEAD = ["| model | reasons | requests | p50 (ms) | p95 (ms) | p99 (ms) | mean (ms) | max (ms) | "
                "p95 < 50 ms | modes | picks/list | picks with 'because you' | load |",
                "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"]
BATCH_HEAD = ["| model | reasons | customers run | seconds | customers/s | in recommend() | "
              "whole shop (s) | load |", "|---|---|---:|---:|---:|---:|---:|---:|"]
FAITH_HEAD = ["| shop | model | epochs | customers drawn | with a 'because you' reason | picks citing "
              "history | cases | lowered | share lowered | >= 80% | seconds |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]


def latency_line(r: dict) -> str:
    modes = ", ".join(f"{MODE_SHORT.get(m, m)} {s:.0%}" for m, s in sorted(r["modes"].items()))
    ok = ("yes" if r["p95_ms"] < TARGET_P95_MS else "**no**") if r["reasons"] else "-"
    cited = f"{r['history_reason_share']:.0%}" if r["reasons"] else "-"
    return (f"| {r['model']} | {'yes' if r['reasons'] else 'no'} | {r['requests']:,} | "
            f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['mean_ms']:.1f} | "
            f"{r['max_ms']:.1f} | {ok} | {modes} | {r['picks_per_list']:.1f} | "
            f"{cited} | {r['load']:.1f} |")


def batch_line(r: dict) -> str:
    whole = f"{r['shop_seconds']:,.0f}" + (" (extrapolated)" if r["extrapolated"] else "")
    return (f"| {r['model']} | {'yes' if r['reasons'] else 'no'} | {r['customers']:,} | "
            f"{r['seconds']:.1f} | {r['customers_per_second']:.1f} | {r['request_share']:.0%} | "
            f"{whole} | {r['load']:.1f} |")


def faith_line(r: dict) -> str:
    ok = "-" if not r["cases"] else ("yes" if r["share"] >= TARGET_FAITH else "**no**")
    share = "-" if not r["cases"] else f"{r['share']:.1%}"
    epochs = "-" if r["epochs"] is None else f"{r['epochs']} (ran {r['epochs_run']})"
    cited = "-" if not r.get("picks") else f"{r['cited_share']:.0%}"
    return (f"| {r['shop']} | {r['model']} | {epochs} | {r['drawn']:,} | {r['customers']:,} | "
            f"{cited} | {r['cases']:,} | {r['lowered']:,} | {share} | {ok} | {r['seconds']:.1f} |")


def trained_lines(shop: str, trained: dict[str, dict]) -> list[str]:
    return [f"- {shop}: {kind} `{t['model_id']}`, {t['weights'] / 1e6:.2f}M weights, epochs "
            f"{t['epochs']} (ran {t['epochs_run']}, best {t['best_epoch']}), trained in "
            f"{t['train_seconds']:.0f} s, valid NDCG@10 {t['valid_ndcg@10'] or float('nan'):.4f}"
            for kind, t in trained.items()]
