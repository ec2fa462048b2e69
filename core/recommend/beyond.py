"""Beyond accuracy: how varied, fair and surprising a set of recommendation lists is.

All measures take ``lists``, an int array of shape ``(n_users, k)`` holding item ids ``1..n_items``
(``0`` marks an empty slot and is ignored everywhere). Per-item arrays (``popularity``,
``item_vectors``) are indexed by item id, so their length is ``n_items + 1`` and row/entry 0 is
ignored. ``popularity[i]`` is the number of purchases (or purchasing customers) of item ``i``.

Measures (slots = non-empty entries of ``lists``):

- ``coverage``: |{items in at least one list}| / n_items.
- ``intra_list_diversity``: mean over users of  1 - mean_{a != b in list} cos(v_a, v_b).
- ``novelty``: mean over slots of -log2 p(i),  p(i) = (c_i + 1) / (sum_j c_j + n_items).
- ``personalization``: 1 - mean over user pairs of |A ∩ B| / k.
- ``popularity_bias``: mean share s(i) = c_i / sum_j c_j of recommended vs bought items, and ratio.
- ``gini``: Gini coefficient of exposure counts (catalog items never shown count as 0).
- ``long_tail_share``: share of slots holding items outside the ``head_share`` best-sellers.

A measure that is undefined for the input (no slots, no pair of users, ...) returns ``nan``.
Pure numpy/scipy; nothing here reads the store or draws the interface.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

_CHUNK_ELEMENTS = 1 << 22  # floats held at once by the batched diversity product (~32 MB)


def as_lists(lists: np.ndarray) -> np.ndarray:
    """``lists`` as a 2-D int64 array of ids >= 0 (0 = empty slot)."""
    arr = np.asarray(lists)
    if arr.ndim != 2:
        raise ValueError(f"lists must be 2-D (n_users, k), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError("lists must hold integer item ids")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise ValueError("item ids must be >= 0 (0 = empty slot)")
    return arr


def _dedupe_rows(lists: np.ndarray) -> np.ndarray:
    """Each row sorted with repeated ids blanked to 0, so every row is a set."""
    out = np.sort(lists, axis=1)
    if out.shape[1] > 1:
        out[:, 1:][out[:, 1:] == out[:, :-1]] = 0
    return out


def coverage(lists: np.ndarray, n_items: int) -> float:
    """Catalog coverage = |{i in 1..n_items : i in some list}| / n_items (0 when n_items is 0)."""
    arr = as_lists(lists)
    if n_items <= 0:
        return 0.0
    ids = np.unique(arr)
    return float(np.count_nonzero((ids >= 1) & (ids <= n_items)) / n_items)


def intra_list_diversity(lists: np.ndarray, item_vectors: np.ndarray) -> float:
    """Mean over users of ILD(u) = 1 - (1 / (m (m-1))) * sum_{a != b} cos(v_a, v_b).

    ``m`` is the number of non-empty slots of the user's list; users with m < 2 are skipped. A
    repeated item forms a pair at distance 0; an all-zero vector has cosine 0 with everything.
    Rows are L2-normalised, gathered to ``(n, k, d)`` and multiplied in user chunks.
    """
    arr = as_lists(lists)
    vecs = np.asarray(item_vectors, dtype=np.float64)
    if vecs.ndim != 2:
        raise ValueError("item_vectors must be 2-D (n_items + 1, d)")
    if arr.size and arr.max() >= len(vecs):
        raise ValueError("an item id has no row in item_vectors")
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    unit = np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)
    n, k = arr.shape
    chunk = max(1, _CHUNK_ELEMENTS // max(1, k * max(k, vecs.shape[1])))
    scores: list[np.ndarray] = []
    for start in range(0, n, chunk):
        ids = arr[start:start + chunk]
        g = unit[ids] * (ids > 0)[:, :, None]            # (c, k, d); empty slots -> 0 vectors
        sims = g @ g.transpose(0, 2, 1)                  # (c, k, k) cosine similarities
        off_diag = sims.sum(axis=(1, 2)) - np.trace(sims, axis1=1, axis2=2)
        m = (ids > 0).sum(axis=1)
        keep = m >= 2
        scores.append(1.0 - off_diag[keep] / (m[keep] * (m[keep] - 1)))
    allscores = np.concatenate(scores) if scores else np.empty(0)
    return float(allscores.mean()) if allscores.size else math.nan


def novelty(lists: np.ndarray, popularity: np.ndarray) -> float:
    """Mean self-information over slots: mean -log2 p(i), with add-one smoothing.

    p(i) = (c_i + 1) / (sum_j c_j + n_items), sums over ids 1..n_items (``n_items =
    len(popularity) - 1``), so an item nobody bought still has a finite novelty.
    """
    arr = as_lists(lists)
    counts = np.asarray(popularity, dtype=np.float64)[1:]
    ids = arr[arr > 0]
    if ids.size == 0:
        return math.nan
    p = (counts + 1.0) / (counts.sum() + len(counts))
    return float(np.mean(-np.log2(p[ids - 1])))


def personalization(lists: np.ndarray, n_items: int, max_pairs: int = 20000, seed: int = 0,
                    exact: bool | None = None) -> float:
    """1 - mean over pairs of distinct users of |A ∩ B| / k (k = list length; lists taken as sets).

    Exact by default for any number of users: with c_i the number of lists holding item i,
    sum_{u<v} |A_u ∩ A_v| = sum_i c_i (c_i - 1) / 2, which is the sum of the off-diagonal of the
    sparse product U U^T without forming it. ``exact=False`` instead estimates the mean on
    ``max_pairs`` random distinct pairs drawn with ``seed`` (kept as a cross-check). Fewer than two
    users, or k = 0, give ``nan``.
    """
    arr = _dedupe_rows(as_lists(lists))
    n, k = arr.shape
    if n < 2 or k == 0:
        return math.nan
    if exact is None or exact:
        c = np.bincount(arr.ravel(), minlength=n_items + 1)[1:].astype(np.float64)
        pair_overlap = float((c * (c - 1.0)).sum() / 2.0)
        mean_overlap = pair_overlap / (n * (n - 1) / 2.0)
    else:
        rng = np.random.default_rng(seed)
        a = rng.integers(0, n, max_pairs)
        b = rng.integers(0, n - 1, max_pairs)
        b += b >= a                                      # distinct from a, uniform over the rest
        total = 0
        step = max(1, _CHUNK_ELEMENTS // (k * k))
        for s in range(0, max_pairs, step):
            la, lb = arr[a[s:s + step]], arr[b[s:s + step]]
            hit = (la[:, :, None] == lb[:, None, :]) & (la[:, :, None] > 0)
            total += int(hit.sum())
        mean_overlap = total / max_pairs
    return float(1.0 - mean_overlap / k)


def _shares(popularity: np.ndarray) -> np.ndarray:
    """s(i) = c_i / sum_{j>=1} c_j, indexed by item id (s(0) = 0); all nan when nothing was sold."""
    counts = np.asarray(popularity, dtype=np.float64).copy()
    counts[0] = 0.0
    total = counts.sum()
    return counts / total if total > 0 else np.full_like(counts, math.nan)


def popularity_bias(lists: np.ndarray, histories: list[np.ndarray] | sparse.spmatrix | sparse.sparray,
                    popularity: np.ndarray) -> dict[str, float]:
    """Average popularity share of recommended items vs of bought items, and their ratio.

    recommended = mean over slots of s(i); bought = mean over purchases of s(i), where
    s(i) = c_i / sum_j c_j. ``histories`` is one id array per customer (a repeated id is a repeated
    purchase) or a sparse (customers x item ids) matrix whose values are purchase counts.
    ratio = recommended / bought ("recommended items are 2.3x as popular as what customers buy").
    """
    arr = as_lists(lists)
    share = _shares(popularity)
    rec_ids = arr[arr > 0]
    recommended = float(share[rec_ids].mean()) if rec_ids.size else math.nan
    if sparse.issparse(histories):
        h = sparse.csr_array(histories)
        h.sum_duplicates()
        weights = h.data.astype(np.float64)
        cols = h.indices
        nonzero_col = cols > 0
        weights, cols = weights[nonzero_col], cols[nonzero_col]
        bought = float((weights * share[cols]).sum() / weights.sum()) if weights.sum() > 0 else math.nan
    else:
        items = np.concatenate([np.asarray(x, dtype=np.int64).ravel() for x in histories]) \
            if len(histories) else np.empty(0, dtype=np.int64)
        items = items[items > 0]
        bought = float(share[items].mean()) if items.size else math.nan
    ratio = recommended / bought if bought and not math.isnan(bought) else math.nan
    return {"recommended": recommended, "bought": bought, "ratio": float(ratio)}


def gini(exposure: np.ndarray) -> float:
    """Gini of exposure counts x (zeros included), sorted ascending, i = 1..n:

    G = sum_i (2i - n - 1) x_i / (n * sum_i x_i).   0 = even; (n-1)/n = all on one item.
    Empty input or zero total gives 0.
    """
    x = np.sort(np.asarray(exposure, dtype=np.float64).ravel())
    n, total = x.size, x.sum()
    if n == 0 or total <= 0:
        return 0.0
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def long_tail_share(lists: np.ndarray, popularity: np.ndarray, head_share: float = 0.2) -> float:
    """Share of slots holding items outside the head: the ceil(head_share * n_items) best-sellers.

    Items are ranked by count, ties broken by lower id first (n_items = len(popularity) - 1).
    """
    arr = as_lists(lists)
    counts = np.asarray(popularity, dtype=np.float64)[1:]
    ids = arr[arr > 0]
    if ids.size == 0:
        return math.nan
    n_head = min(len(counts), math.ceil(head_share * len(counts) - 1e-9))
    order = np.argsort(-counts, kind="stable")
    in_head = np.zeros(len(counts) + 1, dtype=bool)
    in_head[order[:n_head] + 1] = True
    return float(np.mean(~in_head[ids]))


def summary(lists: np.ndarray, n_items: int, item_vectors: np.ndarray, popularity: np.ndarray,
            histories: list[np.ndarray] | sparse.spmatrix | sparse.sparray) -> dict[str, float]:
    """All measures with readable keys (see the module docstring); exposure counts ids 1..n_items."""
    arr = as_lists(lists)
    exposure = np.bincount(arr.ravel(), minlength=n_items + 1)[1:n_items + 1]
    return {
        "coverage": coverage(arr, n_items),
        "diversity": intra_list_diversity(arr, item_vectors),
        "novelty": novelty(arr, popularity),
        "personalization": personalization(arr, n_items),
        "popularity_lift": popularity_bias(arr, histories, popularity)["ratio"],
        "gini": gini(exposure),
        "long_tail": long_tail_share(arr, popularity),
    }


def pct(v: float) -> str:
    """A share as a percentage that never rounds a small share to 0% or a large one to 100%."""
    if 0 < v < 0.01:
        return "less than 1%"
    if 0.99 < v < 1:
        return "more than 99%"
    return f"{v:.0%}"


def explain_summary(metrics: dict[str, float]) -> list[str]:
    """Plain sentences for a shop owner; a missing or undefined (nan) measure is left out."""
    def ok(key: str) -> bool:
        v = metrics.get(key)
        return v is not None and math.isfinite(v)

    out: list[str] = []
    if ok("coverage"):
        out.append(f"The lists use {pct(metrics['coverage'])} of the catalog.")
    if ok("diversity"):
        out.append(f"Products within one list differ by {metrics['diversity']:.2f} on average "
                   "(0 = all alike, about 1 = unrelated).")
    if ok("novelty"):
        out.append(f"A recommended product carries {metrics['novelty']:.1f} bits of novelty on average "
                   "(higher means less commonly bought products).")
    if ok("personalization"):
        shared = 1.0 - metrics["personalization"]
        out.append(f"Two customers' lists have {pct(shared)} of their products in common on average.")
    if ok("popularity_lift"):
        r = metrics["popularity_lift"]
        if r > 1.1:
            out.append(f"Recommended products are {r:.1f}x as popular as what customers actually buy: "
                       "the lists lean on best-sellers.")
        elif r < 0.9:
            out.append(f"Recommended products are {r:.1f}x as popular as what customers actually buy: "
                       "the lists lean on less-known products.")
        else:
            out.append("Recommended products are about as popular as what customers actually buy.")
    if ok("gini"):
        g = metrics["gini"]
        spread = "very unevenly" if g > 0.8 else "unevenly" if g > 0.5 else "fairly evenly"
        out.append(f"Recommendations are spread {spread} across the catalog (Gini {g:.2f}; "
                   "0 = every product shown equally often, 1 = one product gets all).")
    if ok("long_tail"):
        text = f"{pct(metrics['long_tail'])} of recommendation slots go to products outside " \
            "the top 20% best-sellers."
        out.append(text[0].upper() + text[1:])
    return out
