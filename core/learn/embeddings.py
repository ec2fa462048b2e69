"""Train, load and compare the shop's models: the neural sequence models and the baselines.

``train`` builds the shop's event log, splits it in time, refuses a shop too small for a
sequence model's scores to mean anything (``guards.NotReady``, with the counts and the simple
models used instead), fits a GRU, LSTM or transformer (SASRec) next-basket model, evaluates it
on validation and test baskets and saves it with the data's fingerprint - in use, or kept as a
candidate when cancelled or worse than the model in use (``promotion``). ``compare`` puts
every baseline and the latest model of each neural kind through the same full-catalog
evaluation; ``verdict`` and ``ladder`` say in plain words what the numbers mean for this shop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.learn import guards, promotion
from core.learn.kinds import LABELS, NEURAL, SHOWN
from core.learn.loading import load_recommender
from core.shop import catalog, sequences
from core.store import artifacts
from core.store.store import Store
from models import baselines, data, metrics
from models.encoders import ModelConfig
from models.metrics import Readiness, assess
from models.recommender import SequenceRecommender
from models.train import TrainConfig

log = logging.getLogger(__name__)
__all__ = ["LABELS", "NEURAL", "SHOWN", "Prepared", "compare", "customer_vectors", "latest_per_kind",
           "ladder", "load_recommender", "order_matters", "prepare", "train", "verdict"]
@dataclass
class Prepared:
    """The shop's event log and its time split, built once per training or comparison."""

    log: data.EventLog
    split: data.Split
    fingerprint: str
    options: sequences.LogOptions = field(default_factory=sequences.LogOptions)
    readiness: Readiness | None = None  # counted from ``split`` when None
    no_recommendations: str | None = None  # why the shop cannot have recommendations at all

    def __post_init__(self) -> None:
        if self.readiness is None:
            self.readiness = assess(self.split)

    def not_ready(self) -> guards.NotReady | None:
        """Why a sequence model would be meaningless here (None when it is not)."""
        if self.readiness.sequence_ok and not self.no_recommendations:
            return None
        return guards.NotReady(self.readiness, self.no_recommendations)


def prepare(store: Store, options: sequences.LogOptions | None = None,
            protocol: str = "last_basket") -> Prepared:
    """Event log, split and readiness of a shop (ValueError when it has no purchases at all).
    ``protocol``: ``last_basket`` (each customer's last basket is the test) or ``next_period``
    (one cutoff in time; ``models.data.split_next_period``)."""
    if protocol not in data.PROTOCOLS:
        raise ValueError(f"Unknown protocol {protocol!r}: choose {', '.join(data.PROTOCOLS)}.")
    options = options or sequences.LogOptions()
    event_log = sequences.event_log(store, options)
    split = data.PROTOCOLS[protocol](event_log)
    return Prepared(event_log, split, sequences.fingerprint(store), options,
                    no_recommendations=catalog.why_no_recommendations(store))


def train(store: Store, kind: str = "transformer", epochs: int = 20, seed: int = 0,
          options: sequences.LogOptions | None = None, progress: Callable[[dict], None] | None = None,
          stop: Callable[[], bool] | None = None, prepared: Prepared | None = None,
          model_args: dict[str, Any] | None = None) -> artifacts.Artifact | None:
    """Fit a neural model, evaluate it, save it (in use or kept as a candidate, see
    ``promotion``; the manifest's ``note`` says which and why). None when cancelled before any
    epoch ended; ``guards.NotReady`` when the shop is too small for a sequence model."""
    if kind not in NEURAL:
        raise ValueError(f"Unknown model {kind!r}: choose {', '.join(NEURAL)}.")
    prep = prepared or prepare(store, options)
    if (refused := prep.not_ready()) is not None:
        log.info("not training %s on %s: %s", kind, store.shop, refused)
        raise refused
    started = time.perf_counter()
    rec = SequenceRecommender(ModelConfig(arch=NEURAL[kind], **(model_args or {}))).fit(
        prep.split, TrainConfig(epochs=epochs, seed=seed), progress, stop)
    fit_seconds = time.perf_counter() - started
    if rec.result_.epochs_run == 0:
        return None
    scores = {"valid": metrics.evaluate(rec, prep.split, "valid"),
              "test": metrics.evaluate(rec, prep.split, "test")}
    state = rec.state()
    tensors = {k: v for k, v in state.pop("state_dict").items()}
    options_ = asdict(prep.options)
    state.update(kind=kind, seed=seed, options=options_)
    info = {**scores, "fit_seconds": fit_seconds, "options": options_,
            "cancelled": rec.result_.cancelled, "best_epoch": rec.result_.best_epoch,
            "epochs_run": rec.result_.epochs_run, "seconds_to_best": _seconds_to_best(rec.result_)}
    decision = promotion.decide(store, scores["valid"], prep.fingerprint, options_,
                                rec.result_.cancelled)
    return artifacts.save(store, kind, tensors, state, prep.fingerprint, info,
                          make_current=decision.make_current, note=decision.why)


