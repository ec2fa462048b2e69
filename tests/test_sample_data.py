"""The committed sample data is what the generator makes, and it imports cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.demo import demo
from core.demo.config import SynthConfig
from core.ingest import ingest
from core.store.store import Store

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
CFG = SynthConfig(n_customers=300, n_products=120, days=180, seed=11)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path / "home"))
    return tmp_path


def test_demo_small_is_reproducible(home: Path) -> None:
    out = home / "regen"
    demo.export_demo(out, CFG)
    committed = sorted(p.relative_to(SAMPLE / "demo_small") for p in (SAMPLE / "demo_small").rglob("*.csv"))
    assert committed == sorted(p.relative_to(out) for p in out.rglob("*.csv"))
    for rel in committed:
        assert (out / rel).read_bytes() == (SAMPLE / "demo_small" / rel).read_bytes(), rel


def test_demo_small_imports_as_one_shop(home: Path) -> None:
    with Store.open("sample") as store:
        report = ingest.import_paths(store, [SAMPLE / "demo_small"])
        counts = store.table_counts()
        store_rows = store.rows("SELECT count(*), count(*) FILTER (WHERE stock = 0 AND active), "
                                "count(stock) FROM products")
    kinds = {t.kind: t for t in report.tables}
    assert set(kinds) == {"customers", "products", "events", "reviews"}
    assert all(t.rejected == 0 and t.reconciles() for t in report.tables)
    assert counts["customers"] == 300 and counts["products"] == 120
    assert counts["events"] == kinds["events"].lines_read == 11_643
    assert kinds["products"].fixes == {}
    n_products, sold_out, tracked = store_rows[0]
    assert (n_products, sold_out, tracked) == (120, 5, 120)  # stock known for every product


def test_messy_sample_reports_every_problem(home: Path) -> None:
    with Store.open("messy") as store:
        report = ingest.import_paths(store, [SAMPLE / "messy_orders_cp1252.csv"])
    table = report.tables[0]
    assert table.reconciles()
    assert set(table.rejected_by_rule) == {"bad_ts", "bad_quantity", "negative_unit_price",
                                           "duplicate_row", "malformed_line", "missing_product_id"}
    assert table.returns == 1 and table.fixes["unit_price_cleaned"] >= 4
    assert table.date_format == "DD/MM/YYYY hh:mm"


def test_demo_shop_has_some_sold_out_products(home: Path) -> None:
    demo.create_demo_shop("demo", SynthConfig(n_customers=200, n_products=300, days=60))
    with Store.open("demo", read_only=True) as store:
        n, tracked, active, sold_out, lowest = store.rows(
            "SELECT count(*), count(stock), count(*) FILTER (WHERE active), "
            "count(*) FILTER (WHERE active AND stock = 0), min(stock) FROM products")[0]
    assert n == tracked == 300 and lowest == 0
    assert sold_out == round(0.04 * active) > 0  # about 4 % of the products on sale
