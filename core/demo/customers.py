"""The customer table of :mod:`core.demo.synth`: persona, city, signup date and demographics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from core.demo.files import _fmt_ids
from core.demo.personas import AGE_BANDS, GENDERS, GEOGRAPHY, PERSONAS
from core.demo.streams import _STREAM_CUSTOMERS, _choice_rows, _norm, _rng

if TYPE_CHECKING:
    from core.demo.config import SynthConfig

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
