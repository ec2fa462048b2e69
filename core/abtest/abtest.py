"""A merchant's A/B test, simulated from start to verdict; runs are saved and can be compared.

    plan = Plan([parse_arm("A=popularity"), parse_arm("B=gru:diversity=0.3")], days=30)
    report = simulate_shop(store, plan, progress)      # a JSON-able dict: tables, series, verdicts
    run_id = save(store.shop, report)

Steps: fit the world (``core.abtest.world``), compute every customer's list under each arm
(``core.abtest.policies``), run the test once with daily snapshots (the cumulative lift with its
always-valid band), then ``repeats`` more times with fresh assignments and behaviour (how much
the result could have differed), and compare all of it with the world's exact expected values
(the true lift). Arm 0 is the control. With more than two arms, intervals are Bonferroni-wide
and p-values Holm-adjusted.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from core.abtest import offpolicy, planning, simulate, stats
from core.abtest import world as world_mod
from core.abtest.policies import Arm, resolve_model
from core.recommend import beyond
from core.recommend.batch import MODE_CODES, Lists, batch_lists, capped_lists, no_lists
from core.store import config
from core.store.store import Store

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
LIST_SAMPLE = 500  # lists per arm used for the diversity guardrail


@dataclass
class Plan:
    """What the merchant asks: arms (the first is the control), duration and how sure to be."""

    arms: list[Arm]
    days: int = 30
    repeats: int = 20
    seed: int = 0
    population: int | None = None  # None: the shop's customers; N: N customers drawn like them
    metric: str = "revenue_per_visitor"
    alpha: float = 0.05
    ope_rounds: int = 20_000  # logged featured-slot visits for the off-policy check (0: skip it)
    world: world_mod.WorldConfig = field(default_factory=world_mod.WorldConfig)

    def __post_init__(self) -> None:
        if not 2 <= len(self.arms) <= 4:
            raise ValueError("An A/B test needs 2 to 4 arms.")
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError(f"Arm names must differ: {', '.join(names)}.")
        if not 1 <= self.days <= 365:
            raise ValueError("The test must run 1 to 365 days.")
        if not 0 <= self.repeats <= 500:
            raise ValueError("Repeats must be between 0 and 500.")
        if self.metric not in simulate.METRICS:
            raise ValueError(f"Unknown metric '{self.metric}': use one of {', '.join(simulate.METRICS)}.")
        if self.population is not None and not 100 <= self.population <= 2_000_000:
            raise ValueError("The population must be between 100 and 2,000,000 customers.")
        slots = {a.controls.n for a in self.arms if a.model != "none"}
        if len(slots) > 1:
            raise ValueError("Every arm must show the same number of products (n) for a fair test.")


def _say(progress: Progress | None, fraction: float, message: str) -> None:
    if progress:
        progress(min(max(fraction, 0.0), 1.0), message)


def prepare(store: Store, plan: Plan, progress: Progress | None = None) -> dict[str, Any]:
    """The world and, per arm, every customer's list and the world's response to it."""
    from core.recommend import recommend
    from core.shop import catalog
    _say(progress, 0.02, "Reading the shop's habits for the simulated world")
    started = time.perf_counter()
    cat = catalog.load(store)
    slots = next((a.controls.n for a in plan.arms if a.model != "none"), plan.world.slots)
    cfg = world_mod.WorldConfig(**{**plan.world.__dict__, "slots": slots})
    world = world_mod.fit(store, cat, cfg)
    names = recommend.segment_names(store)
    labels = recommend.available_models(store)
    lists: list[Lists] = []
    logs: dict = {}  # event logs read once for every arm
    models: list[str | None] = []
    policies: list[str] = []
    for i, arm in enumerate(plan.arms):
        share = 0.1 + 0.6 * i / len(plan.arms)
        _say(progress, share, f"Arm {arm.name}: every customer's list ({arm.describe()})")
        model = resolve_model(store, arm.model)
        models.append(model)
        policies.append(arm.describe(labels.get(model or "", model)))
        if model is None:
            lists.append(no_lists(len(world.keys), slots))
            continue
        engine = recommend.load(store, model, names, cat, logs)
        step = 0.6 / len(plan.arms)

        def said(f: float, s: float = share, a: Arm = arm, st: float = step) -> None:
            _say(progress, s + st * f, f"Arm {a.name}: lists {f:.0%}")

        if arm.exposure_cap:
            lists.append(capped_lists(engine, world.keys, arm.controls, arm.exposure_cap, plan.seed, said))
        else:
            lists.append(batch_lists(engine, world.keys, arm.controls, progress=said))
    exposures = [simulate.exposure(world, li.rows) for li in lists]
    consent = _consent(store, world.keys)
    return {"world": world, "lists": lists, "exposures": exposures, "models": models, "policies": policies,
            "catalog": cat,
            "consent": consent, "seconds": time.perf_counter() - started}


def _consent(store: Store, keys: list[str]) -> np.ndarray:
    rows = dict(store.rows("SELECT customer_key, consent_profiling FROM customers"))
    return np.array([bool(rows.get(k, True)) for k in keys])


def execute(prepared: dict[str, Any], plan: Plan, progress: Progress | None = None) -> dict[str, Any]:
    """Run the test (and its repeats) in a prepared world; the report as a JSON-able dict."""
    world, exposures = prepared["world"], prepared["exposures"]
    shares = np.array([a.share for a in plan.arms], dtype=float)
    shares = shares / shares.sum()
    rng = np.random.default_rng(plan.seed)
    population = None if plan.population is None else rng.integers(0, len(world.keys), plan.population)
    pop = np.arange(len(world.keys)) if population is None else population
    planned = float((1 - np.exp(-world.rate[pop] * world.season(plan.days).sum())).sum())
    started = time.perf_counter()
    _say(progress, 0.72, "Simulating the test day by day")
    def day(f: float) -> None:
        _say(progress, 0.72 + 0.1 * f, f"Day {round(f * plan.days)} of {plan.days}")

    main = simulate.run(world, exposures, shares, plan.days, plan.seed, population, plan.metric, planned, day)
    # the period before the test, everyone under the control policy: CUPED's covariate
    before = simulate.run(world, exposures[:1], np.ones(1), plan.days, plan.seed + 1_000_003, population,
                          snapshots=False)
    sim_seconds = time.perf_counter() - started
    truth = [simulate.expected(world, ex, plan.days, population) for ex in exposures]
    repeats: dict[str, list[float]] = {a.name: [] for a in plan.arms[1:]}
    wins: dict[str, int] = {a.name: 0 for a in plan.arms[1:]}
    for r in range(plan.repeats):
        _say(progress, 0.83 + 0.15 * r / max(plan.repeats, 1), f"Repeat {r + 1} of {plan.repeats}")
        again = simulate.run(world, exposures, shares, plan.days, plan.seed + 1 + r, population, plan.metric,
                             planned, snapshots=False)
        for j, arm in enumerate(plan.arms[1:], start=1):
            lift = simulate.lift(again.totals, again.arm, plan.metric, 0, j, plan.alpha)
            repeats[arm.name].append(lift.rel_lift)
            wins[arm.name] += int(lift.significant and lift.abs_lift > 0)
    _say(progress, 0.98, "Checking the arms on logged traffic (off-policy)")
    report = _report(plan, prepared, main, before, truth, repeats, wins, shares, planned)
    report["offpolicy"] = _offpolicy(prepared, plan) if plan.ope_rounds else None
    report["seconds"] = {"prepare": prepared["seconds"], "simulate": sim_seconds}
    return report


def simulate_shop(store: Store, plan: Plan, progress: Progress | None = None) -> dict[str, Any]:
    """Prepare and execute: the whole simulated test of ``plan`` on ``store``'s shop."""
    return execute(prepare(store, plan, progress), plan, progress)


