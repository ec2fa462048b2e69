"""The size, period and seed of a generated shop, and the columns of its export files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CUSTOMER_COLUMNS = ("customer_id", "signup_date", "country", "region", "city", "lat", "lon",
                    "age_band", "gender", "consent_profiling")
PRODUCT_COLUMNS = ("product_id", "title", "category", "brand", "price", "description", "image_path", "active",
                   "stock")
EVENT_COLUMNS = ("event_time", "customer_id", "session_id", "event_type", "product_id", "quantity",
                 "unit_price", "order_id", "device", "channel", "region")
REVIEW_COLUMNS = ("review_time", "customer_id", "product_id", "rating", "text")
EVENTS_PER_CUSTOMER = 70.0  # rough yield per customer of a one-year config, sizes benchmarks


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
