"""The Model page: Start training is disabled while a job runs, a cancelled run stays a candidate
until the user chooses 'Use this model', and training times read like '5.3 s'."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.demo import demo
from core.demo.config import SynthConfig
from core.learn import embeddings
from core.store import artifacts
from core.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
CFG = SynthConfig(n_customers=300, n_products=100, days=240, seed=9)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("modelpage")
    mp.setenv("SHOPLENS_HOME", str(path))
    demo.create_demo_shop("demo", CFG)
    with Store.open("demo") as store:
        embeddings.train(store, "gru", epochs=1, seed=0,
                         model_args={"d_model": 32, "n_layers": 1, "max_len": 20})
    yield path
    mp.undo()


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/model.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _in_use() -> str | None:
    import ui

    return artifacts.latest_id(ui.get_store("demo"))  # the app's store: it owns the shop's file


def test_start_is_disabled_while_training_and_a_cancelled_run_stays_a_candidate(home: Path) -> None:
    import ui

    before = _in_use()
    at = _page()
    assert not at.button(key="model_train").disabled
    at.number_input(key="model_epochs_demo").set_value(50)
    at.button(key="model_train").click().run()
    job = ui.jobs().latest("train-demo")
    assert job is not None and job.running
    assert at.button(key="model_train").disabled  # the same run that started it
    deadline = time.time() + 120
    while not job.points and time.time() < deadline:  # the first epoch has ended
        time.sleep(0.2)
    at.run()
    assert at.button(key="model_train").disabled and at.button(key="model_cancel")
    at.button(key="model_cancel").click().run()
    while job.running and time.time() < deadline:
        time.sleep(0.2)
    assert job.status == "cancelled" and job.result
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.button(key="model_train").disabled
    assert any("kept as a candidate" in w.value for w in at.warning)
    assert _in_use() == before != job.result
    table = at.dataframe[0].value.set_index("model")
    assert table.loc[job.result, "state"] == "candidate"
    assert table.loc[before, "state"] == "in use"
    assert all(t.endswith(" s") or "min" in t for t in table["training"])  # never 307.5954

    at.selectbox(key="model_other_demo").set_value(job.result).run()
    at.button(key="model_use").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _in_use() == job.result
    assert at.dataframe[0].value.set_index("model").loc[job.result, "state"] == "in use"


def test_the_model_page_shows_the_shops_default_list_settings(home: Path) -> None:
    import ui
    from core.recommend import defaults

    store = ui.get_store("demo")  # the app's own handle on the shop
    defaults.save(store, defaults.Choice(
        "bought products allowed, context 0", {"exclude_bought": False, "context_weight": 0.0},
        {name: 0.2 + 0.01 * i for i, name in enumerate(defaults.VARIANTS)}, 321, "gru"))
    try:
        at = _page()
        text = " ".join(m.value for m in at.markdown)
        assert "bought products allowed, context 0" in text and "321 validation baskets" in text
        table = next(d.value for d in at.dataframe if "validation NDCG@10" in d.value.columns)
        assert len(table) == len(defaults.VARIANTS) and table["in use"].sum() == 1
        at.switch_page("pages/customer.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.toggle(key="cust_excl_bought").value is False  # the page opens on the shop's default
        assert at.slider(key="cust_ctx_weight").value == 0.0
    finally:
        from core.store import settings
        settings.put(store, defaults.SETTING, None)  # the other tests see the built-in settings
