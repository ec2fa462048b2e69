"""When customers shop in :mod:`core.demo.synth`: the seasonal calendar and the session plan.

``_calendar`` turns months, weekdays, the Christmas peak and Black Friday into
per-persona cumulative "effective days"; ``_customer_sessions`` and
``_guest_sessions`` draw every session of a customer chunk (day, start time,
category, basket size, device, channel), including consumables re-bought at
each customer's own interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from core.demo.personas import PERSONAS
from core.demo.products import _Latent
from core.demo.streams import _choice_rows, _norm

if TYPE_CHECKING:
    from core.demo.config import SynthConfig

_DAY = 86_400
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
