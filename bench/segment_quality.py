"""Are the segments real? Planted personas recovered, differences tested, names, stability.

    .venv/bin/python bench/segment_quality.py                  # the demo shop and Online Retail II
    .venv/bin/python bench/segment_quality.py --shops demo

For each shop: train the GRU (the demo shop on all its events; Online Retail II on purchases,
every customer with a purchase), build the default segments (learned vectors -> UMAP -> HDBSCAN)
and report the segments with their generated names, the adjusted Rand index against the planted
personas (demo shop only), a Kruskal-Wallis test per profile measure across segments
(Holm-corrected over all measures tested), the agreement across reruns (other seeds, 80%
subsamples) and the value model's error on its later validation period. Writes
bench/results/segment_quality.md and .json.
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
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.segments.types import SegmentConfig

if TYPE_CHECKING:
    from core.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL = ROOT.parent / "shared" / "data" / "online_retail_ii"
RESULTS = ROOT / "bench" / "results"
log = logging.getLogger("bench.segment_quality")


def _personas(store: Store, keys: np.ndarray) -> np.ndarray:
    from core.demo import demo
    from core.store import pseudonym
    truth = pd.read_parquet(demo.source_folder("demo") / "truth" / "personas.parquet")
    truth["key"] = pseudonym.pseudonymize(store, truth["customer_id"].astype(str))
    persona = dict(zip(truth["key"], truth["persona"]))
    return np.array([persona[k] for k in keys])


def measure(shop: str) -> tuple[dict, list[str]]:
    from sklearn.metrics import adjusted_rand_score

    from core.demo import demo
    from core.ingest import ingest
    from core.learn import embeddings
    from core.segments import profiles, segments
    from core.segments import stats as segment_stats
    from core.shop import sequences
    from core.store.store import Store

    if shop == "demo":
        demo.create_demo_shop("demo")
        options = sequences.LogOptions()
    else:
        with Store.open(shop) as store:
            ingest.import_paths(store, sorted(REAL.glob("*.parquet")))
        options = sequences.LogOptions(purchases_only=True, min_baskets=1)
    with Store.open(shop) as store:
        started = time.perf_counter()
        art = embeddings.train(store, "gru", seed=0, options=options)
        train_s = time.perf_counter() - started
        cfg = SegmentConfig()
        started = time.perf_counter()
        run = segments.build(store, art.model_id, cfg)
        build_s = time.perf_counter() - started
        data = profiles.load(store)
        keys, vectors, _, _ = embeddings.customer_vectors(store, art.model_id)
        X = segments.inputs(store, keys, vectors, cfg.parts)
    profs = profiles.segment_profiles(data, run.keys, run.labels)
    diff = segment_stats.differences(data, run.keys, run.labels)
    agree = segment_stats.agreement(X, run.labels, cfg)
    row = {"shop": shop, "customers": int(len(run.keys)), "segments": run.n_segments,
           "unassigned": run.unassigned_share, "train_s": train_s, "build_s": build_s,
           "significant": diff.loc[diff["significant"], "measure"].tolist(),
           "tested": int(len(diff)), "agreement": agree,
           "value_metrics": data.numeric.attrs.get("value_metrics", {}),
           "names": {int(k): p.name for k, p in profs.items()},
           "sizes": {int(k): p.customers for k, p in profs.items()}}
    if shop == "demo":
        with Store.open(shop, read_only=True) as store:
            row["ari_personas"] = float(adjusted_rand_score(_personas(store, run.keys), run.labels))
    lines = [f"### {shop}", "",
             f"{row['customers']:,} customers, {row['segments']} segments, "
             f"{row['unassigned']:.1%} unassigned; GRU trained in {train_s:.0f} s, segments built in "
             f"{build_s:.0f} s."]
    if "ari_personas" in row:
        lines.append(f"Adjusted Rand index against the planted personas: **{row['ari_personas']:.3f}**.")
    lines += [f"Agreement with reruns (adjusted Rand index): other seeds {agree['seeds']:.3f}, "
              f"80% subsamples {agree['subsamples']:.3f}.", "",
              "| segment | name | customers |", "|---:|---|---:|"]
    lines += [f"| {k} | {n} | {row['sizes'][k]:,} |" for k, n in row["names"].items()]
    lines += ["", f"Kruskal-Wallis across segments, Holm-corrected over {len(diff)} measures: "
              f"**{len(row['significant'])} differ at p < 0.01**.", "",
              "| measure | H | p (Holm) | effect (ε²) | significant |", "|---|---:|---:|---:|---|"]
    lines += [f"| {r.measure} | {r.H:.1f} | {r.p_holm:.1e} | {r.effect:.3f} | "
              f"{'yes' if r.significant else 'no'} |" for r in diff.itertuples()]
    vm = row["value_metrics"]
    if vm:
        lines += ["", f"Value model on its later validation period: spend MAE {vm.get('spend_mae', 0):,.1f} "
                  f"(naive: same as the previous period {vm.get('spend_mae_naive', 0):,.1f}); churn AUC "
                  f"{vm.get('churn_auc', 0):.3f} (recency alone {vm.get('churn_auc_recency', 0):.3f})."]
    return row, lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", nargs="+", default=["demo", "online_retail_ii"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if "online_retail_ii" in args.shops and not REAL.exists():
        log.warning("Online Retail II not found at %s: skipped", REAL)
        args.shops.remove("online_retail_ii")
    os.environ["SHOPLENS_HOME"] = tempfile.mkdtemp(prefix="shoplens-segq-")
    rows: list[dict] = []
    text = [f"Generated by `.venv/bin/python bench/segment_quality.py` on {os.cpu_count()} CPUs.", ""]
    for shop in args.shops:
        row, lines = measure(shop)
        rows.append(row)
        text += lines
        print("\n".join(lines), flush=True)  # noqa: T201
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "segment_quality.json").write_text(json.dumps(rows, indent=1, default=float))
    (RESULTS / "segment_quality.md").write_text("\n".join(text))


if __name__ == "__main__":
    main()
