"""Ablation: a neural model's scores blended with TIFU-KNN's, the weight chosen on validation only.

    .venv/bin/python bench/blend.py                                # both protocols, the GRU
    .venv/bin/python bench/blend.py --protocols next_period --model transformer

A "neighbour-informed" side tried after the fact, before building it into a model: on Online
Retail II the neural model (20 epochs, early stopping, seed 0) and TIFU-KNN (its tuned
parameters, ``models.baselines.TUNED``) are fitted on the same split (``bench/quality.py``'s
protocols), and four blends of their scores are scored on the validation baskets for each weight
``w`` of a grid: ``mix`` = (1 - w) P_model + w TIFU (TIFU normalised to sum 1 per customer),
``poe`` = log P_model + w log TIFU; ``tifu`` the whole TIFU-KNN score, ``nb`` its neighbour part
alone (alpha 0). The best ``w`` on validation is scored once on test. Writes bench/results/blend.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import quality  # noqa: E402

SHOP = "online_retail_ii"
GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
log = logging.getLogger("bench.blend")


def _normalised(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, None)
    x[:, 0] = 0
    return x / np.maximum(x.sum(axis=1, keepdims=True), 1e-12)


def _blends(m: dict[str, np.ndarray]) -> dict[str, Callable[[float], np.ndarray]]:
    g = m["model"]
    p = np.exp(g - g.max(axis=1, keepdims=True))
    p[:, 0] = 0
    p /= p.sum(axis=1, keepdims=True)
    tifu, nb = _normalised(m["tifu"]), _normalised(m["nb"])
    return {"mix tifu": lambda w: (1 - w) * p + w * tifu,
            "mix nb": lambda w: (1 - w) * p + w * nb,
            "poe tifu": lambda w: np.log(p + 1e-12) + w * np.log(tifu + 1e-6),
            "poe nb": lambda w: np.log(p + 1e-12) + w * np.log(nb + 1e-6)}


def run(home: str, protocol: str, kind: str) -> list[str]:
    """Table rows of one protocol."""
    os.environ["SHOPLENS_HOME"] = home
    from core.learn import embeddings
    from core.store.store import Store
    from models import baselines, metrics
    from models.encoders import ModelConfig
    from models.recommender import SequenceRecommender
    from models.train import TrainConfig

    with Store.open(SHOP, read_only=True) as store:
        split = embeddings.prepare(store, quality._options(SHOP), protocol).split
    started = time.perf_counter()
    rec = SequenceRecommender(ModelConfig(arch=embeddings.NEURAL[kind]))
    rec.fit(split, TrainConfig(epochs=20, seed=0))
    log.info("%s fitted in %.0f s (best epoch %s)", kind, time.perf_counter() - started,
             rec.result_.best_epoch)
    params = dict(baselines.TUNED.get(SHOP, {}).get("tifuknn", {}))
    fitted = {"model": rec, "tifu": baselines.make("tifuknn", params).fit(split),
              "nb": baselines.make("tifuknn", {**params, "alpha": 0.0}).fit(split)}

    def scores(targets: list) -> dict[str, np.ndarray]:
        return {n: np.vstack([m.score(split.log, targets[i:i + 512]) for i in range(0, len(targets), 512)])
                .astype(np.float64) for n, m in fitted.items()}

    def ndcg(s: np.ndarray, targets: list) -> float:
        return float(metrics.rank_metrics(s, targets)["ndcg@10"].mean())

    valid, test = scores(split.valid), scores(split.test)
    rows = [f"| {protocol} | {name} alone | - | {ndcg(valid[k], split.valid):.4f} | "
            f"{ndcg(test[k], split.test):.4f} |" for k, name in (("model", kind), ("tifu", "TIFU-KNN"),
                                                                 ("nb", "TIFU-KNN neighbours"))]
    on_valid, on_test = _blends(valid), _blends(test)
    for name, blend in on_valid.items():
        by_w = [ndcg(blend(w), split.valid) for w in GRID]
        best = GRID[int(np.argmax(by_w))]
        rows.append(f"| {protocol} | {kind} + {name} | {best} | {max(by_w):.4f} | "
                    f"{ndcg(on_test[name](best), split.test):.4f} |")
        log.info("%s: %s", name, " ".join(f"{w}:{v:.4f}" for w, v in zip(GRID, by_w, strict=True)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--protocols", nargs="+", default=["next_period", "last_basket"])
    parser.add_argument("--model", choices=["gru", "transformer"], default="gru")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    home = tempfile.mkdtemp(prefix="shoplens-blend-")
    quality.build_shops(home, [SHOP])
    lines = ["| protocol | model | w (chosen on validation) | valid NDCG@10 | test NDCG@10 |",
             "|---|---|---:|---:|---:|"]
    for protocol in args.protocols:
        for row in run(home, protocol, args.model):
            lines.append(row)
            print(row, flush=True)  # noqa: T201
    quality.RESULTS.mkdir(parents=True, exist_ok=True)
    (quality.RESULTS / "blend.md").write_text(
        f"Generated by `.venv/bin/python bench/blend.py --protocols {' '.join(args.protocols)} --model "
        f"{args.model}` on {os.cpu_count()} CPUs (Online Retail II).\n\n" + "\n".join(lines) + "\n",
        encoding="utf-8")


if __name__ == "__main__":
    main()
