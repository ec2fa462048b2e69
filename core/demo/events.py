"""Events and reviews of :mod:`core.demo.synth`, generated one customer chunk at a time.

Each chunk turns its session plan into time-sorted view, cart, purchase and
return events (sessions stay in one category and walk to similar items) and
into reviews whose text agrees with a rating driven by hidden product quality.
Memory is bounded by the chunk size, not by the number of customers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.demo.catalog import REVIEW_OPENERS
from core.demo.files import _fmt_ids
from core.demo.personas import CHANNELS, DEVICES, PERSONAS
from core.demo.products import _Latent, _latent
from core.demo.sessions import (
    _DAY,
    _P,
    _Calendar,
    _calendar,
    _concat,
    _customer_sessions,
    _guest_sessions,
)
from core.demo.streams import _STREAM_EVENTS, _choice_rows, _rng

if TYPE_CHECKING:
    from core.demo.config import SynthConfig

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
