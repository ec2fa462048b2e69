"""The layout suite (tests/layouts.py) through the command line, each with the generic mapping
(no preset): the shop's revenue, orders, customers and products equal the fixture's truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from layouts import LAYOUTS, Layout, supermarket

from core.cli.main import main
from core.ingest.presets import SPEND_ONLY_PRODUCT
from core.shop import overview
from core.store.store import Store


def shop_totals(shop: str) -> dict[str, float]:
    """What the merchant sees: the Overview's numbers over all time, and the real products."""
    with Store.open(shop, read_only=True) as store:
        k = overview.kpis(store, overview.Filters(date(1990, 1, 1), date(2100, 1, 1)))
        products = store.scalar("SELECT count(*) FROM products WHERE is_product AND "
                                "product_id <> ?", [SPEND_ONLY_PRODUCT])
    return {"revenue": round(k["revenue"]["now"], 2), "orders": k["orders"]["now"],
            "customers": k["customers"]["now"], "products": products}


def _import(layout: Layout, folder: Path, shop: str, *extra: str) -> int:
    path = folder / layout.file
    path.write_bytes(layout.data)
    maps = [a for m in layout.maps for a in ("--map", m)]
    return main(["import", "--shop", shop, "--preset", "generic", str(path), *maps, *extra])


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_imports_with_the_files_own_totals(name: str, shoplens_home: Path,
                                                  tmp_path: Path, capsys) -> None:
    layout = LAYOUTS[name]()
    assert layout.maps == []  # the goal: every layout without a single --map
    assert _import(layout, tmp_path, "suite") == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "grows with the quantity" not in out  # no false alarm on a right mapping
    got = shop_totals("suite")
    want = {"revenue": layout.revenue, "orders": layout.orders, "customers": layout.customers,
            "products": layout.products}
    assert got == pytest.approx(want, abs=0.011), out


def test_a_line_total_read_as_unit_price_is_warned_before_import(shoplens_home: Path,
                                                                  tmp_path: Path, capsys) -> None:
    layout = supermarket()
    layout.maps = ["unit_price=SPEND", "line_total="]
    assert _import(layout, tmp_path, "wrong", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Column 'SPEND' is read as a unit price, but it grows with the quantity" in out
    assert f"read as line totals: {layout.revenue:,.2f}" in out
    assert _import(LAYOUTS["supermarket"](), tmp_path, "right", "--dry-run") == 0
    assert "grows with the quantity" not in capsys.readouterr().out


def test_the_next_export_of_a_layout_imports_with_the_remembered_mapping(
        shoplens_home: Path, tmp_path: Path, capsys) -> None:
    layout = LAYOUTS["lightspeed"]()
    path = tmp_path / layout.file
    path.write_bytes(layout.data)
    assert main(["import", "--shop", "s", str(path), "--map", "product_id=System ID"]) == 0
    capsys.readouterr()
    assert main(["import", "--shop", "s", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "preset remembered" in out and "product_id <- 'System ID'" in out
