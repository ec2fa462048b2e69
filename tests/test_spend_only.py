"""A spend-only history (customer, date, items, amount: no products) is a whole shop: orders,
RFM groups and customer value work, and recommendation pages are told plainly why not."""

from __future__ import annotations

from pathlib import Path

from layouts import spend_only

from core.cli.main import main
from core.shop import catalog, rfm
from core.store.store import Store


def test_spend_only_history_is_a_shop_without_recommendations(shoplens_home: Path,
                                                               tmp_path: Path) -> None:
    layout = spend_only()
    path = tmp_path / layout.file
    path.write_bytes(layout.data)
    assert main(["import", "--shop", "cdnow", str(path)]) == 0
    with Store.open("cdnow", read_only=True) as store:
        table = rfm.rfm_table(store)
        assert len(table) == layout.customers  # every buyer is scored
        assert table["frequency"].sum() == layout.orders  # orders: one per customer and day
        why = catalog.why_no_recommendations(store)
    assert why is not None and "no product ids" in why and "segments work" in why


def test_a_tiny_catalog_and_a_real_one(store: Store, write_file) -> None:
    from core.ingest import ingest

    rows = "".join(f"o{i},2024-01-0{i % 9 + 1},SKU{i % 3},1,9.90,c{i}\n" for i in range(12))
    ingest.import_paths(store, [write_file("o.csv", "order,date,sku,qty,price,customer\n" + rows)])
    why = catalog.why_no_recommendations(store)
    assert why is not None and "sells 3 products" in why
    more = "".join(f"p{i},2024-02-0{i % 9 + 1},SKU{i},1,9.90,c{i}\n" for i in range(3, 9))
    ingest.import_paths(store, [write_file("p.csv", "order,date,sku,qty,price,customer\n" + more)])
    assert catalog.why_no_recommendations(store) is None
