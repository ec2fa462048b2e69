"""The product side of :mod:`core.demo.synth`: catalogue table and hidden product attributes.

``_catalog_table`` draws the catalogue (titles, brands, prices) from the static
vocabulary; ``_latent`` derives what the generator knows but does not write:
Zipf-like popularity, quality, repeat intervals, return odds, "similar" items
and the per-persona product samplers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from core.demo.catalog import BRAND_TIERS, CATEGORIES, GENERIC_REVIEW_LINES
from core.demo.files import _fmt_ids
from core.demo.personas import PERSONAS
from core.demo.streams import (
    _STREAM_CATALOG,
    _STREAM_LATENT,
    _STREAM_STOCK,
    _norm,
    _rng,
    _RowSampler,
)

if TYPE_CHECKING:
    from core.demo.config import SynthConfig

_TYPE_DAYS = {t: d for c in CATEGORIES for t, _, d in c.types}
_CAT_SPECS = {c.name: c for c in CATEGORIES}
OUT_OF_STOCK_SHARE = 0.04  # products with stock 0; the others hold a positive count
_MEAN_STOCK = 40.0


def _noun(product_type: str) -> str:
    words = [w if sum(ch.isupper() for ch in w) > 1 or (len(w) <= 2 and w[:1].isupper()) else w.lower()
             for w in product_type.split()]
    return " ".join(words)


def _catalog_table(cfg: SynthConfig) -> pa.Table:
    rng = _rng(cfg.seed, _STREAM_CATALOG)
    shares = _norm([c.share for c in CATEGORIES])
    raw = shares * cfg.n_products
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: cfg.n_products - counts.sum()]] += 1
    titles, cats, brands, prices, descs = [], [], [], [], []
    for spec, m in zip(CATEGORIES, counts, strict=True):
        t_idx = rng.integers(0, len(spec.types), m)
        b_idx = rng.integers(0, len(spec.brands), m)
        a_idx = rng.integers(0, len(spec.adjectives), m)
        d_idx = rng.integers(0, len(spec.attributes), m)
        base = np.array([spec.types[i][1] for i in t_idx], dtype=np.float64)
        raw_price = base * np.array(BRAND_TIERS)[b_idx % len(BRAND_TIERS)] * rng.lognormal(0.0, 0.25, m)
        small = np.maximum(np.round(raw_price * 2) / 2, 1) - 0.01
        price = np.where(raw_price >= 5, np.ceil(raw_price) - 0.01, small)
        seen: dict[str, int] = {}
        for t, b, a, d, p in zip(t_idx, b_idx, a_idx, d_idx, price, strict=True):
            ptype, brand, adj = spec.types[t][0], spec.brands[b], spec.adjectives[a]
            title = f"{brand} {adj} {ptype}"
            k = seen.get(title, 0)
            seen[title] = k + 1
            if k:
                title = f"{title} No. {k + 1}"
            desc = f"{adj} {_noun(ptype)} by {brand}. {spec.attributes[d]}"
            if spec.types[t][2]:  # consumable: second sentence tells the usual reorder interval
                weeks = max(1, round(spec.types[t][2] / 7))
                desc = f"{adj} {_noun(ptype)} by {brand}. Most customers reorder every {weeks} weeks."
            titles.append(title)
            cats.append(spec.name)
            brands.append(brand)
            prices.append(round(float(p), 2))
            descs.append(desc)
    perm = rng.permutation(cfg.n_products)
    width = max(4, len(str(cfg.n_products)))
    active = rng.random(cfg.n_products) >= 0.03
    return pa.table({
        "product_id": _fmt_ids("P", np.arange(1, cfg.n_products + 1), width),
        "title": pa.array(titles).take(perm),
        "category": pa.array(cats).take(perm),
        "brand": pa.array(brands).take(perm),
        "price": pa.array(prices, pa.float64()).take(perm),
        "description": pa.array(descs).take(perm),
        "image_path": pa.array([""] * cfg.n_products, pa.string()),
        "active": pa.array(active),
        "stock": _stock(cfg, active),
    })


def _stock(cfg: SynthConfig, active: np.ndarray) -> pa.Array:
    """Units in stock: 0 for ``OUT_OF_STOCK_SHARE`` of the active products (at least one when
    there are two or more), 1 or more for every other product.

    Drawn from its own stream: the catalogue, customers and events stay exactly what they were
    before stock existed, and nothing else depends on it.
    """
    rng = _rng(cfg.seed, _STREAM_STOCK)
    units = rng.geometric(1.0 / _MEAN_STOCK, cfg.n_products)
    on_sale = np.flatnonzero(active)
    n_out = max(1, round(OUT_OF_STOCK_SHARE * len(on_sale))) if len(on_sale) > 1 else 0
    units[rng.choice(on_sale, size=n_out, replace=False)] = 0
    return pa.array(units, pa.int64())


@dataclass(frozen=True)
class _Latent:
    """Hidden product attributes and samplers derived from a catalogue."""

    product_ids: pa.Array
    cat: np.ndarray
    n_cat: int
    price_cents: np.ndarray
    quality: np.ndarray
    repeat_days: np.ndarray
    return_p: np.ndarray
    similar: np.ndarray
    nouns: pa.Array
    pcat: np.ndarray  # (persona, category) probabilities
    products: _RowSampler  # rows: persona * n_cat + category
    staples: _RowSampler | None  # rows: persona
    review_lines: pa.Array  # index (category * 3 + sentiment) * 2 + variant


def _latent(cfg: SynthConfig, catalog: pd.DataFrame) -> _Latent:
    rng = _rng(cfg.seed, _STREAM_LATENT)
    n = len(catalog)
    if n == 0:
        raise ValueError("catalog is empty")
    cat_names = sorted(catalog["category"].astype(str).unique())
    cat = pd.Categorical(catalog["category"].astype(str), categories=cat_names).codes.astype(np.int64)
    n_cat = len(cat_names)
    price = catalog["price"].to_numpy(dtype=np.float64)
    if (price <= 0).any():
        raise ValueError("catalog prices must be > 0")
    logp = pd.Series(np.log(price))
    grp = logp.groupby(cat)
    z = ((logp - grp.transform("mean")) / grp.transform("std").fillna(1.0).replace(0.0, 1.0)).to_numpy()
    order = np.lexsort((rng.random(n), cat))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.searchsorted(cat[order], cat[order])
    pop = 1.0 / (rank + 1.0) ** 1.1
    quality = rng.normal(0.0, 1.0, n)
    active = catalog["active"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    titles = catalog["title"].astype(str)
    nouns = np.array(titles.str.split().str[-1].str.lower().fillna("item").to_numpy(dtype=object))
    repeat = np.zeros(n, dtype=np.int64)
    for ptype, days in _TYPE_DAYS.items():
        hit = titles.str.endswith(" " + ptype).to_numpy() | (titles == ptype).to_numpy()
        nouns[hit] = _noun(ptype)
        repeat[hit] = days
    base_ret = np.array([_CAT_SPECS[c].return_rate if c in _CAT_SPECS else 0.04 for c in cat_names])
    return_p = base_ret[cat] * np.exp(-0.35 * quality) * np.where(repeat > 0, 0.4, 1.0)
    by_cat = [np.flatnonzero(cat == c) for c in range(n_cat)]
    similar = _RowSampler(by_cat, [pop[i] for i in by_cat]).sample(rng, cat)

    pcat = np.zeros((len(PERSONAS), n_cat))
    for p, persona in enumerate(PERSONAS):
        given = 0.0
        for name, w in persona.categories:
            if name in cat_names:
                pcat[p, cat_names.index(name)] += w
                given += w
        pcat[p] += max(1.0 - given, 0.05) / n_cat
    pcat = _norm(pcat)
    items, weights = [], []
    for persona in PERSONAS:
        pw = pop * np.exp(persona.price_pref * z) * np.where(active, 1.0, 0.25)
        items.extend(by_cat)
        weights.extend(pw[i] for i in by_cat)
    cons = np.flatnonzero(repeat > 0)
    staples = None
    if len(cons):
        staple_w = [pcat[p, cat[cons]] * pop[cons] for p in range(len(PERSONAS))]
        staples = _RowSampler([cons] * len(PERSONAS), staple_w)
    lines = []
    for c in cat_names:
        spec_lines = _CAT_SPECS[c].review_lines if c in _CAT_SPECS else GENERIC_REVIEW_LINES
        for s in range(3):
            opts = spec_lines[s]
            lines.extend(" " + opts[v % len(opts)] for v in range(2))
    return _Latent(
        product_ids=pa.array(catalog["product_id"].astype(str).to_numpy(dtype=object), pa.string()),
        cat=cat, n_cat=n_cat, price_cents=np.rint(price * 100).astype(np.int64), quality=quality,
        repeat_days=repeat, return_p=return_p, similar=similar, nouns=pa.array(nouns, pa.string()),
        pcat=pcat, products=_RowSampler(items, weights), staples=staples, review_lines=pa.array(lines),
    )
