"""bench/export_cut.py: the export files the next-period benchmark imports hold nothing at or
after the cutoff (issue 16: no test-period event reaches the shop)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import export_cut  # noqa: E402

CUTOFF = pd.Timestamp("2025-06-01 12:00:00")


@pytest.fixture()
def sources(tmp_path: Path) -> list[Path]:
    """A small generated shop export: events (times as datetimes, some exactly at the cutoff and
    one unreadable), an order file with times as text (Online Retail II's form), customers with
    sign-up dates and a product file without times."""
    rng = np.random.default_rng(0)
    n = 400
    times = CUTOFF + pd.to_timedelta(rng.integers(-86_400 * 30, 86_400 * 30, n), unit="s")
    times = times.to_numpy().copy()
    times[:5] = CUTOFF.to_datetime64()  # at the cutoff: must not get through
    events = pd.DataFrame({"event_time": times, "customer_id": [f"C{i % 37:03d}" for i in range(n)],
                           "event_type": "purchase", "product_id": [f"P{i % 11}" for i in range(n)]})
    orders = pd.DataFrame({"InvoiceDate": [str(t)[:19].replace("T", " ") for t in times],
                           "Customer ID": rng.integers(12_000, 12_050, n).astype(float),
                           "StockCode": "85123A"})
    orders.loc[7, "InvoiceDate"] = "not a date"
    customers = pd.DataFrame({"customer_id": ["C000", "C001", "C002"],
                              "signup_date": ["2025-01-01", "2025-06-01", "2025-07-01"]})
    products = pd.DataFrame({"product_id": [f"P{i}" for i in range(11)], "price": 1.0})
    folder = tmp_path / "src"
    folder.mkdir()
    paths = []
    for name, frame in (("events", events), ("orders", orders), ("customers", customers),
                        ("products", products)):
        paths.append(folder / f"{name}.parquet")
        frame.to_parquet(paths[-1], index=False)
    return paths


COLUMNS = {"events.parquet": "event_time", "orders.parquet": "InvoiceDate",
           "customers.parquet": "signup_date", "products.parquet": None}


def test_nothing_at_or_after_the_cutoff_is_written(sources: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "cut"
    cuts = {c.name: c for c in export_cut.write_before(sources, COLUMNS, CUTOFF, out)}
    for path in sources:
        column = COLUMNS[path.name]
        written = pd.read_parquet(out / path.name)
        source = pd.read_parquet(path)
        if column is None:
            assert len(written) == len(source)
            continue
        when = pd.to_datetime(written[column], errors="coerce")
        assert when.notna().all() and (when < CUTOFF).all(), path.name
        expected = (pd.to_datetime(source[column], errors="coerce") < CUTOFF).sum()
        assert len(written) == expected == cuts[path.name].kept > 0, path.name  # nothing more lost
        assert cuts[path.name].latest < CUTOFF
    assert cuts["orders.parquet"].unreadable == 1
    # a date without a time is its midnight: a sign-up on the cutoff's day (before noon) stays
    assert list(pd.read_parquet(out / "customers.parquet")["customer_id"]) == ["C000", "C001"]
    # the columns and their types are the source's: the importer reads the cut file as the original
    assert (pd.read_parquet(out / "orders.parquet").dtypes == pd.read_parquet(sources[1]).dtypes).all()


def test_a_file_without_a_known_time_column_is_refused(sources: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no time column is known"):
        export_cut.write_before(sources, {"events.parquet": "event_time"}, CUTOFF, tmp_path / "cut")
    with pytest.raises(ValueError, match="has no column 'when'"):
        export_cut.write_before(sources[:1], {"events.parquet": "when"}, CUTOFF, tmp_path / "cut")


def test_customer_ids_are_read_as_the_importer_reads_them(sources: list[Path]) -> None:
    ids = export_cut.raw_ids(sources)
    assert "12000" in ids or "12001" in ids  # floats 12000.0 -> '12000', as the importer keys them
    assert not any(i.endswith(".0") for i in ids)
    assert {"C000", "C001", "C002"} <= set(ids)