def _report(plan: Plan, prepared: dict[str, Any], main: simulate.Run, before: simulate.Run,
            truth: list[dict[str, float]],
            repeats: dict[str, list[float]], wins: dict[str, int], shares: np.ndarray,
            planned: float) -> dict[str, Any]:
    world = prepared["world"]
    k = len(plan.arms)
    alpha_ci = stats.interval_alpha(plan.alpha, k - 1)
    entered = main.totals.visits > 0
    visitors = [int((entered & (main.arm == a)).sum()) for a in range(k)]
    assigned = [int((main.arm == a).sum()) for a in range(k)]
    srm = stats.srm(assigned, shares)
    arms, lifts = [], []
    for a, arm in enumerate(plan.arms):
        row = {"name": arm.name, "policy": prepared["policies"][a], "model": prepared["models"][a],
               "share": float(shares[a]), "assigned": assigned[a], "visitors": visitors[a],
               "values": {m: simulate.metric_value(main.totals, main.arm, m, a) for m in simulate.METRICS},
               "true": truth[a], **_guardrails(prepared, a, main)}
        arms.append(row)
    for m in simulate.METRICS:
        fixed = [simulate.lift(main.totals, main.arm, m, 0, a, alpha_ci) for a in range(1, k)]
        seq = [simulate.lift(main.totals, main.arm, m, 0, a, plan.alpha, sequential=True, n_star=planned)
               for a in range(1, k)]
        holm = stats.holm([f.p_value for f in fixed]) if fixed else []
        for a, (f, s, p) in enumerate(zip(fixed, seq, holm, strict=True), start=1):
            true_rel = truth[a][m] / truth[0][m] - 1 if truth[0][m] else float("nan")
            cu = simulate.cuped_lift(main.totals, main.arm, m, 0, a, before.totals, alpha_ci)
            lifts.append({"metric": m, "arm": plan.arms[a].name, **_lift_dict(f), "p_adjusted": float(p),
                          "seq_low": s.rel_low, "seq_high": s.rel_high, "seq_p": s.p_value,
                          "seq_significant": s.significant, "true_rel_lift": true_rel,
                          "cuped_rel": cu.rel_lift if cu else None, "cuped_low": cu.rel_low if cu else None,
                          "cuped_high": cu.rel_high if cu else None,
                          "verdict": _verdict(f, plan.arms[a].name, plan.arms[0].name)})
    primary = [x for x in lifts if x["metric"] == plan.metric]
    daily_visitors = sum(visitors) / plan.days
    base = arms[0]["values"][plan.metric]
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "metric": plan.metric,
        "days": plan.days, "repeats_n": plan.repeats, "seed": plan.seed, "alpha": plan.alpha,
        "population": plan.population, "world": world.summary(), "arms": arms, "lifts": lifts,
        "srm": {"flagged": srm.flagged, "p_value": srm.p_value, "message": srm.message},
        "daily": main.daily, "repeats": repeats,
        "repeat_wins": {n: w / max(plan.repeats, 1) for n, w in wins.items()},
        "verdicts": [x["verdict"] for x in primary],
        "power": _power(main, plan, daily_visitors, base),
        "baseline": {"mean": base, "sd": _spread(main, plan), "daily_visitors": daily_visitors},
    }


