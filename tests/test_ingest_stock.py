"""Stock levels of products: found under their usual names, checked, and updated on re-import."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.ingest import ingest, presets
from core.ingest.plan import TableReport
from core.store.store import Store

SHOPIFY_PRODUCTS = """Variant SKU,Title,Vendor,Variant Inventory Qty
A-1,Lamp,Lumo,12
A-2,Desk,Woody,0
A-3,Chair,Woody,-3
A-4,Shelf,Woody,"1,200"
A-5,Rug,Woody,
A-6,Vase,Lumo,2.5
A-7,Mat,Lumo,lots
A-8,Bench,Woody,3000000000
"""


def _import(store: Store, path: Path) -> TableReport:
    report = ingest.import_paths(store, [path])
    assert report.committed and len(report.tables) == 1
    table = report.tables[0]
    assert table.reconciles(), table
    return table


def _stock(store: Store) -> dict[str, int | None]:
    return dict(store.rows("SELECT product_id, stock FROM products"))


@pytest.mark.parametrize("column", [
    "stock", "Stock", "inventory", "inventory_quantity", "Variant Inventory Qty", "qty_available",
    "Quantity Available", "stock_level", "On Hand", "on_hand",
])
def test_stock_column_is_guessed_from_its_usual_names(column: str) -> None:
    mapping = presets.detect(["sku", "name", column])
    assert mapping.kind == "products"
    assert mapping.columns == {"product_id": "sku", "title": "name", "stock": column}


def test_shoplens_products_layout_takes_stock_under_another_name() -> None:
    mapping = presets.detect(["product_id", "title", "category", "brand", "price", "Inventory"])
    assert mapping.preset == "shoplens_products"
    assert mapping.columns["stock"] == "Inventory"
    assert "stock" not in presets.detect(["product_id", "title", "category", "brand",
                                          "price"]).columns  # no column: not tracked


def test_stock_is_a_whole_number_and_negative_means_sold_out(store: Store, write_file) -> None:
    plan = ingest.plan_paths(store, [write_file("products_export.csv", SHOPIFY_PRODUCTS)])[0]
    assert (plan.kind, plan.mapping.columns["stock"]) == ("products", "Variant Inventory Qty")
    table = ingest.run_import(store, [plan]).tables[0]
    assert table.reconciles()
    assert (table.accepted, table.rejected) == (5, 3)
    assert table.rejected_by_rule == {"bad_stock": 3}
    assert table.fixes == {"negative_stock_set_to_0": 1}
    assert {(r.row, r.column, r.value) for r in table.rejections} == {
        (7, "Variant Inventory Qty", "2.5"), (8, "Variant Inventory Qty", "lots"),
        (9, "Variant Inventory Qty", "3000000000")}
    assert "whole number" in table.rejections[0].problem
    assert _stock(store) == {"A-1": 12, "A-2": 0, "A-3": 0, "A-4": 1200, "A-5": None}


def test_reimport_updates_stock_and_a_file_without_stock_keeps_it(store: Store,
                                                                   write_file) -> None:
    _import(store, write_file("p1.csv", "sku,name,stock\nA-1,Lamp,12\nA-2,Desk,0\n"))
    table = _import(store, write_file("p2.csv", "sku,name,on_hand\nA-1,Lamp,11\nA-2,Desk,5\n"
                                                "A-3,Chair,0\n"))
    assert (table.inserted, table.already_present) == (1, 2)
    assert _stock(store) == {"A-1": 11, "A-2": 5, "A-3": 0}  # the latest file wins
    _import(store, write_file("p3.csv", "sku,name,price\nA-1,Lamp,9.50\nA-4,Shelf,20\n"))
    assert _stock(store) == {"A-1": 11, "A-2": 5, "A-3": 0, "A-4": None}  # not in the file
    _import(store, write_file("orders.csv", "date,sku,qty\n2024-05-01,A-5,1\n"
                                            "2024-05-02,A-1,2\n"))
    assert _stock(store) == {"A-1": 11, "A-2": 5, "A-3": 0, "A-4": None, "A-5": None}
