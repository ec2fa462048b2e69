"""Which model the shop uses: a new run replaces the model in use only when it earns it.

The rule, applied by ``core.learn.embeddings.train`` before it saves a run:

- no model in use (or the one in use cannot be read, or its manifest fails its signature):
  a complete run is put in use;
- a **cancelled** run is never put in use on its own: it is kept as a candidate;
- a complete run on the **same data and event options** as the model in use replaces it only
  when its validation NDCG@10 is at least as good (the test baskets stay untouched);
- a complete run on **newer data** (the shop's fingerprint changed since the model in use was
  trained - an import, an erasure, an objection) replaces it: their validation baskets differ, so
  the scores cannot be compared, and the stale model may still hold erased customers.

A candidate is put in use only when the user asks (``promote``: the Model page's "Use this
model" button, ``shoplens use-model``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from core.learn import loading
from core.shop.sequences import LogOptions
from core.store import artifacts
from core.store.store import Store

METRIC = "ndcg@10"


@dataclass(frozen=True)
class Decision:
    """Whether a new run goes in use, and why in words."""

    make_current: bool
    why: str


def _valid_score(manifest: dict[str, Any]) -> float:
    value = manifest.get("metrics", {}).get("valid", {}).get(METRIC)
    return float(value) if value is not None else float("nan")


def decide(store: Store, valid: dict[str, float], fingerprint: str, options: dict[str, Any],
           cancelled: bool) -> Decision:
    """Should a run with these validation scores replace the model in use?"""
    current_id = artifacts.latest_id(store)
    current = artifacts.manifest_of(store, current_id) if current_id else None
    new = float(valid.get(METRIC, float("nan")))
    if cancelled:
        keep = f"the model in use stays {current_id}" if current else "no model is in use yet"
        return Decision(False, f"Training was cancelled, so this run is kept as a candidate and "
                               f"{keep}. Choose 'Use this model' to use it anyway.")
    if current is None and current_id:
        return Decision(True, f"The model in use, {current_id}, cannot be read or trusted (see "
                              "the Model page): this one replaces it.")
    if current is None:
        return Decision(True, "No model was in use: this one is now.")
    if current.get("data_fingerprint") != fingerprint:
        return Decision(True, f"It replaces {current_id}, which was trained before the shop's "
                              "data last changed (their scores are on different baskets).")
    if current.get("metrics", {}).get("options", asdict(LogOptions())) != options:
        return Decision(True, f"It replaces {current_id}, which learned from other events "
                              "(their scores are on different baskets).")
    old = _valid_score(current)
    if math.isnan(old) or new >= old:
        return Decision(True, f"It scores at least as well as {current_id} on the validation "
                              f"baskets (NDCG@10 {new:.3f} vs {old:.3f}) and replaces it.")
    return Decision(False, f"It scores below {current_id}, the model in use, on the validation "
                           f"baskets (NDCG@10 {new:.3f} vs {old:.3f}): kept as a candidate. Choose "
                           "'Use this model' to use it anyway.")


def promote(store: Store, model_id: str) -> artifacts.Artifact:
    """Put a model (a candidate, or an older one) in use, after verifying its files and that it
    can be rebuilt (``artifacts.ArtifactError``, the reason recorded, when not)."""
    art = artifacts.load(store, model_id)
    try:
        loading.rebuild(art)
    except Exception as err:  # noqa: BLE001 - a model that cannot be rebuilt is refused
        raise artifacts.refuse(store, model_id, f"it cannot be rebuilt ({artifacts.describe(err)})") from err
    return artifacts.promote(store, model_id)
