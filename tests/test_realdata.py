"""Real shop data from ../shared/data: Online Retail II (two years, two spellings) and Olist.

Skipped with a reason when the data folder is absent (it is never copied into the repository).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from core.ingest import ingest
from core.ingest.plan import ImportReport
from core.store.store import Store

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
RETAIL = DATA / "online_retail_ii"
RETAIL_FILES = {
    "online_retail_ii_2009_2010.parquet": ("online_retail_ii", 525_461),
    "online_retail_ii_2010_2011.parquet": ("uci_online_retail", 541_909),
}
OLIST = DATA / "olist_sample15k"

pytestmark = pytest.mark.realdata


def missing_reason(path: Path) -> str:
    """Why a real-data test skips: the folder it needs, and the README that says what goes there."""
    return (f"real data not available: {path} is absent. The real datasets live in "
            f"{DATA} beside the repository; {DATA / 'README.md'} lists them and where they come "
            "from (CI has them).")


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(missing_reason(path))


def test_the_skip_reason_points_at_a_readme_beside_the_repository() -> None:
    reason = missing_reason(DATA / "nowhere")
    assert "DESIGN.md" not in reason and str(DATA / "README.md") in reason
    assert DATA.parents[1] == Path(__file__).resolve().parents[1].parent  # ../shared/data


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, ImportReport]]:
    """Both Online Retail II files imported into one shop (once for this module)."""
    _need(RETAIL)
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(tmp_path_factory.mktemp("retail_home")))
    store = Store.open("retail")
    report = ingest.import_paths(store, [RETAIL / name for name in sorted(RETAIL_FILES)])
    yield store, report
    store.close()
    mp.undo()


def test_online_retail_files_are_recognised(retail) -> None:
    _, report = retail
    assert report.committed
    got = {t.file: t.preset for t in report.tables}
    assert got == {name: preset for name, (preset, _) in RETAIL_FILES.items()}


@pytest.mark.parametrize("name", sorted(RETAIL_FILES))
def test_online_retail_every_line_is_accounted_for(retail, name: str) -> None:
    _, report = retail
    table = next(t for t in report.tables if t.file == name)
    rows = pq.ParquetFile(RETAIL / name).metadata.num_rows
    assert rows == RETAIL_FILES[name][1]
    assert table.lines_read == rows
    assert table.accepted + table.rejected + table.returns == rows
    assert table.reconciles()
    assert table.accepted > 0.9 * rows
    assert table.returns > 5_000  # 'C' invoices
    assert table.guests > 0.15 * rows  # lines without a customer id
    assert table.non_product > 0  # POST, M, D, BANK CHARGES ...
    assert table.date_format == "YYYY-MM-DD hh:mm:ss"


def test_online_retail_store_contents(retail) -> None:
    store, report = retail
    counts = store.table_counts()
    assert 5_900 <= counts["customers"] <= 6_000  # 5,942 distinct customers over both years
    inserted = sum(t.inserted for t in report.tables)
    assert counts["events"] == inserted
    assert inserted == sum(t.accepted + t.returns - t.already_present for t in report.tables)
    assert store.scalar("SELECT count(*) FROM events WHERE quantity <= 0") == 0
    # the two sheets overlap in December 2010: those lines are recognised, not doubled
    first, second = sorted(report.tables, key=lambda t: t.file)
    assert first.already_present == 0
    assert 10_000 < second.already_present < 40_000
    returns = store.scalar("SELECT count(*) FROM events WHERE event_type = 'return'")
    assert 0.9 * (first.returns + second.returns) < returns <= first.returns + second.returns
    assert store.scalar("SELECT min(ts) FROM events").year == 2009
    assert store.scalar("SELECT max(ts) FROM events").year == 2011
    non_products = {p for (p,) in store.rows("SELECT product_id FROM products WHERE NOT is_product")}
    assert {"POST", "M"} <= non_products
    assert 4_000 < store.scalar("SELECT count(*) FROM products WHERE is_product") < 6_000
    keys = store.rows("SELECT count(*) FILTER (WHERE customer_key NOT LIKE 'c\\_%' ESCAPE '\\') "
                      "FROM customers")
    assert keys == [(0,)]


def test_online_retail_reimport_adds_nothing(retail) -> None:
    store, _ = retail
    before = store.table_counts()
    name = "online_retail_ii_2010_2011.parquet"
    report = ingest.import_paths(store, [RETAIL / name])
    table = report.tables[0]
    assert table.inserted == 0
    assert table.lines_read == RETAIL_FILES[name][1]
    assert store.table_counts() == before


@pytest.fixture(scope="module")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, ImportReport]]:
    _need(OLIST)
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(tmp_path_factory.mktemp("olist_home")))
    store = Store.open("olist")
    report = ingest.import_paths(store, [OLIST])
    yield store, report
    store.close()
    mp.undo()


def test_olist_folder_imports_as_one_shop(olist) -> None:
    store, report = olist
    assert report.committed
    assert sorted(t.kind for t in report.tables) == ["customers", "events", "products", "reviews"]
    assert all(t.reconciles() for t in report.tables)
    assert store.scalar("SELECT count(DISTINCT import_id) FROM imports") == 1
    counts = store.table_counts()
    assert counts["customers"] > 10_000
    assert counts["events"] > 10_000
    assert counts["products"] > 5_000
    events = next(t for t in report.tables if t.kind == "events")
    assert events.accepted > 10_000


def test_olist_customers_have_places(olist) -> None:
    store, _ = olist
    total, region, latlon, in_brazil = store.rows(
        "SELECT count(*), count(region), count(*) FILTER (WHERE lat IS NOT NULL AND lon IS NOT "
        "NULL), count(*) FILTER (WHERE lat BETWEEN -34 AND 6 AND lon BETWEEN -74 AND -34) "
        "FROM customers")[0]
    assert total > 10_000
    assert region == total
    assert latlon > 0.85 * total
    assert in_brazil > 0.99 * latlon
    assert store.scalar("SELECT count(DISTINCT region) FROM customers") >= 20  # Brazil's states


def test_olist_reviews_have_texts(olist) -> None:
    store, _ = olist
    texts = store.scalar("SELECT count(text) FROM reviews")
    assert texts > 5_000
    assert store.scalar("SELECT count(*) FROM reviews WHERE rating NOT BETWEEN 1 AND 5") == 0
    linked = store.scalar("SELECT count(*) FROM reviews r JOIN products p USING (product_id)")
    assert linked > 0.9 * store.scalar("SELECT count(*) FROM reviews WHERE product_id IS NOT NULL")
    assert store.scalar("SELECT count(*) FROM products WHERE category IS NOT NULL") > 0.9 * \
        store.scalar("SELECT count(*) FROM products")
