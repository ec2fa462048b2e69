"""The fairness audit of one model on the shop: its real lists, judged against what customers bought.

For a sample of customers with a held-out last basket, every list is made as of that basket's
visit (``core.recommend.batch.batch_lists``, histories cut there), so list quality (NDCG@10) can be
measured per customer and compared across groups: segment, region, device, one vs several
earlier orders, and age band and gender where the shop's data has them. The product side -
exposure Gini, catalog coverage, long-tail share, popularity bias - is set against the shop's
best-sellers. Two what-ifs show what the merchant can change: diversity 0.3, and an exposure cap
(no product in more than 5% of lists). ``core.fairness`` holds the measures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.fairness import fairness, wording
from core.recommend import batch
from core.recommend.batch import batch_lists, best_sellers
from core.recommend.ranking import PURCHASE
from core.recommend.types import Controls
from core.store.store import Store

if TYPE_CHECKING:
    from core.recommend.recommend import Engine

log = logging.getLogger(__name__)
CAP = 0.05  # the what-if exposure cap: no product in more than 5% of lists
DIVERSITY = 0.3


def _say(progress: Callable[[float, str], None] | None, f: float, message: str) -> None:
    if progress:
        progress(f, message)


def run(store: Store, engine: Engine, controls: Controls | None = None, sample: int = 2000, seed: int = 0,
        progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """The audit as a JSON-able dict: exposure, groups, disparities, what-ifs and plain sentences."""
    controls = controls or Controls(new_products=False)
    users = np.array(sorted(engine.test), dtype=np.int64)
    if not len(users):
        raise ValueError("No customer has a held-out basket to judge the lists by: the shop needs "
                         "customers with at least two orders.")
    rng = np.random.default_rng(seed)
    users = np.sort(rng.choice(users, min(sample, len(users)), replace=False))
    keys = [engine.log.user_ids[u] for u in users]
    when = np.array([engine.test[u].cutoff for u in users], dtype=np.int64)
    relevant = [_rows(engine, engine.test[u].items) + 1 for u in users]
    cat = engine.catalog
    n_rows = len(cat.products)
    popularity = np.r_[0.0, cat.bought_counts]
    prices = np.r_[np.nan, cat.prices]
    histories = _histories(engine, users, when)

    def measure(rows: np.ndarray) -> dict[str, float]:
        out = fairness.exposure(rows + 1, n_rows, popularity, histories)
        out["ndcg"] = float(np.nanmean(fairness.ndcg_at_k(rows + 1, relevant)))
        return out

    _say(progress, 0.1, f"Lists of {len(keys):,} customers as of their last visit")
    lists = batch_lists(engine, keys, controls, as_of=when)
    ndcg = fairness.ndcg_at_k(lists.rows + 1, relevant)
    price = fairness.price_level(lists.rows + 1, prices)
    policy = measure(lists.rows)
    top = best_sellers(engine, controls)
    baseline_rows = np.full((len(keys), controls.n), -1, dtype=np.int64)
    baseline_rows[:, : len(top)] = top
    baseline = measure(baseline_rows)
    _say(progress, 0.4, f"What if diversity were {DIVERSITY}?")
    what_if = {f"diversity {DIVERSITY}": measure(
        batch_lists(engine, keys, replace(controls, diversity=DIVERSITY), as_of=when).rows)}
    _say(progress, 0.6, f"What if no product filled more than {CAP:.0%} of lists?")
    deep = batch_lists(engine, keys, replace(controls, n=max(50, controls.n)), as_of=when).rows + 1
    capped = batch.cap_exposure(deep, controls.n, CAP, seed) - 1
    what_if[f"exposure cap {CAP:.0%}"] = measure(capped)
    _say(progress, 0.8, "Comparing customer groups")
    groups = customer_groups(store, engine, keys, users, when)
    metrics = {"list accuracy (NDCG@10)": ndcg, "price level": price}
    found = fairness.disparities(metrics, groups, seed=seed)
    group_rows = [asdict(g) | {"metric": name}
                  for name, values in metrics.items() for attr, labels in groups.items()
                  for g in fairness.group_means(values, labels, attr)]
    _say(progress, 1.0, "Done")
    return {"model": engine.name, "customers": len(keys), "controls": asdict(controls),
            "exposure": {"policy": policy, "best-sellers": baseline, **what_if},
            "groups": group_rows, "disparities": [asdict(d) for d in found],
            "attributes": sorted(groups), "summary": wording.plain(policy, baseline, found, what_if),
            "details": wording.details(policy, baseline, found, what_if)}


def _rows(engine: Engine, items: np.ndarray) -> np.ndarray:
    rows = engine.cat_row[np.asarray(items, dtype=np.int64) - 1]
    return rows[rows >= 0]


def _histories(engine: Engine, users: np.ndarray, when: np.ndarray) -> list[np.ndarray]:
    """Each customer's purchases before the audited visit, as catalog rows + 1."""
    log_, off = engine.log, engine.offsets
    out = []
    for u, t in zip(users, when, strict=True):
        idx = np.arange(off[u], off[u + 1])
        idx = idx[(log_.ts[idx] < t) & (log_.etype[idx] == PURCHASE)]
        out.append(_rows(engine, log_.item[idx]) + 1)
    return out


def customer_groups(store: Store, engine: Engine, keys: list[str], users: np.ndarray,
                    when: np.ndarray) -> dict[str, np.ndarray]:
    """Group labels per audited customer (None = unknown): segment, region, device, customer
    type, and age band and gender when the data holds them for at least a third of customers."""
    groups: dict[str, np.ndarray] = {}
    if engine.segments is not None:
        names = engine.segment_names
        seg = [engine.segment_of(k) for k in keys]
        groups["segment"] = np.array([None if s is None else names.get(s, f"segment {s}") for s in seg],
                                     dtype=object)
    cust = store.df("SELECT customer_key, coalesce(region, country) AS region, age_band, gender "
                    "FROM customers").set_index("customer_key").reindex(keys)
    for col in ("region", "age_band", "gender"):
        values = cust[col].astype(object).where(cust[col].notna(), None).to_numpy()
        if col == "region" or np.mean([v is not None for v in values]) >= 1 / 3:
            groups[col.replace("_", " ")] = values
    log_, off = engine.log, engine.offsets
    devices = log_.context_values.get("device", [])
    dev, kind = [], []
    for u, t in zip(users, when, strict=True):
        idx = np.arange(off[u], off[u + 1])
        idx = idx[log_.ts[idx] < t]
        codes = log_.context["device"][idx]
        codes = codes[codes > 0]
        dev.append(devices[int(np.bincount(codes).argmax()) - 1] if len(codes) and devices else None)
        baskets = len(np.unique(log_.basket[idx][log_.basket[idx] >= 0]))
        kind.append("one earlier order" if baskets <= 1 else "several earlier orders")
    if any(d is not None for d in dev):
        groups["device"] = np.array(dev, dtype=object)
    groups["customer type"] = np.array(kind, dtype=object)
    return groups


def exposure_table(report: dict[str, Any]) -> pd.DataFrame:
    """Measures (rows) by setting (columns), for the page."""
    return pd.DataFrame(report["exposure"])


__all__ = ["CAP", "DIVERSITY", "customer_groups", "exposure_table", "run"]