def customer_vectors(store: Store, model_id: str | None = None
                     ) -> tuple[np.ndarray, np.ndarray, artifacts.Artifact, list[str]]:
    """Customer keys, their vectors (state at the end of each history), the model and any problems.

    Only the customers the model may profile and can read: those in the model's event log
    (consenting, with at least one purchase). Raises ValueError when the shop's catalog changed
    so much that the model no longer fits it (retrain).
    """
    rec, art, problems = load_recommender(store, model_id)
    options = sequences.LogOptions(**art.state.get("options", {}))
    event_log = sequences.event_log(store, options)
    known = list(rec.item_ids_)
    if known and known != list(event_log.item_ids):
        raise ValueError(f"Model {art.model_id} was trained on a different catalog than the shop has "
                         "now: retrain it on the Model page before building segments.")
    vectors = rec.user_vectors(event_log, np.arange(event_log.n_users))
    return np.asarray(event_log.user_ids, dtype=object), vectors, art, problems


def compare(store: Store, prepared: Prepared | None = None, names: tuple[str, ...] | None = None,
            progress: Callable[[float, str], None] | None = None) -> pd.DataFrame:
    """Every baseline (fitted now) and the latest model of each neural kind, on the test baskets.
    ValueError (in words) when the shop is too small for any score to mean something."""
    prep = prepared or prepare(store)
    if not prep.readiness.scorable:
        raise ValueError(guards.message(prep.readiness, prep.no_recommendations))
    say = progress or (lambda _f, _m: None)
    rows = []
    names = names or tuple(baselines.BASELINES)
    for i, name in enumerate(names):
        say(i / (len(names) + 1), f"Fitting {LABELS.get(name, name)}")
        started = time.perf_counter()
        model = baselines.make(name).fit(prep.split)
        rows.append({"model": name, "kind": "baseline", "fit_seconds": time.perf_counter() - started,
                     **metrics.evaluate(model, prep.split, "test")})
    say(len(names) / (len(names) + 1), "Evaluating trained models")
    for manifest in latest_per_kind(store):
        test = manifest.get("metrics", {}).get("test")
        if test and manifest.get("data_fingerprint") == prep.fingerprint:
            rows.append({"model": manifest["kind"], "kind": "neural", "model_id": manifest["model_id"],
                         "fit_seconds": manifest["metrics"].get("fit_seconds"), **test})
    say(1.0, "Done")
    table = pd.DataFrame(rows)
    table["label"] = table["model"].map(LABELS).fillna(table["model"])
    return table.sort_values("ndcg@10", ascending=False).reset_index(drop=True)


def latest_per_kind(store: Store) -> list[dict[str, Any]]:
    """The model in use first, then the newest model of each other neural kind that was put in
    use when trained. Candidates (cancelled or worse runs) are left out until promoted."""
    in_use = artifacts.latest_id(store)
    usable = [m for m in artifacts.list_models(store)
              if m.get("kind") in NEURAL and "damaged" not in m and "refused" not in m]
    ordered = ([m for m in usable if m["model_id"] == in_use]
               + [m for m in usable if m["model_id"] != in_use and not m.get("candidate")])
    seen, out = set(), []
    for manifest in ordered:
        if manifest["kind"] not in seen:
            seen.add(manifest["kind"])
            out.append(manifest)
    return out


