"""Beyond accuracy, measured on the lists customers would really see.

For each model, the top-10 of a sample of customers is made by the same engine as the
Customer page (default merchant controls: bought products left out unless due again, only
active in-stock products), then ``core.recommend.beyond`` measures catalog coverage, intra-list
diversity, novelty, personalization, popularity bias, exposure concentration (Gini) and the
long-tail share. Items are catalog rows (+1), so new products that no model knows count too;
similarity is the content similarity the diversity control uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from core.recommend import beyond, defaults, recommend
from core.recommend.types import Controls
from core.store.store import Store
from models.data import EVENT_TYPES

log = logging.getLogger(__name__)
PURCHASE = EVENT_TYPES.index("purchase")
MAX_DENSE = 20_000_000  # floats of exact content vectors; above this a 64-d reduction is used


def lists_for(engine: recommend.Engine, keys: list[str], n: int = 10,
              controls: Controls | None = None) -> np.ndarray:
    """(len(keys), n) catalog rows + 1 of each customer's list (0 = empty slot)."""
    controls = controls or Controls(n=n)
    out = np.zeros((len(keys), n), dtype=np.int64)
    for i, key in enumerate(keys):
        picks = engine.recommend(key, controls, explain_picks=False).picks
        rows = engine.catalog.row([p.product_id for p in picks])
        out[i, : len(rows)] = rows + 1
    return out


def _vectors(engine: recommend.Engine, lists: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lists renumbered to the items they use, and those items' content vectors (row 0 unused)."""
    used, compact = np.unique(lists, return_inverse=True)
    compact = compact.reshape(lists.shape)
    if used[0] != 0:
        used, compact = np.r_[0, used], compact + 1
    content = engine.catalog.content[np.maximum(used - 1, 0)]
    if content.shape[0] * content.shape[1] > MAX_DENSE:
        from sklearn.decomposition import TruncatedSVD

        k = min(64, content.shape[1] - 1)
        dense = TruncatedSVD(n_components=k, random_state=0).fit_transform(content)
    else:
        dense = content.toarray()
    dense[0] = 0.0
    return compact, dense


def measure(engine: recommend.Engine, keys: list[str], n: int = 10,
            controls: Controls | None = None) -> dict[str, float]:
    """The beyond-accuracy measures of ``engine``'s lists for ``keys`` (under ``controls``)."""
    lists = lists_for(engine, keys, n, controls)
    n_items = len(engine.catalog.products)
    popularity = np.r_[0.0, engine.catalog.bought.to_numpy()]
    log_ = engine.log
    bought = []
    for key in keys:
        hist = engine.history(key)
        items = log_.item[hist[log_.etype[hist] == PURCHASE]]
        rows = engine.cat_row[items - 1]
        bought.append(rows[rows >= 0] + 1)
    compact, vectors = _vectors(engine, lists)
    exposure = np.bincount(lists[lists > 0], minlength=n_items + 1)[1:]
    bias = beyond.popularity_bias(lists, bought, popularity)
    return {"coverage": beyond.coverage(lists, n_items),
            "diversity": beyond.intra_list_diversity(compact, vectors),
            "novelty": beyond.novelty(lists, popularity),
            "personalization": beyond.personalization(lists, n_items),
            "popularity_lift": bias["ratio"], "gini": beyond.gini(exposure),
            "long_tail": beyond.long_tail_share(lists, popularity)}


def report(store: Store, models: list[str] | None = None, sample: int = 1000, seed: int = 0,
           progress: Callable[[float, str], None] | None = None) -> pd.DataFrame:
    """One row per model: the measures over the same random sample of customers."""
    say = progress or (lambda _f, _m: None)
    choices = recommend.available_models(store)
    models = models or [m for m in choices if m not in ("recent_popularity", "als", "ease", "repeat")]
    rows, controls = [], defaults.controls(store)  # the lists customers see by default
    keys: list[str] | None = None
    for i, model in enumerate(models):
        say(i / len(models), f"Lists of {choices.get(model, model)}")
        engine = recommend.load(store, model)
        if keys is None:
            pool = list(engine.log.user_ids)
            rng = np.random.default_rng(seed)
            keys = list(rng.choice(pool, size=min(sample, len(pool)), replace=False)) if pool else []
        rows.append({"model": choices.get(model, model), "model_key": model, "customers": len(keys),
                     **measure(engine, keys, controls=controls)})
    say(1.0, "Done")
    return pd.DataFrame(rows)