def _offpolicy(prepared: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """IPS/SNIPS/DM/DR of each arm's featured-slot click-through from a randomised log of the world."""
    world, cat = prepared["world"], prepared["catalog"]
    arms = {a.name: li.rows for a, li in zip(plan.arms, prepared["lists"], strict=True) if a.model != "none"}
    epsilon = 0.2
    log_ = offpolicy.generate_log(world, list(arms.values()), plan.ope_rounds, epsilon, plan.seed,
                                  cat.in_stock)
    table = offpolicy.evaluate(log_, arms, world.taste.argmax(axis=1), len(cat.products), plan.seed,
                               plan.alpha)
    return {"rounds": plan.ope_rounds, "epsilon": epsilon, "rows": table.to_dict("records"),
            "true": {name: offpolicy.true_value(world, rows) for name, rows in arms.items()}}


def _lift_dict(f: stats.Lift) -> dict[str, Any]:
    return {"control": f.control, "treatment": f.treatment, "abs_lift": f.abs_lift, "abs_low": f.abs_low,
            "abs_high": f.abs_high, "rel_lift": f.rel_lift, "rel_low": f.rel_low, "rel_high": f.rel_high,
            "p_value": f.p_value, "significant": f.significant, "alpha": f.alpha}


def _verdict(f: stats.Lift, name: str, control: str) -> str:
    return f"{name} vs {control}: " + stats.verdict(f, arm=name)


def _spread(main: simulate.Run, plan: Plan) -> float:
    """The per-visitor standard deviation of the metric in the control arm (a ratio's by the delta
    method), for planning a real test."""
    control = np.flatnonzero((main.totals.visits > 0) & (main.arm == 0))
    y, d = main.totals.values(plan.metric, control)
    if len(y) < 2:
        return float("nan")
    if d is not None:
        ratio = y.sum() / max(d.sum(), 1e-12)
        return float(np.std(y - ratio * d, ddof=1) / max(d.mean(), 1e-12))
    return float(np.std(y, ddof=1))


def _power(main: simulate.Run, plan: Plan, daily_visitors: float, base: float) -> list[str]:
    """How long a real test would need at this traffic, for +5% and +10% lifts of the metric."""
    sd = _spread(main, plan)
    if not (np.isfinite(sd) and np.isfinite(base) and base > 0):
        return ["Not enough visitors in the control arm to plan a real test."]
    return [planning.power_sentence(daily_visitors, base, sd, mde, plan.alpha, 0.8, len(plan.arms))
            for mde in (0.05, 0.10)]


def _guardrails(prepared: dict[str, Any], a: int, main: simulate.Run) -> dict[str, Any]:
    lists: Lists = prepared["lists"][a]
    consent: np.ndarray = prepared["consent"]
    objectors = ~consent
    shown = lists.rows[:, 0] >= 0
    non_personal = lists.mode != MODE_CODES.index("personalized")
    return {"diversity": _diversity(prepared["catalog"].content, lists.rows),
            "personalised_share": lists.mode_share("personalized"),
            "objectors": int(objectors.sum()),
            "objectors_non_personalised": float(np.mean(non_personal[objectors])) if objectors.any() else 1.0,
            "coverage": beyond.coverage(lists.rows + 1, len(prepared["catalog"].products)),
            "with_list": float(shown.mean()) if len(shown) else 0.0}


def _diversity(content: Any, rows: np.ndarray) -> float:
    """Mean intra-list diversity (``core.recommend.beyond``, content cosine) of a fixed sample of lists."""
    rng = np.random.default_rng(0)
    sample = rows[rng.permutation(len(rows))[:LIST_SAMPLE]]
    used = np.unique(sample[sample >= 0])
    if not len(used):
        return float("nan")
    vectors = np.vstack([np.zeros(content.shape[1]), content[used].toarray()])  # row 0: empty slot
    compact = np.where(sample >= 0, np.searchsorted(used, sample) + 1, 0)
    return beyond.intra_list_diversity(compact, vectors)


# -- saved runs ------------------------------------------------------------------------------------
def runs_dir(store: Store) -> Path:
    shop = store.shop
    path = config.home() / "runs" / config.check_shop_name(shop)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(store: Store, report: dict[str, Any], name: str | None = None) -> str:
    """Write the report atomically; returns its run id."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_id = f"{stamp}-{os.urandom(3).hex()}"
    report = {**report, "run_id": run_id, "name": name or " vs ".join(a["name"] for a in report["arms"])}
    path = runs_dir(store) / f"{run_id}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(report, fh, default=_plain, allow_nan=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return run_id


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot save {type(value).__name__}")


def list_runs(store: Store) -> list[dict[str, Any]]:
    """Saved runs, newest first: id, name, created, days, metric and the primary verdicts."""
    out = []
    for path in sorted(runs_dir(store).glob("*.json"), reverse=True):
        try:
            rep = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            log.warning("skipping unreadable run %s: %s", path.name, e)
            continue
        out.append({"run_id": rep.get("run_id", path.stem), "name": rep.get("name", ""),
                    "created": rep.get("created"), "days": rep.get("days"), "metric": rep.get("metric"),
                    "verdicts": rep.get("verdicts", [])})
    return out


def load_run(store: Store, run_id: str) -> dict[str, Any]:
    shop = store.shop
    path = runs_dir(store) / f"{config.check_shop_name(run_id)}.json"
    if not path.exists():
        raise FileNotFoundError(f"No saved run '{run_id}' for shop '{shop}'.")
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = ["Plan", "execute", "list_runs", "load_run", "prepare", "save", "simulate_shop"]