def verdict(table: pd.DataFrame) -> str:
    """One honest sentence on whether the neural model earns its place on this shop."""
    if table.empty:
        return "No model could be evaluated yet."
    base = table[table["kind"] == "baseline"].sort_values("ndcg@10", ascending=False)
    neural = table[table["kind"] == "neural"].sort_values("ndcg@10", ascending=False)
    pop = table[table["model"] == "popularity"]
    if neural.empty:
        best = base.iloc[0]
        return (f"Best so far: {best['label']} (NDCG@10 {best['ndcg@10']:.3f}). Train a neural "
                "model to see whether it does better on this shop.")
    top, best_base = neural.iloc[0], base.iloc[0]
    lift = top["recall@10"] / pop.iloc[0]["recall@10"] - 1 if len(pop) and pop.iloc[0]["recall@10"] else None
    gain = top["ndcg@10"] / best_base["ndcg@10"] - 1
    if lift is None:
        vs_pop = f"The {top['label']}"
    else:
        more = "more" if lift >= 0 else "fewer"
        vs_pop = f"The {top['label']} finds {abs(lift):.0%} {more} of next purchases than best-sellers"
    if gain >= 0.02:
        return (f"{vs_pop}, and ranks them {gain:.0%} better (NDCG@10) than the best simple rule, "
                f"{best_base['label']}. Use the neural model.")
    return (f"{vs_pop}, but it does not beat the best simple rule, {best_base['label']} "
            f"(NDCG@10 {top['ndcg@10']:.3f} vs {best_base['ndcg@10']:.3f}). On this shop's data "
            f"{best_base['label']} is the honest choice.")


def ladder(prep: Prepared) -> str:
    """Which rung of models the shop's data supports, from its size."""
    log_ = prep.log
    purchases = int((log_.etype == data.EVENT_TYPES.index("purchase")).sum())
    per_user = purchases / max(log_.n_users, 1)
    if log_.n_users < 200 or purchases < 2_000:
        return (f"{log_.n_users:,} customers and {purchases:,} purchases: too little for learned "
                "models to be reliable. Best-sellers and item-kNN are the right tools for now.")
    if per_user < 2.5:
        return (f"Customers buy {per_user:.1f} items on average: few repeat histories. "
                "Item-kNN and EASE usually serve such shops best; sequence models need longer histories.")
    return (f"{log_.n_users:,} customers with {per_user:.1f} purchases each: enough history for "
            "sequence models; compare them with the baselines below (TIFU-KNN and UP-CF, the "
            "strongest simple rivals on repeat-heavy shops, included) before relying on them.")


def order_matters(rec: SequenceRecommender, prep: Prepared, seed: int = 0) -> dict[str, float]:
    """Test NDCG@10 with true histories and with each user's event order shuffled."""
    true = metrics.evaluate(rec, prep.split, "test")["ndcg@10"]
    rng = np.random.default_rng(seed)
    shuffled = prep.log.slice(np.ones(len(prep.log.user), dtype=bool))
    offsets = shuffled.offsets
    perm = np.arange(len(shuffled.user))
    for u in range(shuffled.n_users):
        # only what every test basket sees as history (before t_test): nothing moves across it
        lo, hi = offsets[u], offsets[u + 1]
        idx = lo + np.flatnonzero(shuffled.ts[lo:hi] < prep.split.t_test)
        perm[idx] = rng.permutation(idx)
    # Only the items move: event types, baskets, times and contexts stay where they were, so
    # the history has the same shape and only its order (which item came when) is lost.
    shuffled.item = shuffled.item[perm]
    shuffled_split = data.Split(shuffled, prep.split.train, prep.split.valid, prep.split.test,
                                prep.split.t_valid, prep.split.t_test)
    return {"true_order": true,
            "shuffled": metrics.evaluate(rec, shuffled_split, "test")["ndcg@10"]}


def _seconds_to_best(result: Any) -> float | None:
    """Training seconds until the end of the best validation epoch (None without history)."""
    for row in result.history:
        if row.get("epoch") == result.best_epoch:
            return float(row["seconds"])
    return None
