"""The shop's default segments: what they are built from, and building them right after training.

A shop with products is segmented on the learned behaviour of its model in use (the Segments
page's default settings). A shop whose history has no products to learn from - a spend-only
export, or a catalog too small for recommendations - is segmented on recency, frequency, money
and basket size alone, with no model. ``shoplens train`` and the Model page's training job call
``build_after_training`` as their last step, so the first visit to the Segments page finds the
run in the cache (``core.segments.cache``) and opens at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.segments import segments
from core.segments.types import Progress, SegmentConfig, SegmentRun
from core.shop import catalog
from core.store import artifacts
from core.store.store import Store

log = logging.getLogger(__name__)

LEARNED = SegmentConfig()  # the Segments page's default: the model's customer vectors
FIGURES = SegmentConfig(parts=("rfm",))  # no model: recency, frequency, money, basket size


@dataclass(frozen=True)
class Choice:
    """Which model (None: none) and settings the default segments use, and why, in words."""

    model_id: str | None
    config: SegmentConfig
    why: str


def choose(store: Store, model_id: str | None = None) -> Choice | None:
    """The default segments of this shop: from ``model_id`` (the model in use when None), or
    from the customers' figures when the shop has nothing a model could learn from. None when
    the shop has products but no trained model yet."""
    no_products = catalog.why_no_recommendations(store)
    if no_products:
        return Choice(None, FIGURES, "Segments are built from each customer's recency, frequency, "
                                     "money and basket size: " + _first_sentence(no_products))
    chosen = model_id or artifacts.latest_id(store)
    if chosen is None:
        return None
    return Choice(chosen, LEARNED, f"Segments are built from what model {chosen} learned of "
                                   "each customer's behaviour.")


def _first_sentence(text: str) -> str:
    head, _, _ = text.partition(". ")
    return head.rstrip(".") + "."


@dataclass(frozen=True)
class AfterTraining:
    """What the segment step after training did: the run (None when none was built) and why,
    in words."""

    run: SegmentRun | None
    note: str


def build_after_training(store: Store, model_id: str | None = None,
                         progress: Progress | None = None) -> AfterTraining:
    """Build (or find in the cache) the default segments and publish them. Never raises for a
    shop too small for segments (the training before it succeeded): the note says why."""
    choice = choose(store, model_id)
    if choice is None:
        return AfterTraining(None, "No segments built: the shop has no model to build them from.")
    try:
        run = segments.build(store, choice.model_id, choice.config, progress=progress)
    except ValueError as err:
        log.info("no default segments for %s: %s", store.shop, err)
        return AfterTraining(None, f"No segments built: {err}")
    return AfterTraining(run, f"{run.n_segments} segments of {len(run.keys):,} customers")
