"""Deterministic demo-shop generator: catalogue, customers, events, reviews.

Everything is drawn from numpy generators seeded by ``SynthConfig.seed``;
every table and every customer chunk uses its own child ``SeedSequence``
(``spawn_key=(stream, chunk)``), so the same config always yields
byte-identical files.  Events are produced chunk by chunk (``chunk_customers``
customers at a time) with vectorised numpy and streamed to disk, so memory is
bounded by the chunk size, not by the number of customers.

Planted structure (see :data:`PERSONAS`): eight personas with their own
categories, price level, basket size, frequency, hour/weekday habit, device,
channel and countries; consumable products re-bought at a per-customer
interval; Zipf-like popularity inside each category; sessions that stay in
one category and walk from an item to a "similar" item; weekly and yearly
seasonality with a late-Nov/Dec peak and a Black Friday bump; signups over
time, 25 % churn, guest orders, returns (fashion most) and reviews whose text
agrees with a rating driven by hidden product quality.

Empty strings (guest ``customer_id``, non-order ``order_id``, ``image_path``)
are written as empty CSV fields.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.synth_catalog import (
    AGE_BANDS,
    BRAND_TIERS,
    CATEGORIES,
    CHANNELS,
    DEVICES,
    GENDERS,
    GENERIC_REVIEW_LINES,
    GEOGRAPHY,
    PERSONAS,
    REVIEW_OPENERS,
    Persona,
)

log = logging.getLogger(__name__)

__all__ = [
    "CUSTOMER_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_TYPES",
    "PERSONAS",
    "PRODUCT_COLUMNS",
    "REVIEW_COLUMNS",
    "Persona",
    "SynthConfig",
    "generate_catalog",
    "generate_customers",
    "iter_event_chunks",
    "write_demo",
    "write_event_lines",
]

CUSTOMER_COLUMNS = ("customer_id", "signup_date", "country", "region", "city", "lat", "lon",
                    "age_band", "gender", "consent_profiling")
PRODUCT_COLUMNS = ("product_id", "title", "category", "brand", "price", "description", "image_path", "active")
EVENT_COLUMNS = ("event_time", "customer_id", "session_id", "event_type", "product_id", "quantity",
                 "unit_price", "order_id", "device", "channel", "region")
REVIEW_COLUMNS = ("review_time", "customer_id", "product_id", "rating", "text")
EVENT_TYPES = ("view", "cart", "purchase", "return")

_EVENT_SCHEMA = pa.schema([
    ("event_time", pa.timestamp("s")), ("customer_id", pa.string()), ("session_id", pa.string()),
    ("event_type", pa.string()), ("product_id", pa.string()), ("quantity", pa.int32()),
    ("unit_price", pa.float64()), ("order_id", pa.string()), ("device", pa.string()),
    ("channel", pa.string()), ("region", pa.string()),
])
_REVIEW_SCHEMA = pa.schema([
    ("review_time", pa.timestamp("s")), ("customer_id", pa.string()), ("product_id", pa.string()),
    ("rating", pa.int32()), ("text", pa.string()),
])
_DECIMALS = {"price": 2, "unit_price": 2, "lat": 4, "lon": 4}
_STREAM_CATALOG, _STREAM_LATENT, _STREAM_CUSTOMERS, _STREAM_EVENTS = 1, 2, 3, 4
_DAY = 86_400
_EVENTS_PER_CUSTOMER = 70.0  # rough yield per customer of a one-year config, sizes benchmarks
_CSV_SLICE = 262_144


@dataclass(frozen=True)
class SynthConfig:
    """Size, period and seed of a generated shop."""

    n_customers: int = 5000
    n_products: int = 1000
    days: int = 365
    start: str = "2025-01-01"
    seed: int = 42
    guest_order_share: float = 0.08  # share of orders placed by guests (customer_id empty)
    chunk_customers: int = 20000  # customers generated per chunk

    def __post_init__(self) -> None:
        if self.n_customers < 1 or self.n_products < 1 or self.days < 1 or self.chunk_customers < 1:
            raise ValueError("n_customers, n_products, days and chunk_customers must be >= 1")
        if not 0.0 <= self.guest_order_share < 1.0:
            raise ValueError("guest_order_share must be in [0, 1)")
        if self.seed < 0:
            raise ValueError("seed must be >= 0")
        np.datetime64(self.start, "D")  # raises on a malformed date


# ---------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------


def _rng(seed: int, stream: int, index: int = 0) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, index))))


def _norm(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / x.sum(axis=-1, keepdims=True)


class _RowSampler:
    """Draw one item per query from per-row weighted item lists (flattened CDF trick)."""

    def __init__(self, items: list[np.ndarray], weights: list[np.ndarray]) -> None:
        cums, its, starts, ends, pos = [], [], [], [], 0
        for r, (it, w) in enumerate(zip(items, weights, strict=True)):
            starts.append(pos)
            if len(it):
                c = np.cumsum(np.asarray(w, dtype=np.float64))
                cums.append(c / c[-1] + r)
                its.append(np.asarray(it, dtype=np.int64))
                pos += len(it)
            ends.append(pos)
        self.cum = np.concatenate(cums) if cums else np.zeros(0)
        self.items = np.concatenate(its) if its else np.zeros(0, dtype=np.int64)
        self.start, self.end = np.array(starts), np.array(ends)

    def sample(self, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        q = rows + rng.random(len(rows))
        idx = np.searchsorted(self.cum, q, side="right")
        idx = np.clip(idx, self.start[rows], np.maximum(self.end[rows] - 1, self.start[rows]))
        return self.items[idx]


def _choice_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element, row ``rows[i]`` of ``probs`` giving its distribution."""
    k, m = probs.shape
    cum = np.cumsum(probs, axis=1)
    flat = (cum / cum[:, -1:] + np.arange(k)[:, None]).ravel()
    rows = np.asarray(rows, dtype=np.int64)
    idx = np.searchsorted(flat, rows + rng.random(len(rows)), side="right") - rows * m
    return np.clip(idx, 0, m - 1)


