"""Recommendation policies for an A/B test, and every customer's list under a policy at once.

An arm is a policy: a model (a trained neural model or a baseline) with the merchant's
controls, or no recommendations at all. ``parse_arm`` reads the command line's spec,

    NAME=MODEL[:key=value,...]     e.g.  B=gru:diversity=0.3,n=8,share=0.5   A=popularity   C=none

MODEL is a model id, ``latest`` (the latest trained model), a neural kind (``gru``, ``lstm``,
``transformer``: its latest model), a baseline name (``itemknn``, ``popularity``, ...) or
``none``. Keys are the fields of ``core.recommend.types.Controls`` plus ``share`` (traffic weight) and
``exposure_cap`` (no product in more than this share of the arm's lists, e.g. 0.05).

Every customer's list under an arm comes from ``core.recommend.batch``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING

from core.recommend.types import Controls

if TYPE_CHECKING:
    from core.store.store import Store

log = logging.getLogger(__name__)
NEURAL_KINDS = ("gru", "lstm", "transformer")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}$")
_FLOATS = {"diversity", "novelty", "context_weight", "price_min", "price_max", "share", "exposure_cap"}
_ARM_KEYS = {"share", "exposure_cap"}
_BOOLS = {"exclude_bought", "allow_rebuys", "in_stock_only", "new_products"}


@dataclass(frozen=True)
class Arm:
    """One policy under test: a model with the merchant's controls, and its traffic weight."""

    name: str
    model: str = "latest"  # a model id, "latest", a neural kind, a baseline name or "none"
    controls: Controls = field(default_factory=lambda: Controls(new_products=False))
    share: float = 1.0  # relative traffic weight (normalised over the arms)
    exposure_cap: float | None = None  # no product in more than this share of the arm's lists

    def describe(self, label: str | None = None) -> str:
        """'GRU (recurrent) (diversity=0.3)': the model's label and the settings that differ."""
        c, base = self.controls, Controls(new_products=False)
        changed = [f"{f.name}={getattr(c, f.name)}" for f in fields(Controls)
                   if getattr(c, f.name) != getattr(base, f.name) and f.name != "n"]
        if self.model == "none":
            return "No recommendations"
        if self.exposure_cap:
            changed.append(f"exposure cap {self.exposure_cap:.0%}")
        return (label or self.model) + (f" ({', '.join(changed)})" if changed else "")


def parse_arm(spec: str) -> Arm:
    """``NAME=MODEL[:key=value,...]`` -> Arm, with a clear error for anything else."""
    if "=" not in spec:
        raise ValueError(f"Arm '{spec}': write NAME=MODEL, e.g. B=gru or A=popularity.")
    name, rest = (s.strip() for s in spec.split("=", 1))
    if not _NAME.match(name):
        raise ValueError(f"Arm name '{name}': use up to 40 letters, digits, spaces, '_', '.' or '-'.")
    model, _, opts = rest.partition(":")
    model = model.strip()
    if not model:
        raise ValueError(f"Arm '{spec}': the model is missing after '='.")
    values: dict[str, object] = {}
    share, cap = 1.0, None
    names = {f.name for f in fields(Controls)}
    for part in filter(None, (p.strip() for p in opts.split(","))):
        key, eq, value = (s.strip() for s in part.partition("="))
        if not eq or (key not in names and key not in _ARM_KEYS):
            known = ", ".join(sorted(names | _ARM_KEYS))
            raise ValueError(f"Arm '{name}': unknown setting '{part}'. Known settings: {known}.")
        try:
            if key in _BOOLS:
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                parsed: object = value.lower() in ("true", "1", "yes")
            elif key in _FLOATS:
                parsed = float(value)
            elif key == "n":
                parsed = int(value)
            else:  # categories: separated by '|'
                parsed = tuple(v.strip() for v in value.split("|") if v.strip())
        except ValueError:
            raise ValueError(f"Arm '{name}': '{key}={value}' is not a valid value.") from None
        if key == "share":
            share = float(parsed)  # type: ignore[arg-type]
        elif key == "exposure_cap":
            cap = float(parsed)  # type: ignore[arg-type]
        else:
            values[key] = parsed
    if not share > 0:
        raise ValueError(f"Arm '{name}': share must be above 0.")
    if cap is not None and not 0 < cap <= 1:
        raise ValueError(f"Arm '{name}': exposure_cap is a share of the lists, above 0 and at most 1.")
    controls = replace(Controls(new_products=False), **values)  # Controls checks the ranges
    return Arm(name, model, controls, share, cap)


def resolve_model(store: Store, model: str) -> str | None:
    """A model id or baseline name for ``Arm.model`` (None for "none")."""
    from core.learn.embeddings import latest_per_kind
    from core.store import artifacts
    from models import baselines

    if model == "none":
        return None
    if model in baselines.BASELINES:
        return model
    if model == "latest":
        latest = artifacts.latest_id(store)
        if latest is None:
            raise ValueError(f"Shop '{store.shop}' has no trained model yet: train one, or use a baseline "
                             "such as itemknn or popularity.")
        return latest
    if model in NEURAL_KINDS:
        for manifest in latest_per_kind(store):
            if manifest.get("kind") == model:
                return str(manifest["model_id"])
        raise ValueError(f"Shop '{store.shop}' has no trained {model} model: train one on the Model page "
                         f"(or `shoplens train --shop {store.shop} --kind {model}`).")
    if any(m.get("model_id") == model for m in artifacts.list_models(store)):
        return model
    raise ValueError(f"Unknown model '{model}': use latest, {', '.join(NEURAL_KINDS)}, a model id, "
                     f"none, or one of {', '.join(baselines.BASELINES)}.")
