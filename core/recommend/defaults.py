"""The lists a merchant gets without touching a control: settings chosen per shop, on validation.

The controls' built-in defaults leave out what a customer bought (unless re-bought and due)
and re-weight lists by the visit's context. On a shop where most of a basket is re-buys that
costs a lot (issue 16: Online Retail II's exported GRU lists scored NDCG@10 0.240 with them,
0.280 with bought products allowed). So after a model is trained, ``choose`` scores a few
settings on the shop's *validation* baskets (each customer's basket before the held-out last
one: no model was fitted on them, and the test baskets are never read here), as the engine
makes the lists - filters, re-buy rule, context, diversity - and keeps the best one for the
shop (``save``). ``controls`` gives every caller the shop's default: the Customer page's
initial control values, ``shoplens recommend`` when its flags are not given, the A/B arms.
A setting replaces the built-in one only when it is clearly better (``MARGIN``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from core.recommend.types import Controls
from core.store import settings
from models import data

if TYPE_CHECKING:
    from core.recommend.recommend import Engine
    from core.store.store import Store

log = logging.getLogger(__name__)
SETTING = "default_controls"
BUILT_IN = "leave out bought (re-buys when due), context 0.15"
# name -> what differs from Controls(); the first is the built-in default
VARIANTS: dict[str, dict[str, Any]] = {
    BUILT_IN: {},
    "leave out bought (re-buys when due), context 0": {"context_weight": 0.0},
    "bought products allowed, context 0.15": {"exclude_bought": False},
    "bought products allowed, context 0": {"exclude_bought": False, "context_weight": 0.0},
}
TUNED = ("exclude_bought", "context_weight")  # the only fields a shop default may change
MARGIN = 0.01  # relative NDCG@10 gain a variant needs over the built-in default to replace it
SAMPLE = 400  # validation baskets scored per variant (a random sample, seed fixed): paired, so enough


@dataclass
class Choice:
    """What ``choose`` found: the variant kept, every variant's score, on how many baskets."""

    chosen: str
    overrides: dict[str, Any]
    scores: dict[str, float]  # variant -> mean NDCG@10 on the validation baskets
    baskets: int
    model: str
    seconds: float = 0.0
    when: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M"))

    def gain(self) -> float:
        """Relative gain of the kept variant over the built-in default (0 when it is kept)."""
        base = self.scores.get(BUILT_IN, 0.0)
        return self.scores[self.chosen] / base - 1 if base > 0 else 0.0


def ndcg_at(picks: list[str], relevant: set[str], k: int = 10) -> float:
    """Binary NDCG@k of one list against one basket."""
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(i + 2) for i, p in enumerate(picks[:k]) if p in relevant)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(len(relevant), k)))
    return float(dcg / ideal)


def validation_baskets(engine: Engine) -> list[tuple[str, int, set[str]]]:
    """(customer key, visit time, products bought) of each customer's validation basket, from
    the engine's own event log; never a test basket."""
    split = data.PROTOCOLS["last_basket"](engine.log)
    test_cut = {t.user: t.cutoff for t in split.test}
    out = []
    for t in split.valid:
        if t.cutoff < test_cut.get(t.user, t.cutoff + 1):
            out.append((str(engine.log.user_ids[t.user]), int(t.cutoff),
                        {str(engine.item_ids[i]) for i in t.items}))
    return out


def choose(engine: Engine, sample: int = SAMPLE, seed: int = 0,
           progress: Callable[[float, str], None] | None = None) -> Choice | None:
    """Score every variant on (a sample of) the validation baskets; None when there are none."""
    started = time.perf_counter()
    baskets = validation_baskets(engine)
    if not baskets:
        return None
    if len(baskets) > sample:
        pick = np.random.default_rng(seed).choice(len(baskets), sample, replace=False)
        baskets = [baskets[i] for i in np.sort(pick)]
    say = progress or (lambda _f, _m: None)
    scores = {}
    for v, (name, overrides) in enumerate(VARIANTS.items()):
        controls = replace(Controls(), **overrides)
        total = 0.0
        for i, (key, cutoff, items) in enumerate(baskets):
            result = engine.recommend(key, controls, None, as_of=cutoff, explain_picks=False)
            total += ndcg_at([p.product_id for p in result.picks], items, controls.n)
            if i % 100 == 0:
                say((v + i / len(baskets)) / len(VARIANTS), f"Scoring '{name}' on validation baskets")
        scores[name] = total / len(baskets)
    best = max(scores, key=scores.get)
    if scores[best] < scores[BUILT_IN] * (1 + MARGIN):
        best = BUILT_IN
    say(1.0, "Default list settings chosen")
    return Choice(best, dict(VARIANTS[best]), scores, len(baskets), engine.name,
                  time.perf_counter() - started)


def save(store: Store, choice: Choice) -> None:
    """Keep ``choice`` as the shop's default (one settings row, replaced whole)."""
    settings.put(store, SETTING, json.dumps(asdict(choice)))


def load(store: Store) -> Choice | None:
    """The shop's kept choice, or None (never chosen, or an unreadable row: the built-in)."""
    raw = settings.get(store, SETTING)
    if not raw:
        return None
    try:
        return Choice(**json.loads(raw))
    except (TypeError, ValueError) as err:
        log.warning("ignoring the shop's default list settings: %s", err)
        return None


def controls(store: Store, **given: Any) -> Controls:
    """The shop's default controls, with ``given`` fields (the caller's own) on top."""
    return controls_of(load(store), **given)


def controls_of(choice: Choice | None, **given: Any) -> Controls:
    """``Controls`` with ``choice``'s settings (None: the built-in) and ``given`` on top."""
    kept = {k: v for k, v in (choice.overrides if choice else {}).items() if k in TUNED}
    return replace(Controls(), **{**kept, **given})


def choose_and_save(store: Store, model_id: str | None = None,
                    progress: Callable[[float, str], None] | None = None) -> Choice | None:
    """Training's last step: choose the default list settings for the model in use (or
    ``model_id``) and keep them; None (and nothing kept) when the shop has no validation baskets."""
    from core.recommend import recommend
    choice = choose(recommend.load(store, model_id, {}), progress=progress)
    if choice is not None:
        save(store, choice)
        log.info("default list settings for %s: %s (NDCG@10 %+.1f%% over the built-in, %d "
                 "validation baskets)", store.shop, choice.chosen, 100 * choice.gain(), choice.baskets)
    return choice
