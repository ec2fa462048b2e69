"""A shop too small for a sequence model is told so in plain words and gets the simple models,
never a meaningless score of 1.0: spend-only and tiny shops from the CLI and the Model page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from layouts import spend_only
from streamlit.testing.v1 import AppTest

from core.cli.main import main
from core.demo import demo
from core.demo.config import SynthConfig
from core.learn import embeddings, guards, wording
from core.store import artifacts
from core.store.store import Store
from models import data, metrics

ROOT = Path(__file__).resolve().parents[1]
TINY = "order,date,sku,qty,price,customer\n" + "".join(
    f"o{i},2024-01-0{i % 9 + 1},SKU{i % 3},1,9.90,c{i}\n" for i in range(12))


@pytest.fixture
def shops(shoplens_home: Path, tmp_path: Path) -> Path:
    """A spend-only history ('cdnow') and a three-product shop ('tiny'), both imported."""
    layout = spend_only()
    (tmp_path / layout.file).write_bytes(layout.data)
    (tmp_path / "tiny.csv").write_text(TINY, encoding="utf-8")
    assert main(["import", "--shop", "cdnow", str(tmp_path / layout.file)]) == 0
    assert main(["import", "--shop", "tiny", str(tmp_path / "tiny.csv")]) == 0
    return shoplens_home


def _train_cli(shop: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    capsys.readouterr()
    code = main(["train", "--shop", shop, "--model", "gru", "--epochs", "1"])
    out = capsys.readouterr()
    return code, json.loads(out.out.strip().splitlines()[-1]), out.err


@pytest.mark.parametrize("shop, has", [("cdnow", "1 product"), ("tiny", "3 products")])
def test_cli_train_refuses_a_sequence_model_in_plain_words(shops: Path, capsys, shop: str,
                                                           has: str) -> None:
    code, line, err = _train_cli(shop, capsys)
    assert code == 0 and line["sequence_model"] is False
    assert f"This shop has {has}" in err and "need at least 50 products" in err
    assert "customers with a second basket" in line["why"]
    assert line["simple_models"] is None  # nothing to score: no number at all, never 1.0
    assert "ndcg@10" not in json.dumps(line)
    with Store.open(shop, read_only=True) as store:
        assert artifacts.list_models(store) == [] and artifacts.latest_id(store) is None


def test_spend_only_training_says_why_there_are_no_recommendations(shops: Path) -> None:
    with Store.open("cdnow") as store:
        prep = embeddings.prepare(store)
        assert prep.readiness.products == 1 and not prep.readiness.scorable
        with pytest.raises(guards.NotReady, match="no product ids") as refused:
            embeddings.train(store, "gru", epochs=1, prepared=prep)
        with pytest.raises(ValueError, match="1 product"):
            embeddings.compare(store, prep)  # no table of 1.0s either
    assert refused.value.readiness.products == 1


def test_few_products_get_the_simple_models_with_real_scores(shoplens_home: Path, capsys) -> None:
    demo.create_demo_shop("few", SynthConfig(n_customers=400, n_products=40, days=240, seed=2))
    code, line, err = _train_cli("few", capsys)
    assert code == 0 and line["sequence_model"] is False
    assert "This shop has 40 products;" in err and "item-kNN" in err
    assert [r["model"] for r in line["simple_models"]] != []
    assert {r["model"] for r in line["simple_models"]} == set(guards.SIMPLE)
    assert all(0 < r["ndcg@10"] < 1 for r in line["simple_models"])


def test_model_page_on_a_spend_only_shop_explains_and_disables_training(shops: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.session_state["shop"] = "cdnow"
    at.switch_page("pages/model.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Model"
    info = " ".join(i.value for i in at.info)
    assert "This shop has 1 product" in info and "no product ids" in info
    assert at.button(key="model_train").disabled
    assert at.button(key="model_compare").disabled


def test_readiness_counts_and_floors() -> None:
    user = np.array([0, 0, 1, 2, 2, 2])
    basket = np.array([0, 1, 0, 0, 0, 1])
    item = np.array([1, 2, 1, 3, 1, 2])
    log = data.EventLog(user, item, np.full(6, data.EVENT_TYPES.index("purchase")),
                        np.arange(6) * 86_400, basket, {}, 3, 3, {})
    r = metrics.assess(data.Split(log, log, [], [], 0, 0))
    assert (r.products, r.customers, r.repeat_customers) == (3, 3, 2)
    assert not r.sequence_ok and not r.scorable
    assert {w for w, _, _ in r.shortfalls()} == {"products", "customers with a second basket",
                                                 "validation baskets", "test baskets"}
    ok = metrics.Readiness(products=50, customers=500, repeat_customers=100, valid=40, test=40)
    assert ok.sequence_ok and ok.scorable and guards.shortfall(ok) == ""


@pytest.mark.parametrize("seconds, text", [(307.5954, "5 min 8 s"), (4.23, "4.2 s"), (59.6, "1 min"),
                                           (42.4, "42 s"), (3725, "1 h 2 min"), (None, "-")])
def test_durations_read_like_a_person_would_say_them(seconds: float | None, text: str) -> None:
    assert wording.duration(seconds) == text
