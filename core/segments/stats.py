"""Are the segments real and do they last? Differences tested, agreement across reruns, sizes over time.

- ``differences``: for each profile measure, a Kruskal-Wallis test of "all segments have the same
  distribution", Holm-corrected over all measures tested (a segment map can look separated by
  construction; the test asks whether the behaviour behind it differs).
- ``agreement``: the adjusted Rand index between the run and reruns with other seeds and on
  random subsamples of customers; it says whether the segments are a property of the customers
  or of one random start.
- ``monthly_sizes``: customers buying per segment per month, to see segments grow or fade.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import adjusted_rand_score

from core.segments import segments
from core.segments.profiles import CustomerData
from core.segments.types import UNASSIGNED, SegmentConfig
from core.store.store import Store

log = logging.getLogger(__name__)
MEASURES = ("recency_days", "frequency", "monetary", "basket_items", "basket_value", "tenure_days",
            "weekend_share", "views_per_purchase", "value_12m", "churn_risk")
Progress = Callable[[float, str], None]


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (same order as given)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted


def differences(data: CustomerData, keys: np.ndarray, labels: np.ndarray, alpha: float = 0.01
                ) -> pd.DataFrame:
    """Kruskal-Wallis across segments per measure (numeric measures and context shares), Holm-adjusted.

    Columns: measure, H, p, p_holm, significant, effect (epsilon squared, 0..1), segments.
    """
    series = pd.Series(labels, index=pd.Index(keys))
    series = series[series != UNASSIGNED]
    table = data.numeric.reindex(series.index)
    candidates = {m: table[m] for m in MEASURES if m in table}
    for kind in ("daypart", "device"):
        shares = data.context.get(kind)
        if shares is not None and not shares.empty:
            for col in shares.columns:
                candidates[f"{kind}: {col}"] = shares[col].reindex(series.index)
    rows = []
    for name, values in candidates.items():
        groups = [v.dropna().to_numpy() for _, v in values.groupby(series)]
        groups = [g for g in groups if len(g) >= 3]
        if len(groups) < 2 or np.ptp(np.concatenate(groups)) == 0:
            continue
        h, p = stats.kruskal(*groups)
        n = sum(len(g) for g in groups)
        rows.append({"measure": name, "H": float(h), "p": float(p), "segments": len(groups),
                     "effect": float(max(h - len(groups) + 1, 0) / max(n - len(groups), 1))})
    out = pd.DataFrame(rows, columns=["measure", "H", "p", "segments", "effect"])
    if out.empty:
        return out.assign(p_holm=[], significant=[])
    out["p_holm"] = holm(out["p"].to_numpy())
    out["significant"] = out["p_holm"] < alpha
    return out.sort_values(["significant", "effect"], ascending=False).reset_index(drop=True)


def agreement(X: np.ndarray, labels: np.ndarray, cfg: SegmentConfig, reruns: int = 2,
              fraction: float = 0.8, progress: Progress | None = None,
              make: Callable[[SegmentConfig, int], tuple] | None = None) -> dict[str, float]:
    """Adjusted Rand index of ``labels`` against reruns with other seeds and on subsamples.

    ``make(cfg, n)`` may supply (reducer, clusterer) for tests; defaults to the pipeline's own.
    Returns ``{"seeds": mean ARI over seed reruns, "subsamples": mean ARI over subsample reruns}``.
    """
    say = progress or (lambda _f, _m: None)
    rng = np.random.default_rng(cfg.seed + 1000)
    seed_ari, sub_ari = [], []
    total = 2 * reruns
    for r in range(reruns):
        other = replace(cfg, seed=cfg.seed + 1 + r)
        say(len(seed_ari) / total, f"Rerun with seed {other.seed}")
        red, cl = make(other, len(X)) if make else (None, None)
        _, _, fitted = segments.cluster(X, other, red, cl)
        seed_ari.append(adjusted_rand_score(labels, fitted.labels_))
        pick = np.sort(rng.choice(len(X), size=max(10, int(fraction * len(X))), replace=False))
        say((r + reruns) / total, f"Rerun on {fraction:.0%} of customers")
        red, cl = make(cfg, len(pick)) if make else (None, None)
        _, _, fitted = segments.cluster(X[pick], cfg, red, cl)
        sub_ari.append(adjusted_rand_score(labels[pick], fitted.labels_))
    say(1.0, "Stability measured")
    return {"seeds": float(np.mean(seed_ari)), "subsamples": float(np.mean(sub_ari)),
            "reruns": float(reruns)}


def stability_words(ari: dict[str, float]) -> str:
    """The agreement as a shop owner would read it."""
    worst = min(ari.get("seeds", 0.0), ari.get("subsamples", 0.0))
    if worst >= 0.8:
        verdict = "Stable: reruns find the same segments"
    elif worst >= 0.5:
        verdict = "Fairly stable: the big segments come back, borders move"
    else:
        verdict = "Unstable: treat these segments as a rough sketch"
    return f"{verdict} (agreement {worst:.2f} on a 0-1 scale, adjusted Rand index)."


def monthly_sizes(store: Store, keys: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Customers who bought in each month, per segment (long: month, segment, customers)."""
    active = store.df("SELECT DISTINCT customer_key, date_trunc('month', ts) AS month FROM events "
                      "WHERE event_type = 'purchase' AND customer_key IS NOT NULL")
    seg = pd.DataFrame({"customer_key": keys, "segment": labels})
    merged = active.merge(seg, on="customer_key", how="inner")
    out = merged.groupby(["month", "segment"]).size().rename("customers").reset_index()
    return out.sort_values(["month", "segment"]).reset_index(drop=True)
