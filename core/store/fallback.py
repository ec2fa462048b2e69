"""Which model is served when the one asked for is refused: the next good one, never a crash.

``first_usable`` tries the models in ``order`` - the one chosen, the one in use, those in use
before it (newest first, from ``HISTORY``), other models that were put in use when trained
(newest first), then candidates - and serves the first that passes every check of
``artifacts.load`` and that ``build`` turns into something usable (``core.learn.loading``
rebuilds the network there, so weights of the wrong shape are a refusal too). Each refusal is
recorded with its reason and returned as a problem the pages show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from core.store import artifacts

if TYPE_CHECKING:
    from core.store.store import Store

T = TypeVar("T")


def order(store: Store, model_id: str | None = None) -> list[str]:
    """The models to try, best first: the chosen one, the one in use, those in use before it
    (newest first), other models put in use when trained (newest first), then candidates."""
    listed = [m for m in artifacts.list_models(store) if "damaged" not in m]
    earlier = [m["model_id"] for m in listed if not m.get("candidate")]
    kept = [m["model_id"] for m in listed if m.get("candidate")]
    tried = [model_id, artifacts.latest_id(store), *reversed(artifacts.history(store)), *earlier, *kept]
    return [m for m in dict.fromkeys(tried) if m]


def first_usable(store: Store, model_id: str | None, build: Callable[[artifacts.Artifact], T]
                 ) -> tuple[artifacts.Artifact, T, list[str]]:
    """The first model in ``order`` that loads and that ``build`` turns into something
    usable (any exception from ``build`` refuses the model), with the refusals met on the way."""
    problems: list[str] = []
    for candidate in order(store, model_id):
        try:
            art = artifacts.load(store, candidate)
        except artifacts.ArtifactError as err:
            problems.append(str(err))
            continue
        try:
            built = build(art)
        except Exception as err:  # noqa: BLE001 - a model that cannot be rebuilt is refused
            why = f"it cannot be rebuilt ({artifacts.describe(err)})"
            problems.append(str(artifacts.refuse(store, candidate, why)))
            continue
        if problems:
            problems.append(f"Serving model {art.model_id} instead, the next model that passed "
                            "its checks.")
        return art, built, problems
    raise artifacts.ArtifactError(" ".join(problems) or
                                  f"Shop {store.shop!r} has no trained model yet: train one first.")


def load_usable(store: Store, model_id: str | None = None) -> tuple[artifacts.Artifact, list[str]]:
    """The chosen (or latest) model, or else the next good one, with what went wrong."""
    art, _, problems = first_usable(store, model_id, lambda a: a)
    return art, problems
