"""A group of customers as a table, and as a CSV an e-mail tool can take.

Only customers who did not object to profiling are ever exported (segments are profiling), and
every text cell that a spreadsheet would run as a formula (= + - @, tab, carriage return) is
neutralised with a leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.segments.profiles import CustomerData
from core.store.store import Store

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("customer_key", "segment", "segment_name", "recency_days", "frequency", "monetary",
           "basket_value", "value_12m", "churn_risk", "rfm_group", "country", "region")


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with a formula character get a leading apostrophe."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return out


def members(store: Store, data: CustomerData, keys: Sequence[str], labels: np.ndarray,
            names: dict[int, str]) -> pd.DataFrame:
    """One row per customer in ``keys`` with their segment and key figures (consenting only)."""
    frame = pd.DataFrame({"customer_key": list(keys), "segment": np.asarray(labels, dtype=np.int64)})
    frame["segment_name"] = frame["segment"].map(lambda s: names.get(int(s), "unassigned"))
    figures = data.numeric.reindex(frame["customer_key"]).reset_index(drop=True)
    for col in COLUMNS:
        if col in figures and col not in frame:
            frame[col] = figures[col].to_numpy()
    who = store.df("SELECT customer_key, country, region FROM customers WHERE consent_profiling")
    frame = frame.merge(who, on="customer_key", how="inner")
    return frame[[c for c in COLUMNS if c in frame]].reset_index(drop=True)


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with formula-safe cells and rounded figures."""
    out = safe_cells(frame)
    for col in ("recency_days", "monetary", "basket_value", "value_12m"):
        if col in out:
            out[col] = out[col].round(2)
    if "churn_risk" in out:
        out["churn_risk"] = out["churn_risk"].round(3)
    return out.to_csv(index=False).encode("utf-8")
