"""Training, saving, loading and comparing models on a small demo shop; the CLI and the page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.demo import demo
from core.demo.config import SynthConfig
from core.learn import embeddings
from core.store import artifacts
from core.store.store import Store
from models import metrics

ROOT = Path(__file__).resolve().parents[1]
CFG = SynthConfig(n_customers=300, n_products=100, days=240, seed=9)
FAST = {"d_model": 32, "n_layers": 1, "max_len": 20}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("embhome")
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(path))
    demo.create_demo_shop("demo", CFG)
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def prep(home: Path) -> embeddings.Prepared:
    with Store.open("demo", read_only=True) as store:
        return embeddings.prepare(store)


@pytest.fixture(scope="module")
def trained(home: Path, prep) -> artifacts.Artifact:
    """One small model for the tests that need a trained one (independent of test order)."""
    with Store.open("demo") as store:
        return embeddings.train(store, "gru", epochs=1, seed=0, prepared=prep, model_args=FAST)


def test_train_saves_a_model_that_reloads_with_identical_scores(home: Path, prep) -> None:
    with Store.open("demo") as store:
        art = embeddings.train(store, "gru", epochs=2, seed=1, prepared=prep, model_args=FAST)
        assert art is not None and art.manifest["kind"] == "gru"
        assert {"valid", "test", "fit_seconds"} <= set(art.manifest["metrics"])
        rec, loaded, problems = embeddings.load_recommender(store)
    assert loaded.model_id == art.model_id and problems == []
    again = metrics.evaluate(rec, prep.split, "test")
    assert again["ndcg@10"] == pytest.approx(art.manifest["metrics"]["test"]["ndcg@10"], abs=1e-9)


def test_same_seed_gives_the_same_metrics(home: Path, prep) -> None:
    with Store.open("demo") as store:
        a = embeddings.train(store, "transformer", epochs=1, seed=3, prepared=prep, model_args=FAST)
        b = embeddings.train(store, "transformer", epochs=1, seed=3, prepared=prep, model_args=FAST)
    ma, mb = a.manifest["metrics"]["test"], b.manifest["metrics"]["test"]
    assert round(ma["ndcg@10"], 3) == round(mb["ndcg@10"], 3)
    assert ma["recall@10"] == pytest.approx(mb["recall@10"], abs=1e-6)


def test_compare_puts_baselines_and_trained_models_in_one_table(home: Path, prep, trained) -> None:
    with Store.open("demo") as store:
        table = embeddings.compare(store, prep)
    assert {"popularity", "repeat", "itemknn", "ease", "als"} <= set(table["model"])
    assert "neural" in set(table["kind"])
    assert table["ndcg@10"].is_monotonic_decreasing
    assert embeddings.verdict(table)
    assert "customers" in embeddings.ladder(prep)


def test_a_model_goes_stale_when_the_data_changes(home: Path, prep, trained) -> None:
    with Store.open("demo") as store:
        key = store.scalar("SELECT customer_key FROM customers WHERE consent_profiling LIMIT 1")
        store.execute("UPDATE customers SET consent_profiling = false WHERE customer_key = ?", [key])
        try:
            _, _, problems = embeddings.load_recommender(store)
        finally:
            store.execute("UPDATE customers SET consent_profiling = true WHERE customer_key = ?",
                          [key])
    assert any("retrain" in p for p in problems)


def test_order_check_returns_both_scores(home: Path, prep, trained) -> None:
    with Store.open("demo") as store:
        rec, _, _ = embeddings.load_recommender(store)
    result = embeddings.order_matters(rec, prep)
    assert set(result) == {"true_order", "shuffled"}
    assert all(0 <= v <= 1 for v in result.values())


def test_cli_train_prints_a_json_metrics_line(home: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "core.cli", "train", "--shop", "demo", "--model", "gru",
         "--epochs", "1", "--seed", "2"],
        cwd=ROOT, env={**os.environ, "SHOPLENS_HOME": str(home)}, capture_output=True, text=True,
        timeout=600)
    assert out.returncode == 0, out.stderr
    line = json.loads(out.stdout.strip().splitlines()[-1])
    assert line["kind"] == "gru" and 0 <= line["test"]["ndcg@10"] <= 1
    assert "epoch 1/1" in out.stderr and "valid NDCG@10" in out.stderr
    with Store.open("demo", read_only=True) as store:
        assert line["model_id"] in {m["model_id"] for m in artifacts.list_models(store)}


def test_model_page_trains_with_progress_and_lists_models(home: Path, trained) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/model.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Model"
    assert any(df.value.shape[0] >= 1 for df in at.dataframe)  # trained models are listed
    at.number_input(key="model_epochs_demo").set_value(1)
    at.button(key="model_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    import ui

    job = ui.jobs().latest("train-demo")
    assert job is not None
    deadline = time.time() + 300
    while job.running and time.time() < deadline:
        time.sleep(0.5)
    assert job.status == "done", job.error
    assert job.points and np.isfinite(job.points[-1]["loss"])


def test_model_page_compares_models_with_a_verdict(home: Path, trained) -> None:
    import ui

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/model.py").run()
    at.button(key="model_compare").click().run()
    job = ui.jobs().latest("compare-demo")
    deadline = time.time() + 300
    while job.running and time.time() < deadline:
        time.sleep(0.5)
    assert job.status == "done", job.error
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert embeddings.verdict(job.result) in text
