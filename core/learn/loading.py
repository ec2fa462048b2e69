"""A saved model back as a recommender: refused, and the next good one served, when it cannot be.

``fallback.first_usable`` checks each model's signed manifest, checksums and weights;
``rebuild`` then builds the network from them, so weights of the wrong shape, an unknown
architecture or a state that does not fit are a refusal of that model (recorded, shown on the
Model page), never a traceback on a page.
"""

from __future__ import annotations

from core.shop import sequences
from core.store import artifacts, fallback
from core.store.store import Store
from models.recommender import SequenceRecommender

_NOT_CHECKPOINT = ("kind", "seed", "options")  # kept in state.json beside the checkpoint


def rebuild(art: artifacts.Artifact) -> SequenceRecommender:
    """The fitted recommender a loaded model folder holds (any error: it cannot be rebuilt)."""
    ckpt = {k: v for k, v in art.state.items() if k not in _NOT_CHECKPOINT}
    return SequenceRecommender.from_state({**ckpt, "state_dict": art.tensors})


def load_recommender(store: Store, model_id: str | None = None
                     ) -> tuple[SequenceRecommender, artifacts.Artifact, list[str]]:
    """The chosen (or latest) model ready to score, or the next good one, with the problems met
    on the way (refusals, then whether the one served is stale)."""
    art, rec, problems = fallback.first_usable(store, model_id, rebuild)
    if art.is_stale(sequences.fingerprint(store)):
        problems.append(f"Model {art.model_id} was trained before the shop's data last changed: "
                        "retrain it to include the new data.")
    return rec, art, problems