def _fmt_ids(prefix: str, nums: np.ndarray, width: int, empty: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded numbers as an Arrow string array, built from raw bytes."""
    nums = np.asarray(nums, dtype=np.int64)
    n, p = len(nums), prefix.encode()
    buf = np.empty((n, len(p) + width), dtype=np.uint8)
    buf[:, : len(p)] = np.frombuffer(p, dtype=np.uint8)
    x = np.abs(nums)
    for k in range(width - 1, -1, -1):
        buf[:, len(p) + k] = x % 10 + 48
        x = x // 10
    offsets = np.arange(n + 1, dtype=np.int32) * buf.shape[1]
    arr = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes())])
    if empty is not None and empty.any():
        arr = pc.if_else(pa.array(empty), pa.scalar(""), arr)
    return arr


def _fmt_fixed(values: np.ndarray, decimals: int) -> pa.Array:
    """Floats as strings with exactly ``decimals`` decimals (no exponent)."""
    v = np.asarray(values, dtype=np.float64)
    scale = 10**decimals
    scaled = np.rint(np.abs(v) * scale).astype(np.int64)
    whole = pc.cast(pa.array(scaled // scale), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(scaled % scale), pa.string()), width=decimals, padding="0")
    sign = pc.if_else(pa.array((v < 0) & (scaled > 0)), "-", "")
    return pc.binary_join_element_wise(sign, whole, ".", frac, "")


def _csv_text(col: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    col = pc.fill_null(col, "")
    need = pc.match_substring_regex(col, '[",\r\n]')
    if not pc.any(need).as_py():
        return col
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
    return pc.if_else(need, quoted, col)


def _csv_chunk(table: pa.Table) -> bytes:
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if name in _DECIMALS and pa.types.is_floating(col.type):
            cols.append(_fmt_fixed(col.to_numpy(), _DECIMALS[name]))
        elif pa.types.is_string(col.type):
            cols.append(_csv_text(col))
        else:
            cols.append(pc.fill_null(pc.cast(col, pa.string()), ""))
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cols, ","), "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset: lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[offsets[0]: offsets[-1]]


class _TableWriter:
    """Streams Arrow tables to one CSV (own fast serializer) or Parquet file."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path, self.schema, self.fmt, self.rows = path, schema, fmt, 0
        if fmt == "csv":
            self._fh = path.open("wb")
            self._fh.write((",".join(schema.names) + "\n").encode())
        else:
            self._pq = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        self.rows += table.num_rows
        if self.fmt == "csv":
            for lo in range(0, table.num_rows, _CSV_SLICE):
                self._fh.write(_csv_chunk(table.slice(lo, _CSV_SLICE)))
        elif table.num_rows:
            self._pq.write_table(table)

    def close(self) -> None:
        if self.fmt == "csv":
            self._fh.close()
        else:
            self._pq.close()


def _check_fmt(fmt: str) -> str:
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    return fmt


# ---------------------------------------------------------------------------
# catalogue
# ---------------------------------------------------------------------------

_TYPE_DAYS = {t: d for c in CATEGORIES for t, _, d in c.types}
_CAT_SPECS = {c.name: c for c in CATEGORIES}


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
    return pa.table({
        "product_id": _fmt_ids("P", np.arange(1, cfg.n_products + 1), width),
        "title": pa.array(titles).take(perm),
        "category": pa.array(cats).take(perm),
        "brand": pa.array(brands).take(perm),
        "price": pa.array(prices, pa.float64()).take(perm),
        "description": pa.array(descs).take(perm),
        "image_path": pa.array([""] * cfg.n_products, pa.string()),
        "active": pa.array(rng.random(cfg.n_products) >= 0.03),
    })


def generate_catalog(cfg: SynthConfig) -> pd.DataFrame:
    """Product catalogue (columns of ``products.csv``), deterministic in ``cfg.seed``."""
    return _catalog_table(cfg).to_pandas()


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


# ---------------------------------------------------------------------------
# customers
# ---------------------------------------------------------------------------

_CITIES = [(country, region, city, lat, lon, w)
           for country, regions in GEOGRAPHY.items()
           for region, cities in regions
           for city, lat, lon, w in cities]
_CITY_ARRAYS = {k: pa.array([c[i] for c in _CITIES]) for i, k in enumerate(("country", "region", "city"))}
_CITY_LATLON = np.array([(c[3], c[4]) for c in _CITIES])


def _persona_city_probs() -> np.ndarray:
    out = np.zeros((len(PERSONAS), len(_CITIES)))
    pop = np.array([c[5] for c in _CITIES])
    for p, persona in enumerate(PERSONAS):
        for country, w in persona.countries:
            mask = np.array([c[0] == country for c in _CITIES])
            out[p, mask] += w * pop[mask] / pop[mask].sum()
    return _norm(out)


def _customers_table(cfg: SynthConfig, id_offset: int = 0) -> pa.Table:
    shares = _norm([p.share for p in PERSONAS])
    city_p = _persona_city_probs()
    age_p = _norm([p.age_mix for p in PERSONAS])
    gender_p = _norm([p.gender_mix for p in PERSONAS])
    start = np.datetime64(cfg.start, "D").astype(np.int64)
    width = max(6, len(str(id_offset + cfg.n_customers)))
    parts = []
    for i, lo in enumerate(range(0, cfg.n_customers, cfg.chunk_customers)):
        m = min(cfg.chunk_customers, cfg.n_customers - lo)
        rng = _rng(cfg.seed, _STREAM_CUSTOMERS, i)
        persona = rng.choice(len(PERSONAS), size=m, p=shares)
        city = _choice_rows(rng, city_p, persona)
        latlon = np.round(_CITY_LATLON[city] + rng.normal(0.0, 0.04, (m, 2)), 4)
        existing = rng.random(m) < 0.4
        signup = np.where(existing, -rng.integers(1, 731, m), rng.integers(0, cfg.days, m))
        take = pa.array(city)
        parts.append(pa.table({
            "customer_id": _fmt_ids("C", np.arange(lo + 1, lo + m + 1) + id_offset, width),
            "signup_date": pa.array((start + signup).astype(np.int32), pa.date32()),
            "country": _CITY_ARRAYS["country"].take(take),
            "region": _CITY_ARRAYS["region"].take(take),
            "city": _CITY_ARRAYS["city"].take(take),
            "lat": latlon[:, 0], "lon": latlon[:, 1],
            "age_band": pa.array(AGE_BANDS).take(pa.array(_choice_rows(rng, age_p, persona))),
            "gender": pa.array(GENDERS).take(pa.array(_choice_rows(rng, gender_p, persona))),
            "consent_profiling": pa.array(rng.random(m) >= 0.04),
            "persona": pa.array([p.name for p in PERSONAS]).take(pa.array(persona)),
        }))
    return pa.concat_tables(parts)


def generate_customers(cfg: SynthConfig) -> pd.DataFrame:
    """Customers (columns of ``customers.csv``) plus the planted ``persona`` (truth, not a feature)."""
    return _customers_table(cfg).to_pandas(date_as_object=False)


# ---------------------------------------------------------------------------
# calendar & sessions
# ---------------------------------------------------------------------------

_MONTH_FACTOR = np.array([0.85, 0.85, 0.9, 0.95, 0.95, 0.9, 0.85, 0.85, 0.95, 1.0, 1.1, 1.0])


@dataclass(frozen=True)
class _Calendar:
    days: int
    start_sec: int
    cum: np.ndarray  # (persona, days + 1) cumulative "effective days"
    flat: np.ndarray
    stride: float
    discount_p: np.ndarray  # (days,)


def _calendar(cfg: SynthConfig) -> _Calendar:
    length = max(cfg.days, 365)
    dates = np.datetime64(cfg.start, "D") + np.arange(length)
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    dow = (dates.astype(np.int64) + 3) % 7
    season = _MONTH_FACTOR[month - 1].copy()
    nov = month == 11
    late_nov = nov & (dom >= 20)
    season[late_nov] = 1.2 + 0.05 * (dom[late_nov] - 20)
    dec = month == 12
    season[dec] = np.select([dom[dec] <= 21, dom[dec] <= 24, dom[dec] <= 26], [2.0, 1.5, 0.7], 1.2)
    # Black Friday = day after the 4th Thursday of November; Cyber Monday three days later.
    nov_thu = nov & (dow == 3)
    thursday_rank = np.ceil(dom / 7.0)
    black_friday = np.flatnonzero(nov_thu & (thursday_rank == 4)) + 1
    bump = np.ones(length)
    for offset, factor in ((0, 1.9), (1, 1.4), (2, 1.3), (3, 1.7)):
        idx = black_friday + offset
        bump[idx[idx < length]] = factor
    season *= bump
    day_of_year = dates.astype(np.int64) % 365.25
    spring = np.exp(0.6 * np.cos(2 * np.pi * (day_of_year - 125) / 365.25))
    discount_p = np.where(late_nov | dec, 0.3, 0.0)
    discount_p[bump > 1] = 0.6
    cum = np.zeros((len(PERSONAS), cfg.days + 1))
    for p, persona in enumerate(PERSONAS):
        week = _norm(persona.weekday_weights) * 7
        w = season**persona.holiday_exp * spring**persona.spring_exp
        w = w / w[:365].mean() * week[dow]
        cum[p, 1:] = np.cumsum(w[: cfg.days])
    stride = float(cum[:, -1].max()) + 1.0
    flat = (cum + stride * np.arange(len(PERSONAS))[:, None]).ravel()
    start_sec = int(np.datetime64(cfg.start, "s").astype(np.int64))
    return _Calendar(cfg.days, start_sec, cum, flat, stride, discount_p[: cfg.days])


def _sample_days(rng: np.random.Generator, cal: _Calendar, persona: np.ndarray,
                 a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Seasonal/weekly day draws restricted to each element's window [a, b)."""
    lo, hi = cal.cum[persona, a], cal.cum[persona, b]
    q = persona * cal.stride + lo + rng.random(len(persona)) * (hi - lo)
    day = np.searchsorted(cal.flat, q, side="right") - 1 - persona * (cal.days + 1)
    return np.clip(day, a, b - 1)


_P = {
    "rate": np.array([p.orders_per_year / 365.0 / (p.cart_rate * p.purchase_rate) for p in PERSONAS]),
    "views": np.array([p.views_mean for p in PERSONAS]),
    "cart": np.array([p.cart_rate for p in PERSONAS]),
    "buy": np.array([p.purchase_rate for p in PERSONAS]),
    "basket": np.array([p.basket_mean for p in PERSONAS]),
    "staple": np.array([p.staple_prob for p in PERSONAS]),
    "ret": np.array([p.return_mult for p in PERSONAS]),
    "share": _norm([p.share for p in PERSONAS]),
    "device": _norm([p.device_mix for p in PERSONAS]),
    "channel": _norm([p.channel_mix for p in PERSONAS]),
}


def _hour_probs() -> np.ndarray:
    hours = np.arange(24) + 0.5
    out = np.full((len(PERSONAS), 24), 0.01)
    for p, persona in enumerate(PERSONAS):
        for h, w, sd in persona.hour_peaks:
            d = (hours - h + 12) % 24 - 12
            out[p] += w * np.exp(-0.5 * (d / sd) ** 2) / sd
    return _norm(out)


_HOURS = _hour_probs()


def _session_times(rng: np.random.Generator, day: np.ndarray, persona: np.ndarray,
                   shift: np.ndarray, days: int) -> np.ndarray:
    """Session start (seconds from period start): persona hour habit plus a per-customer shift."""
    hour = _choice_rows(rng, _HOURS, persona) + rng.random(len(day)) + shift
    start = day * _DAY + (np.floor(hour * 3600).astype(np.int64) % _DAY)
    return np.minimum(start, days * _DAY - 3 * 3600)  # let last-day sessions finish inside the period


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _customer_sessions(rng: np.random.Generator, cfg: SynthConfig, cal: _Calendar, lat: _Latent,
                       persona: np.ndarray, signup: np.ndarray) -> dict[str, np.ndarray]:
    m, days = len(persona), cfg.days
    a = np.clip(signup, 0, days - 1)
    churn_day = a + 1 + np.floor(rng.random(m) * np.maximum(days - a - 1, 0)).astype(np.int64)
    b = np.where(rng.random(m) < 0.25, churn_day, days)
    activity = rng.lognormal(-0.18, 0.6, m)
    shift = rng.normal(0.0, 0.5, m)
    primary = _choice_rows(rng, _P["device"], persona)
    lam = _P["rate"][persona] * activity * (cal.cum[persona, b] - cal.cum[persona, a])
    n = rng.poisson(lam)
    n = np.where(signup >= 0, np.maximum(n, 1), n)
    cust = np.repeat(np.arange(m), n)
    pp = persona[cust]
    day = _sample_days(rng, cal, pp, a[cust], b[cust])
    first = np.concatenate([[0], np.cumsum(n)[:-1]])[(n > 0) & (signup >= 0)]
    day[first] = a[cust[first]]  # activity starts with a signup-day session
    s = len(cust)
    cart = rng.random(s) < _P["cart"][pp]
    parts = [{
        "cust": cust, "persona": pp, "day": day, "cart": cart,
        "buy": cart & (rng.random(s) < _P["buy"][pp]),
        "k": np.where(cart, 1 + np.minimum(rng.poisson(_P["basket"][pp] - 1.0), 7), 0),
        "views": rng.geometric(1.0 / _P["views"][pp]), "forced": np.full(s, -1),
        "cat": _choice_rows(rng, lat.pcat, pp),
    }]
    # consumables re-bought at each customer's own interval
    if lat.staples is not None:
        n_st = (rng.random(m) < _P["staple"][persona]) * (1 + (rng.random(m) < 0.35 * _P["staple"][persona]))
        sc = np.repeat(np.arange(m), n_st)
        prod = lat.staples.sample(rng, persona[sc])
        interval = lat.repeat_days[prod] * rng.uniform(0.8, 1.25, len(sc))
        first_day = a[sc] + rng.random(len(sc)) * interval
        reps = np.where(first_day < b[sc], np.ceil((b[sc] - first_day) / interval), 0).astype(np.int64)
        occ = np.repeat(np.arange(len(sc)), reps)
        k_idx = np.arange(len(occ)) - np.repeat(np.cumsum(reps) - reps, reps)
        sday = first_day[occ] + k_idx * interval[occ] + rng.normal(0.0, 0.08, len(occ)) * interval[occ]
        ocust = sc[occ]
        sday = np.clip(np.floor(sday).astype(np.int64), a[ocust], b[ocust] - 1)
        t = len(occ)
        parts.append({
            "cust": ocust, "persona": persona[ocust], "day": sday, "cart": np.ones(t, bool),
            "buy": np.ones(t, bool), "k": 1 + (rng.random(t) < 0.15), "views": 1 + rng.poisson(0.6, t),
            "forced": prod[occ], "cat": lat.cat[prod[occ]],
        })
    ses = _concat(parts)
    ses["start"] = _session_times(rng, ses["day"], ses["persona"], shift[ses["cust"]], cfg.days)
    t = len(ses["cust"])
    ses["device"] = np.where(rng.random(t) < 0.8, primary[ses["cust"]],
                             _choice_rows(rng, _P["device"], ses["persona"]))
    ses["channel"] = _choice_rows(rng, _P["channel"], ses["persona"])
    ses["region"] = ses["cust"]
    return ses


def _guest_sessions(rng: np.random.Generator, cfg: SynthConfig, cal: _Calendar, lat: _Latent,
                    n_orders: int, m: int) -> dict[str, np.ndarray]:
    share = cfg.guest_order_share
    g = int(rng.poisson(n_orders * share / (1.0 - share))) if share > 0 and m > 0 else 0
    pp = rng.choice(len(PERSONAS), size=g, p=_P["share"])
    day = _sample_days(rng, cal, pp, np.zeros(g, np.int64), np.full(g, cfg.days))
    k = 1 + np.minimum(rng.poisson(0.5, g), 5)
    return {
        "cust": np.full(g, -1), "persona": pp, "day": day, "cart": np.ones(g, bool), "buy": np.ones(g, bool),
        "k": k, "views": np.maximum(rng.geometric(1 / 3.0, g), k), "forced": np.full(g, -1),
        "cat": _choice_rows(rng, lat.pcat, pp), "start": _session_times(rng, day, pp, np.zeros(g), cfg.days),
        "device": _choice_rows(rng, _P["device"], pp), "channel": _choice_rows(rng, _P["channel"], pp),
        "region": rng.integers(0, max(m, 1), g),
    }


# ---------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    events: pa.Table
    reviews: pa.Table
    n_sessions: int
    n_orders: int


def _event_chunk(cfg: SynthConfig, cal: _Calendar, lat: _Latent, index: int, ids: pa.Array,
                 regions: pa.Array, persona: np.ndarray, signup: np.ndarray,
                 session_offset: int, order_offset: int) -> _Chunk:
    rng = _rng(cfg.seed, _STREAM_EVENTS, index)
    m = len(persona)
    ses = _customer_sessions(rng, cfg, cal, lat, persona, signup)
    ses = _concat([ses, _guest_sessions(rng, cfg, cal, lat, int(ses["buy"].sum()), m)])
    s = len(ses["cust"])
    ses["views"] = np.maximum(ses["views"], ses["k"])

    # --- views: stay in the session category, walk to similar items ---
    nv = ses["views"]
    first = np.cumsum(nv) - nv
    sess = np.repeat(np.arange(s), nv)
    v = len(sess)
    pos = np.arange(v) - first[sess]
    vp = ses["persona"][sess]
    vcat = ses["cat"][sess].copy()
    switch = np.flatnonzero((pos > 0) & (rng.random(v) < 0.12))
    vcat[switch] = _choice_rows(rng, lat.pcat, vp[switch])
    prod = lat.products.sample(rng, vp * lat.n_cat + vcat)
    forced = np.flatnonzero(ses["forced"] >= 0)
    prod[first[forced]] = ses["forced"][forced]
    walk = rng.random(v)
    by_pos = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[by_pos], np.arange(int(pos.max(initial=0)) + 2))
    for k in range(1, len(bounds) - 1):
        idx = by_pos[bounds[k]: bounds[k + 1]]
        follow = idx[walk[idx] < 0.3]
        prod[follow] = lat.similar[prod[follow - 1]]
        again = idx[(walk[idx] >= 0.3) & (walk[idx] < 0.38)]
        prod[again] = prod[again - 1]
    gaps = rng.exponential(45.0, v) + 8.0
    gaps[first] = 0.0
    cs = np.cumsum(gaps)
    vtime = ses["start"][sess] + np.floor(cs - cs[first][sess]).astype(np.int64)

    # --- carts: k distinct viewed items, later views preferred ---
    srt = np.lexsort((prod, sess))
    dup = np.zeros(v, bool)
    dup[srt[1:]] = (sess[srt[1:]] == sess[srt[:-1]]) & (prod[srt[1:]] == prod[srt[:-1]])
    distinct = np.bincount(sess[~dup], minlength=s)
    k = np.where(ses["cart"], np.minimum(ses["k"], distinct), 0)
    key = rng.random(v) - 0.5 * pos / nv[sess] + 10.0 * dup
    key[first[forced]] = -10.0
    order = np.lexsort((key, sess))
    rank = np.arange(v) - first[sess[order]]
    ci = np.sort(order[rank < k[sess[order]]])
    csess, cprod = sess[ci], prod[ci]
    ctime = vtime[ci] + rng.integers(5, 40, len(ci))
    price = lat.price_cents[cprod]
    many = rng.random(len(ci)) < np.where((price < 1500) | (lat.repeat_days[cprod] > 0), 0.3, 0.03)
    qty = 1 + many * (1 + np.minimum(rng.poisson(0.8, len(ci)), 4))
    sday = np.clip(ses["start"][csess] // _DAY, 0, cfg.days - 1)
    disc = rng.random(len(ci)) < cal.discount_p[sday]
    cents = np.where(disc, np.rint(price * (1.0 - rng.uniform(0.1, 0.3, len(ci)))), price).astype(np.int64)

    # --- purchases: the carted items of buying sessions, after the last view ---
    pmask = ses["buy"][csess]
    psess, pprod, pqty, pcents = csess[pmask], cprod[pmask], qty[pmask], cents[pmask]
    last_view = vtime[first + nv - 1]
    ptime = last_view[psess] + 60 + rng.integers(0, 240, len(psess))
    buying = ses["buy"] & (k > 0)
    order_no = np.where(buying, order_offset + np.cumsum(buying) - 1, -1)
    pcust = ses["cust"][psess]

    # --- returns (fashion and low quality most) and reviews ---
    end = cfg.days * _DAY
    returned = rng.random(len(psess)) < lat.return_p[pprod] * _P["ret"][ses["persona"][psess]]
    rtime = ptime + rng.integers(3 * _DAY, 30 * _DAY, len(psess))
    ri = np.flatnonzero(returned & (rtime < end))
    rev = np.flatnonzero((pcust >= 0) & (rng.random(len(psess)) < 0.10))
    rev_time = ptime[rev] + rng.integers(2 * _DAY, 20 * _DAY, len(rev))
    keep = rev_time < end
    rev, rev_time = rev[keep], rev_time[keep]
    rating = np.clip(np.rint(3.9 + 0.9 * lat.quality[pprod[rev]] + rng.normal(0.0, 0.8, len(rev))
                             - 1.8 * returned[rev]), 1, 5).astype(np.int64)

    n_ret = len(ri)
    e_sess = np.concatenate([sess, csess, psess, psess[ri]])
    e_sid = np.concatenate([session_offset + e_sess[: v + len(ci) + len(psess)],
                            session_offset + s + np.arange(n_ret)])
    e_cust = ses["cust"][e_sess]
    e_type = np.repeat(np.arange(4, dtype=np.int64), [v, len(ci), len(psess), n_ret])
    e_time = np.concatenate([vtime, ctime, ptime, rtime[ri]])
    e_prod = np.concatenate([prod, cprod, pprod, pprod[ri]])
    e_qty = np.concatenate([np.ones(v, np.int64), qty, pqty, pqty[ri]])
    e_cents = np.concatenate([lat.price_cents[prod], cents, pcents, pcents[ri]])
    e_order = np.where(e_type >= 2, order_no[e_sess], -1)
    e_device = ses["device"][e_sess]
    e_channel = np.where(e_type == 3, CHANNELS.index("direct"), ses["channel"][e_sess])
    e_region = ses["region"][e_sess]
    o = np.lexsort((np.arange(len(e_time)), e_time))
    o = o[e_time[o] < end]
    guest = e_cust[o] < 0
    events = pa.table({
        "event_time": pa.array(cal.start_sec + e_time[o], pa.timestamp("s")),
        "customer_id": pc.if_else(pa.array(guest), pa.scalar(""),
                                  ids.take(pa.array(np.where(guest, 0, e_cust[o])))),
        "session_id": _fmt_ids("S", e_sid[o] + 1, 10),
        "event_type": pa.array(EVENT_TYPES).take(pa.array(e_type[o])),
        "product_id": lat.product_ids.take(pa.array(e_prod[o])),
        "quantity": pa.array(e_qty[o].astype(np.int32)),
        "unit_price": pa.array(e_cents[o] / 100.0),
        "order_id": _fmt_ids("O", e_order[o] + 1, 9, empty=e_order[o] < 0),
        "device": pa.array(DEVICES).take(pa.array(e_device[o])),
        "channel": pa.array(CHANNELS).take(pa.array(e_channel[o])),
        "region": regions.take(pa.array(e_region[o])),
    }, schema=_EVENT_SCHEMA)

    o = np.argsort(rev_time, kind="stable")
    rprod, rrating = pprod[rev][o], rating[o]
    tmpl = rng.integers(0, 6, len(rev))
    opener = (rrating - 1) * 6 + tmpl
    pres = pa.array([REVIEW_OPENERS[r][t][0] for r in range(1, 6) for t in range(6)])
    sufs = pa.array([REVIEW_OPENERS[r][t][1] for r in range(1, 6) for t in range(6)])
    sentiment = np.where(rrating >= 4, 0, np.where(rrating == 3, 1, 2))
    line_idx = (lat.cat[rprod] * 3 + sentiment) * 2 + rng.integers(0, 2, len(rev))
    line = pc.if_else(pa.array(rng.random(len(rev)) < 0.65), lat.review_lines.take(pa.array(line_idx)), "")
    text = pc.binary_join_element_wise(pres.take(pa.array(opener)), lat.nouns.take(pa.array(rprod)),
                                       sufs.take(pa.array(opener)), line, "")
    reviews = pa.table({
        "review_time": pa.array(cal.start_sec + rev_time[o], pa.timestamp("s")),
        "customer_id": ids.take(pa.array(pcust[rev][o])),
        "product_id": lat.product_ids.take(pa.array(rprod)),
        "rating": pa.array(rrating.astype(np.int32)),
        "text": text,
    }, schema=_REVIEW_SCHEMA)
    return _Chunk(events, reviews, s + n_ret, int(buying.sum()))


def _customer_arrays(customers: pd.DataFrame | pa.Table, cfg: SynthConfig
                     ) -> tuple[pa.Array, pa.Array, np.ndarray, np.ndarray]:
    df = customers if isinstance(customers, pd.DataFrame) else customers.select(
        ["customer_id", "signup_date", "region", "persona"]).to_pandas(date_as_object=False)
    lookup = {p.name: i for i, p in enumerate(PERSONAS)}
    persona = df["persona"].astype(str).map(lookup)
    if persona.isna().any():
        raise ValueError("customers.persona holds names that are not in PERSONAS")
    start = np.datetime64(cfg.start, "D")
    signup = (pd.to_datetime(df["signup_date"]).to_numpy().astype("datetime64[D]") - start).astype(np.int64)
    return (pa.array(df["customer_id"].astype(str).to_numpy(dtype=object), pa.string()),
            pa.array(df["region"].astype(str).to_numpy(dtype=object), pa.string()),
            persona.to_numpy(dtype=np.int64), np.minimum(signup, cfg.days - 1))


def _iter_chunks(cfg: SynthConfig, catalog: pd.DataFrame, customers: pd.DataFrame | pa.Table
                 ) -> Iterator[tuple[_Chunk, float]]:
    cal, lat = _calendar(cfg), _latent(cfg, catalog)
    ids, regions, persona, signup = _customer_arrays(customers, cfg)
    n = len(persona)
    sessions = orders = 0
    for i, lo in enumerate(range(0, n, cfg.chunk_customers)):
        hi = min(lo + cfg.chunk_customers, n)
        chunk = _event_chunk(cfg, cal, lat, i, ids.slice(lo, hi - lo), regions.slice(lo, hi - lo),
                             persona[lo:hi], signup[lo:hi], sessions, orders)
        sessions += chunk.n_sessions
        orders += chunk.n_orders
        yield chunk, hi / n


def iter_event_chunks(cfg: SynthConfig, catalog: pd.DataFrame,
                      customers: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """Event rows (``events.csv`` columns), one DataFrame per customer chunk, time-sorted in a chunk."""
    for chunk, _ in _iter_chunks(cfg, catalog, customers):
        yield chunk.events.to_pandas()


# ---------------------------------------------------------------------------
# writers
# ---------------------------------------------------------------------------


def write_demo(folder: Path, cfg: SynthConfig = SynthConfig(), fmt: str = "csv",
               progress: Callable[[float, str], None] | None = None) -> dict[str, int]:
    """Write customers, products, events, reviews and personas files into ``folder``.

    Returns row counts per file stem.  ``progress(fraction, message)`` is called as work proceeds.
    """
    fmt = _check_fmt(fmt)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def report(fraction: float, message: str) -> None:
        log.debug("synth %.0f%% %s", fraction * 100, message)
        if progress is not None:
            progress(fraction, message)

    report(0.0, "building catalogue")
    products = _catalog_table(cfg)
    counts: dict[str, int] = {}

    def dump(stem: str, table: pa.Table) -> None:
        w = _TableWriter(folder / f"{stem}.{fmt}", table.schema, fmt)
        w.write(table)
        w.close()
        counts[stem] = table.num_rows

    dump("products", products)
    report(0.03, "generating customers")
    customers = _customers_table(cfg)
    dump("customers", customers.select(list(CUSTOMER_COLUMNS)))
    dump("personas", customers.select(["customer_id", "persona"]))
    report(0.08, "generating events")
    ev = _TableWriter(folder / f"events.{fmt}", _EVENT_SCHEMA, fmt)
    rv = _TableWriter(folder / f"reviews.{fmt}", _REVIEW_SCHEMA, fmt)
    try:
        for chunk, done in _iter_chunks(cfg, products.to_pandas(), customers):
            ev.write(chunk.events)
            rv.write(chunk.reviews)
            report(0.08 + 0.9 * done, f"events: {ev.rows:,} rows")
    finally:
        ev.close()
        rv.close()
    counts["events"], counts["reviews"] = ev.rows, rv.rows
    report(1.0, "done")
    log.info("synth demo written to %s: %s", folder, counts)
    return counts


def write_event_lines(path: Path, n_lines: int, seed: int = 7, fmt: str = "csv") -> int:
    """Benchmark helper: write exactly ``n_lines`` event rows (``events.csv`` columns) to one file.

    Streams chunk by chunk; adds more customers (new seeds, new ids) in the rare case one
    batch of customers does not yield enough rows.  Returns the number of lines written.
    """
    fmt = _check_fmt(fmt)
    if n_lines < 0:
        raise ValueError("n_lines must be >= 0")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = _TableWriter(path, _EVENT_SCHEMA, fmt)
    try:
        batch, offset = 0, 0
        while writer.rows < n_lines:
            need = n_lines - writer.rows
            n_cust = max(50, math.ceil(need / _EVENTS_PER_CUSTOMER * 1.5))
            cfg = SynthConfig(n_customers=n_cust, seed=seed + 1_000_003 * batch, chunk_customers=10_000)
            customers = _customers_table(cfg, id_offset=offset)
            for chunk, _ in _iter_chunks(cfg, generate_catalog(replace(cfg, seed=seed)), customers):
                writer.write(chunk.events.slice(0, n_lines - writer.rows))
                if writer.rows >= n_lines:
                    break
            batch, offset = batch + 1, offset + n_cust
    finally:
        writer.close()
    log.info("wrote %d event lines to %s", writer.rows, path)
    return writer.rows
