"""The past a merchant would have had: a shop's export files cut at a time, for the next-period
benchmark of exported lists (``bench/export_next_period.py``).

``write_before`` reads each export file (Parquet), keeps the rows whose time column is strictly
before the cutoff and writes them under the same name into another folder, so that importing that
folder gives the shop as it stood just before the cutoff: no event, review or sign-up at or after
it. Rows whose time cannot be read are left out too (nothing unknown gets through). A file with no
time column (a product catalogue) is copied whole. ``raw_key`` gives a customer id as the importer
normalises it, so a shop's keys can be matched across two imports made with different secrets.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

log = logging.getLogger("bench.export_cut")

# The time column of each export file, by file name; None: the file has no time (kept whole).
TIME_COLUMNS: dict[str, dict[str, str | None]] = {
    "online_retail_ii": {"online_retail_ii_2009_2010.parquet": "InvoiceDate",
                         "online_retail_ii_2010_2011.parquet": "InvoiceDate"},
    "demo": {"events.parquet": "event_time", "reviews.parquet": "review_time",
             "customers.parquet": "signup_date", "products.parquet": None},
}
# The customer id column of each export file that has one.
CUSTOMER_COLUMNS = ("Customer ID", "CustomerID", "customer_id")


@dataclass(frozen=True)
class Cut:
    """What ``write_before`` wrote for one file."""

    name: str
    rows: int  # rows in the source
    kept: int  # rows written (strictly before the cutoff)
    unreadable: int  # rows left out because their time could not be read
    latest: pd.Timestamp | None  # the latest time written (None: no time column or no row)


def before(frame: pd.DataFrame, column: str, cutoff: pd.Timestamp) -> tuple[pd.DataFrame, int]:
    """The rows of ``frame`` whose ``column`` is strictly before ``cutoff``; and how many rows
    had a time that could not be read (left out)."""
    when = pd.to_datetime(frame[column], errors="coerce")
    unreadable = int(when.isna().sum())
    return frame.loc[(when < cutoff).to_numpy(bool)].reset_index(drop=True), unreadable


def write_before(sources: list[Path], time_columns: dict[str, str | None], cutoff: pd.Timestamp,
                 folder: Path) -> list[Cut]:
    """Write each of ``sources`` into ``folder``, cut strictly before ``cutoff`` (see the module)."""
    folder.mkdir(parents=True, exist_ok=True)
    cuts = []
    for path in sources:
        if path.name not in time_columns:
            raise ValueError(f"{path}: no time column is known for this file; add it to TIME_COLUMNS "
                             "(or None to copy it whole).")
        column = time_columns[path.name]
        if column is None:
            shutil.copyfile(path, folder / path.name)
            n = pq.read_metadata(path).num_rows
            cuts.append(Cut(path.name, n, n, 0, None))
            continue
        frame = pd.read_parquet(path)
        if column not in frame.columns:
            raise ValueError(f"{path}: has no column {column!r} (columns: {', '.join(frame.columns)}).")
        kept, unreadable = before(frame, column, cutoff)
        kept.to_parquet(folder / path.name, index=False)
        latest = pd.to_datetime(kept[column]).max() if len(kept) else None
        cuts.append(Cut(path.name, len(frame), len(kept), unreadable, latest))
        log.info("%s: %d of %d rows before %s (%d unreadable times left out)", path.name, len(kept),
                 len(frame), cutoff, unreadable)
    return cuts


def raw_ids(sources: list[Path]) -> list[str]:
    """Every distinct customer id in ``sources``, normalised as the importer does."""
    from core.ingest.checks import normalize_customer_id

    out: set[str] = set()
    for path in sources:
        for name in (c for c in pq.read_schema(path).names if c in CUSTOMER_COLUMNS):
            values = pd.read_parquet(path, columns=[name])[name].dropna().unique()
            out.update(normalize_customer_id(raw_key(v)) for v in values)
    return sorted(out)


def raw_key(value: object) -> str:
    """A customer id cell as text the way the importer reads it ('13085.0' for a float 13085)."""
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() else repr(value)
    return str(value)
