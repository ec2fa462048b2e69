"""The registry of non-neural recommenders every neural model must beat, and their tuned
parameters: popularity, recent popularity, repeat frequency, item-kNN, EASE, implicit ALS,
TIFU-KNN and UP-CF@r.

The models live in ``models.rules`` (the ``Baseline`` contract, scikit-learn style ``fit`` /
``score`` over the whole catalog, in ``models.rules.estimator``). Tuned parameters are data
(``TUNED``), chosen on the validation split by ``bench/baselines.py``; ``make(name, params)``
builds a model from the registry with them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from models.rules.estimator import Baseline
from models.rules.factorization import ALS, EASE
from models.rules.nextbasket import TIFUKNN, UPCF
from models.rules.simple import ItemKNN, Popularity, RecentPopularity, RepeatFrequency

__all__ = ["ALS", "BASELINES", "EASE", "TIFUKNN", "TUNED", "UPCF", "Baseline", "ItemKNN",
           "Popularity", "RecentPopularity", "RepeatFrequency", "make"]

# ---------------------------------------------------------------------------------------------
# Registry and tuned parameters (data, not code)

BASELINES: dict[str, Callable[[], Baseline]] = {
    "popularity": Popularity,
    "recent_popularity": RecentPopularity,
    "repeat": RepeatFrequency,
    "itemknn": ItemKNN,
    "ease": EASE,
    "als": ALS,
    "tifuknn": TIFUKNN,
    "upcf": UPCF,
}

# Chosen by validation NDCG@10 (never on test) with ``python bench/baselines.py --tune`` (the
# grid is in that script); per shop, then per model. Missing models use their defaults.
TUNED: dict[str, dict[str, dict[str, Any]]] = {
    "online_retail_ii": {
        "popularity": {},
        "recent_popularity": {"days": 14},
        "repeat": {"half_life_days": 180},
        "itemknn": {"unit": "basket", "neighbours": 200, "shrink": 100.0, "half_life_days": 180},
        "ease": {"l2": 500.0},
        "als": {"factors": 256, "reg": 30.0, "alpha": 1.0},  # factors 256 is the grid's top
        "tifuknn": {"neighbours": 50, "within_decay": 0.9, "group_decay": 0.6, "alpha": 0.2,
                    "n_groups": 3},
        "upcf": {"recency": 5, "asymmetry": 0.75, "locality": 5.0, "neighbours": 300},
    },
}


def make(name: str, params: Mapping[str, Any] | None = None) -> Baseline:
    """A fresh, unfitted baseline from the registry with ``params`` on top of its defaults."""
    if name not in BASELINES:
        raise ValueError(f"Unknown baseline {name!r}; choose one of {sorted(BASELINES)}")
    model = BASELINES[name]()
    if params:
        model.set_params(**params)
    return model
