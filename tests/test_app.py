"""Streamlit AppTest for each page: no exception, the key elements, one interaction each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.demo import demo
from core.demo.config import SynthConfig
from core.ingest import ingest
from core.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
SMALL = SynthConfig(n_customers=400, n_products=150, days=365, seed=3)


@pytest.fixture(scope="module")
def shop_home(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("apphome")
    old = os.environ.get("SHOPLENS_HOME")
    os.environ["SHOPLENS_HOME"] = str(home)
    demo.create_demo_shop("demo", SMALL)
    with Store.open("small") as store:
        ingest.import_paths(store, [ROOT / "sample_data" / "demo_small"])
    yield home
    if old is None:
        os.environ.pop("SHOPLENS_HOME", None)
    else:
        os.environ["SHOPLENS_HOME"] = old


def _app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_overview_shows_kpis_and_charts(shop_home: Path) -> None:
    at = _app()
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    for wanted in ("Net revenue", "Orders", "Customers", "Average order value", "Repeat rate"):
        assert wanted in labels
    assert int(_metric(at, "Orders").replace(",", "")) > 0
    assert len(at.get("plotly_chart")) >= 5
    assert at.sidebar.selectbox[0].value == "demo"


def test_overview_device_filter_changes_kpis(shop_home: Path) -> None:
    at = _app()
    before = int(_metric(at, "Orders").replace(",", ""))
    device = at.multiselect(key="ov_dev_demo")
    assert "mobile" in device.options
    device.select("tablet").run()
    assert not at.exception
    after = int(_metric(at, "Orders").replace(",", ""))
    assert 0 < after < before


def test_data_page_checks_and_imports_a_file(shop_home: Path, tmp_path: Path) -> None:
    csv = tmp_path / "orders.csv"
    csv.write_text(
        "Order,Date,SKU,Product,Qty,Price,Customer\n"
        "9001,2025-06-01 10:00,NEW-1,Brand new lamp,1,19.90,zed@example.com\n"
        "9002,2025-06-02 11:00,NEW-1,Brand new lamp,2,19.90,amy@example.com\n"
        "9003,not a date,NEW-2,Vase,1,9.90,amy@example.com\n", encoding="utf-8")
    from core.guard import folders
    folders.allow(tmp_path)  # the Data page reads server paths only inside allowed folders
    at = _app()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Data"
    at.radio(key="data_how").set_value("A file or folder on this computer").run()
    at.text_input(key="data_path").input(str(csv)).run()
    assert not at.exception, [e.value for e in at.exception]
    masked = [c.value for c in at.caption if c.value.startswith("Personal data, masked here")]
    assert masked and "'Customer' (email)" in masked[0]  # the e-mails are not shown in the preview
    at.button(key="data_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Lines read") == "3"
    assert _metric(at, "Rejected") == "1"
    assert any("nothing written" in i.value for i in at.info)
    at.button(key="data_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Imported 2 lines" in s.value for s in at.success)


def test_data_page_shows_a_refused_import_with_its_rejections(shop_home: Path,
                                                              tmp_path: Path) -> None:
    csv = tmp_path / "refused.csv"
    csv.write_text("Order,Date,SKU,Qty,Price,Customer\n"
                   "9101,2025-06-01 10:00,NEW-1,x,19.90,c1\n9102,2025-06-02 11:00,NEW-1,y,19.90,c2\n",
                   encoding="utf-8")
    from core.guard import folders
    folders.allow(tmp_path)
    at = _app()
    at.switch_page("pages/data.py").run()
    history = [e.label for e in at.expander if e.label.startswith("Import history")]
    at.radio(key="data_how").set_value("A file or folder on this computer").run()
    at.text_input(key="data_path").input(str(csv)).run()
    at.button(key="data_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("every one of its 2 lines was rejected" in e.value and "nothing was written"
               in e.value for e in at.error), [e.value for e in at.error]
    assert _metric(at, "Rejected") == "2"  # the report, row by row, though nothing landed
    assert len(at.dataframe) >= 2  # the preview and the rejected rows
    assert [e.label for e in at.expander if e.label.startswith("Import history")] == history


def test_switching_shop_resets_filters_and_shows_that_shop(shop_home: Path) -> None:
    at = _app()
    demo_orders = _metric(at, "Orders")
    at.multiselect(key="ov_dev_demo").select("tablet").run()
    # (AppTest drops the entry script's sidebar on reruns, so switch as the picker does.)
    at.session_state["shop"] = "small"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="ov_dev_small").value == []
    assert _metric(at, "Orders") != demo_orders
    caption = " ".join(c.value for c in at.caption)
    assert "Data from 01 Jan 2025 to" in caption


def test_segments_page_without_a_model_points_to_the_model_page(shop_home: Path) -> None:
    at = _app()
    at.session_state["shop"] = "small"  # imported from sample_data, never trained
    at.switch_page("pages/segments.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Segments"
    assert any("Train one on the Model page first" in i.value for i in at.info)


def test_customer_page_without_a_model_recommends_with_item_knn(shop_home: Path) -> None:
    at = _app()
    at.switch_page("pages/customer.py").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Customer"
    text = " ".join(m.value for m in at.markdown).replace("\\", "")  # markdown escapes
    assert "Item-kNN" in text and "Personalised by the model" in text
    assert sum("strength" in c.value for c in at.caption) >= 10  # every pick has its reasons
    at.selectbox(key="cust_daypart").set_value("evening").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert "evening" in " ".join(m.value for m in at.markdown)


def test_customer_page_gives_an_objector_only_best_sellers(shop_home: Path) -> None:
    at = _app()
    import ui  # the app's own connection: this process already holds the shop read-write

    key = ui.get_store("demo").scalar(
        "SELECT customer_key FROM customers WHERE NOT consent_profiling LIMIT 1")
    at.switch_page("pages/customer.py").run(timeout=120)
    at.text_input(key="cust_typed_demo").set_value(key).run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Not personalised: this customer objected to profiling" in text
    assert any("objected to profiling" in w.value for w in at.warning)


def test_ab_page_sets_up_arms_and_shows_a_saved_run(shop_home: Path) -> None:
    at = _app()
    at.switch_page("pages/abtest.py").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "A/B test"
    assert at.selectbox(key="ab_model_demo_0").value == "popularity"
    assert at.selectbox(key="ab_model_demo_1").value == "itemknn"  # no trained model: the best rule
    assert any("No simulation yet" in i.value for i in at.info)
    import ui  # the app's own connection: this process already holds the shop read-write
    from core.abtest import abtest, policies
    plan = abtest.Plan([policies.parse_arm("A=popularity"), policies.parse_arm("B=itemknn")], days=7,
                       repeats=2, ope_rounds=2000)
    store = ui.get_store("demo")
    abtest.save(store, abtest.simulate_shop(store, plan), "saved in a test")
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    verdicts = [x.value for x in (*at.info, *at.success) if x.value.startswith("B vs A")]
    assert len(verdicts) == 1
    assert any("The split looks as planned" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 3  # cumulative lift, repeats, off-policy


def test_fairness_page_audits_the_lists_by_group(shop_home: Path) -> None:
    at = _app()
    at.switch_page("pages/fairness.py").run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Fairness"
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "of the catalog" in text and "best-sellers alone" in text
    assert len(at.get("plotly_chart")) == 2  # accuracy and price level for the chosen grouping
    at.radio(key="fair_attr_demo").set_value("customer type").run(timeout=180)
    assert not at.exception, [e.value for e in at.exception]


def test_privacy_page_records_an_objection_and_erases(shop_home: Path) -> None:
    at = _app()
    at.switch_page("pages/privacy.py").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    import ui  # the app's own connection: this process already holds the shop read-write

    store = ui.get_store("demo")
    key = store.scalar("SELECT customer_key FROM customers WHERE consent_profiling "
                       "ORDER BY customer_key LIMIT 1")
    at.text_input(key="priv_id_demo").set_value(key).run(timeout=120)
    at.toggle(key=f"priv_obj_demo_{key}").set_value(True).run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert store.scalar("SELECT consent_profiling FROM customers WHERE customer_key = ?", [key]) is False
    at.checkbox(key=f"priv_sure_demo_{key}").check().run(timeout=120)
    at.button(key=f"priv_erase_demo_{key}").click().run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value.startswith("Erased:") for s in at.success)
    assert store.scalar("SELECT count(*) FROM customers WHERE customer_key = ?", [key]) == 0
    assert store.scalar("SELECT count(*) FROM suppressed") == 1
