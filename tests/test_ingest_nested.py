"""Nested Parquet columns: structs become ``parent.child`` columns the mapping can offer; list and
map columns are refused when mapped (naming file and column) and left out, said so, when not."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import counts

from core.ingest import ingest
from core.ingest.plan import IngestError
from core.store.store import Store

N = 6


def _orders(path: Path, **extra: pa.Array) -> Path:
    customer = pa.array([{"id": f"c{i % 2}", "address": {"country": "FR" if i % 2 else "DE",
                                                          "zip": f"{75000 + i}"}}
                         for i in range(N)])
    table = pa.table({
        "order_id": [f"o{i}" for i in range(N)],
        "created_at": [f"2024-03-0{i + 1} 10:00:00" for i in range(N)],
        "sku": [f"S{i}" for i in range(N)],
        "qty": [1] * N,
        "price": [9.5] * N,
        "customer": customer,
        **extra,
    })
    pq.write_table(table, path)
    return path


def _plan(store: Store, path: Path, **columns: str):
    (plan,) = ingest.plan_paths(store, [path])
    plan = ingest.remap(plan, kind="events")
    base = {"order_id": "order_id", "ts": "created_at", "product_id": "sku", "quantity": "qty",
            "unit_price": "price", "customer_id": "customer.id",
            "country": "customer.address.country"}
    return ingest.remap(plan, columns={**base, **columns})


def test_struct_fields_become_columns_that_import(store: Store, tmp_path: Path) -> None:
    path = _orders(tmp_path / "orders.parquet")
    (plan,) = ingest.plan_paths(store, [path])
    assert {"customer.id", "customer.address.country", "customer.address.zip"} <= set(plan.columns)
    assert "customer" not in plan.columns  # not offered as its Python text any more
    assert ingest.preview(store, plan, 2)["customer.address.country"].tolist() == ["DE", "FR"]
    report = ingest.run_import(store, [_plan(store, path)])
    assert report.committed and report.accepted == N and report.tables[0].reconciles()
    assert store.scalar("SELECT count(DISTINCT customer_key) FROM customers") == 2
    assert sorted(r[0] for r in store.rows("SELECT DISTINCT country FROM events")) == ["DE", "FR"]


def test_a_flattened_name_that_exists_already_gets_its_own(store: Store, tmp_path: Path) -> None:
    path = _orders(tmp_path / "clash.parquet", **{"customer.id": pa.array(["x"] * N)})
    (plan,) = ingest.plan_paths(store, [path])
    assert len(plan.columns) == len(set(plan.columns))
    assert plan.columns.count("customer.id") == 1
    assert ingest.preview(store, plan, 1)["customer.id"].tolist() == ["c0"]


@pytest.mark.parametrize("what", ["lists", "maps"])
def test_a_mapped_list_or_map_column_is_refused_by_name(store: Store, tmp_path: Path,
                                                        what: str) -> None:
    values = (pa.array([["red", "big"]] * N) if what == "lists" else
              pa.array([[("colour", "red")]] * N, type=pa.map_(pa.string(), pa.string())))
    path = _orders(tmp_path / "tagged.parquet", tags=values)
    before = counts(store)
    with pytest.raises(IngestError) as caught:
        ingest.run_import(store, [_plan(store, path, category="tags")])
    message = str(caught.value)
    assert "tagged.parquet" in message and "'tags'" in message and what in message
    assert "'category'" in message
    assert counts(store) == before


def test_an_unmapped_list_column_is_left_out_and_said(store: Store, tmp_path: Path) -> None:
    path = _orders(tmp_path / "tagged.parquet", tags=pa.array([["a"], []] * (N // 2)))
    report = ingest.run_import(store, [_plan(store, path)])
    assert report.committed and report.accepted == N
    assert any("'tags'" in w and "left out" in w for w in report.tables[0].warnings)
