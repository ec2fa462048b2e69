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

Module layout: this module is the public API (``generate_*``,
``iter_event_chunks``, the writers); :mod:`core.demo.config` holds
``SynthConfig`` and the column constants; :mod:`core.demo.products`,
:mod:`core.demo.customers`, :mod:`core.demo.sessions` and
:mod:`core.demo.events` generate the tables; :mod:`core.demo.streams` holds
the seeded samplers, :mod:`core.demo.files` the CSV/Parquet writer, and
:mod:`core.demo.catalog` / :mod:`core.demo.personas` the static tables
(re-exported here with ``import X as X``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from core.demo.catalog import BRAND_TIERS as BRAND_TIERS
from core.demo.catalog import CATEGORIES as CATEGORIES
from core.demo.catalog import GENERIC_REVIEW_LINES as GENERIC_REVIEW_LINES
from core.demo.catalog import REVIEW_OPENERS as REVIEW_OPENERS
from core.demo.config import CUSTOMER_COLUMNS, EVENTS_PER_CUSTOMER, SynthConfig
from core.demo.customers import _customers_table
from core.demo.events import _EVENT_SCHEMA, _REVIEW_SCHEMA, EVENT_TYPES, _iter_chunks
from core.demo.files import _check_fmt, _TableWriter
from core.demo.personas import AGE_BANDS as AGE_BANDS
from core.demo.personas import CHANNELS as CHANNELS
from core.demo.personas import DEVICES as DEVICES
from core.demo.personas import GENDERS as GENDERS
from core.demo.personas import GEOGRAPHY as GEOGRAPHY
from core.demo.personas import PERSONAS, Persona
from core.demo.products import _catalog_table

log = logging.getLogger(__name__)

__all__ = [
    "EVENT_TYPES",
    "PERSONAS",
    "Persona",
    "generate_catalog",
    "generate_customers",
    "iter_event_chunks",
    "write_demo",
    "write_event_lines",
]


def generate_catalog(cfg: SynthConfig) -> pd.DataFrame:
    """Product catalogue (columns of ``products.csv``), deterministic in ``cfg.seed``."""
    return _catalog_table(cfg).to_pandas()


def generate_customers(cfg: SynthConfig) -> pd.DataFrame:
    """Customers (columns of ``customers.csv``) plus the planted ``persona`` (truth, not a feature)."""
    return _customers_table(cfg).to_pandas(date_as_object=False)


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
            n_cust = max(50, math.ceil(need / EVENTS_PER_CUSTOMER * 1.5))
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
