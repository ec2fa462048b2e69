"""Tests for the demo shop generator (core.demo.synth)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from core.demo.config import EVENT_COLUMNS, SynthConfig
from core.demo.synth import (
    PERSONAS,
    generate_catalog,
    generate_customers,
    iter_event_chunks,
    write_demo,
    write_event_lines,
)

SMALL = SynthConfig(n_customers=400, n_products=150, days=120)
YEAR = SynthConfig(n_customers=300, n_products=150, days=365)

COLUMNS = {
    "customers": ["customer_id", "signup_date", "country", "region", "city", "lat", "lon",
                  "age_band", "gender", "consent_profiling"],
    "products": ["product_id", "title", "category", "brand", "price", "description", "image_path", "active",
                 "stock"],
    "events": list(EVENT_COLUMNS),
    "reviews": ["review_time", "customer_id", "product_id", "rating", "text"],
    "personas": ["customer_id", "persona"],
}


def _read(folder: Path, stem: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{stem}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], list[float]]:
    folder = tmp_path_factory.mktemp("small")
    seen: list[float] = []
    counts = write_demo(folder, SMALL, progress=lambda f, _msg: seen.append(f))
    return folder, counts, seen


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("year")
    write_demo(folder, YEAR)
    return folder


def test_same_seed_identical_files_and_other_seed_differs(small, tmp_path: Path) -> None:
    folder, _, _ = small
    write_demo(tmp_path / "again", SMALL)
    write_demo(tmp_path / "other", SynthConfig(n_customers=400, n_products=150, days=120, seed=43))
    for stem in COLUMNS:
        name = f"{stem}.csv"
        assert (folder / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), stem
    assert (folder / "events.csv").read_bytes() != (tmp_path / "other" / "events.csv").read_bytes()
    assert (folder / "customers.csv").read_bytes() != (tmp_path / "other" / "customers.csv").read_bytes()


def test_columns_counts_and_progress(small) -> None:
    folder, counts, seen = small
    assert set(counts) == set(COLUMNS)
    for stem, cols in COLUMNS.items():
        df = _read(folder, stem)
        assert list(df.columns) == cols, stem
        assert len(df) == counts[stem], stem
    assert counts["customers"] == SMALL.n_customers and counts["products"] == SMALL.n_products
    assert counts["events"] > 1000 and counts["reviews"] > 0
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_customer_and_product_values(small) -> None:
    folder, _, _ = small
    cust = _read(folder, "customers")
    assert cust["customer_id"].str.fullmatch(r"C\d{6}").all() and cust["customer_id"].is_unique
    pd.to_datetime(cust["signup_date"], format="%Y-%m-%d")
    assert set(cust["age_band"]) <= {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"}
    assert set(cust["gender"]) <= {"f", "m", "x"}
    assert cust["lat"].str.fullmatch(r"-?\d+\.\d{4}").all()
    assert set(cust["consent_profiling"]) == {"true", "false"}
    assert 0.005 < (cust["consent_profiling"] == "false").mean() < 0.1
    prod = _read(folder, "products")
    assert prod["product_id"].str.fullmatch(r"P\d{4}").all() and prod["product_id"].is_unique
    assert prod["price"].str.fullmatch(r"\d+\.\d{2}").all()
    assert (prod["price"].astype(float) > 0).all()
    assert (prod["image_path"] == "").all()
    assert set(prod["active"]) <= {"true", "false"}
    stock = prod["stock"].astype(int)
    assert prod["stock"].str.fullmatch(r"\d+").all() and stock.median() > 5
    active = prod["active"] == "true"
    assert (stock[~active] > 0).all()
    assert (stock[active] == 0).sum() == round(0.04 * active.sum())  # ~4 % sold out
    assert prod["category"].nunique() >= 10
    assert (prod["description"].str.len() > 20).all()


def test_event_invariants(small) -> None:
    folder, _, _ = small
    ev = _read(folder, "events")
    assert set(ev["event_type"]) == {"view", "cart", "purchase", "return"}
    assert set(ev["device"]) <= {"mobile", "desktop", "tablet"}
    assert set(ev["channel"]) <= {"organic", "email", "paid_search", "social", "direct"}
    is_order = ev["event_type"].isin(["purchase", "return"])
    assert (ev["order_id"] != "").eq(is_order).all()
    assert (ev["session_id"] != "").all() and (ev["region"] != "").all()
    assert (ev["quantity"].astype(int) >= 1).all()
    assert ev["unit_price"].str.fullmatch(r"\d+\.\d{2}").all() and (ev["unit_price"].astype(float) > 0).all()
    t = pd.to_datetime(ev["event_time"], format="%Y-%m-%d %H:%M:%S")
    assert t.min() >= pd.Timestamp(SMALL.start)
    assert t.max() < pd.Timestamp(SMALL.start) + pd.Timedelta(days=SMALL.days)
    ev["t"] = t
    buys = ev[ev["event_type"] == "purchase"]
    rets = ev[ev["event_type"] == "return"]
    assert len(rets) > 0
    joined = rets.merge(buys, on=["order_id", "product_id"], suffixes=("_r", "_p"))
    assert len(joined) == len(rets)
    assert (joined["t_r"] > joined["t_p"]).all()
    assert (joined["quantity_r"] == joined["quantity_p"]).all()
    assert (joined["customer_id_r"] == joined["customer_id_p"]).all()
    # every purchased item was viewed and carted in the same session
    carts = ev[ev["event_type"] == "cart"][["session_id", "product_id"]].drop_duplicates()
    assert len(buys.merge(carts, on=["session_id", "product_id"])) == len(buys)
    guest_orders = buys.loc[buys["customer_id"] == "", "order_id"].nunique() / buys["order_id"].nunique()
    assert 0.02 < guest_orders < 0.16
    assert 0.01 < len(rets) / len(buys) < 0.12


def test_reviews(small) -> None:
    folder, _, _ = small
    rv = _read(folder, "reviews")
    ev = _read(folder, "events")
    assert set(rv["rating"].astype(int)) <= {1, 2, 3, 4, 5}
    assert (rv["customer_id"] != "").all() and (rv["text"].str.len() > 5).all()
    buys = ev[ev["event_type"] == "purchase"][["customer_id", "product_id", "event_time"]]
    m = rv.merge(buys, on=["customer_id", "product_id"])
    assert m.groupby(["customer_id", "product_id", "review_time"]).size().index.size == len(rv)
    assert (m["review_time"] > m["event_time"]).any()
    good = rv.loc[rv["rating"].astype(int) == 5, "text"]
    bad = rv.loc[rv["rating"].astype(int) == 1, "text"]
    negative = "disappoint|terrible|awful|poor|waste|damaged|worst"
    assert not good.str.lower().str.contains(negative).any()
    assert bad.empty or bad.str.lower().str.contains(negative).all()


def test_personas_planted_and_distinct(small) -> None:
    folder, _, _ = small
    truth = _read(folder, "personas")
    cust = _read(folder, "customers")
    assert len(PERSONAS) >= 6
    assert truth["customer_id"].tolist() == cust["customer_id"].tolist()
    assert set(truth["persona"]) == {p.name for p in PERSONAS}
    ev = _read(folder, "events")
    prod = _read(folder, "products")
    views = ev[ev["event_type"] == "view"].merge(truth, on="customer_id").merge(prod, on="product_id")
    shares = pd.crosstab(views["persona"], views["category"], normalize="index")
    assert shares.idxmax(axis=1).nunique() >= 7
    assert (shares.max(axis=1) > 0.35).all()
    hours = pd.to_datetime(views["event_time"]).dt.hour
    assert hours.groupby(views["persona"]).agg(lambda h: h.mode().iloc[0]).nunique() >= 5


def test_public_frames_match_files(small) -> None:
    _, counts, _ = small
    customers = generate_customers(SMALL)
    catalog = generate_catalog(SMALL)
    assert "persona" in customers.columns and len(customers) == SMALL.n_customers
    assert list(catalog.columns) == COLUMNS["products"]
    frames = list(iter_event_chunks(SMALL, catalog, customers))
    assert all(list(f.columns) == list(EVENT_COLUMNS) for f in frames)
    assert sum(len(f) for f in frames) == counts["events"]
    assert frames[0]["event_time"].is_monotonic_increasing


def test_holiday_peak_and_repeat_buying(year: Path) -> None:
    ev = _read(year, "events")
    buys = ev[ev["event_type"] == "purchase"].copy()
    month = pd.to_datetime(buys["event_time"]).dt.month
    assert (month == 12).sum() / 31 > (month == 3).sum() / 31
    truth = _read(year, "personas")
    buys = buys[buys["customer_id"] != ""].merge(truth, on="customer_id")
    per_pair = buys.groupby(["persona", "customer_id", "product_id"]).size()
    repeat = (per_pair > 1).groupby(level="persona").mean()
    assert repeat["pet_beauty_restockers"] == repeat.max() and repeat["pet_beauty_restockers"] > 0.3


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_write_event_lines_exact(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"lines.{fmt}"
    assert write_event_lines(path, 12345, fmt=fmt) == 12345
    if fmt == "csv":
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        with path.open("rb") as fh:
            assert sum(1 for _ in fh) == 12346
    else:
        df = pq.read_table(path).to_pandas()
    assert len(df) == 12345 and list(df.columns) == list(EVENT_COLUMNS)


def test_parquet_demo_and_bad_format(tmp_path: Path) -> None:
    counts = write_demo(tmp_path, SynthConfig(n_customers=60, n_products=40, days=30), fmt="parquet")
    for stem, cols in COLUMNS.items():
        table = pq.read_table(tmp_path / f"{stem}.parquet")
        assert table.column_names == cols and table.num_rows == counts[stem]
    with pytest.raises(ValueError):
        write_demo(tmp_path / "x", SMALL, fmt="xlsx")
