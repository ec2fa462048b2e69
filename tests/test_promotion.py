"""A cancelled or worse run never replaces the model in use; the user may promote it explicitly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from core.cli.main import main
from core.demo import demo
from core.demo.config import SynthConfig
from core.learn import embeddings, promotion
from core.store import artifacts, fallback
from core.store.store import Store

CFG = SynthConfig(n_customers=300, n_products=100, days=240, seed=9)
FAST = {"d_model": 32, "n_layers": 1, "max_len": 20}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory):
    """A small demo shop with one complete GRU in use; yields its event log and split."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(tmp_path_factory.mktemp("promotion")))
    demo.create_demo_shop("demo", CFG)
    with Store.open("demo") as store:
        prep = embeddings.prepare(store)
        first = embeddings.train(store, "gru", epochs=1, seed=0, prepared=prep, model_args=FAST)
    assert first is not None and not first.manifest["candidate"]
    yield prep, first
    mp.undo()


def _in_use() -> str | None:
    with Store.open("demo", read_only=True) as store:
        return artifacts.latest_id(store)


def test_a_cancelled_run_never_replaces_the_model_in_use(shop) -> None:
    prep, _ = shop
    before = _in_use()
    epochs: list[int] = []
    with Store.open("demo") as store:  # cancelled once the first epoch has ended
        art = embeddings.train(store, "gru", epochs=5, seed=1, prepared=prep, model_args=FAST,
                               progress=lambda p: epochs.append(p["epoch"]), stop=lambda: bool(epochs))
    assert art is not None and art.manifest["metrics"]["cancelled"]
    assert art.manifest["candidate"] and "cancelled" in art.manifest["note"]
    assert _in_use() == before != art.model_id
    with Store.open("demo", read_only=True) as store:  # the pages never pick it up on their own
        assert art.model_id not in {m["model_id"] for m in embeddings.latest_per_kind(store)}


def test_a_worse_run_does_not_replace_it_and_a_better_one_does(shop, monkeypatch) -> None:
    prep, _ = shop
    before = _in_use()
    real = embeddings.metrics.evaluate

    def scored(value: float):
        def evaluate(model, split, which="test", **kw):
            out = real(model, split, which, **kw)
            return {**out, "ndcg@10": value} if which == "valid" else out
        return evaluate

    with Store.open("demo") as store:
        monkeypatch.setattr(embeddings.metrics, "evaluate", scored(0.0))
        worse = embeddings.train(store, "gru", epochs=1, seed=2, prepared=prep, model_args=FAST)
        assert worse.manifest["candidate"] and "scores below" in worse.manifest["note"]
        assert artifacts.latest_id(store) == before
        monkeypatch.setattr(embeddings.metrics, "evaluate", scored(1.0))
        better = embeddings.train(store, "gru", epochs=1, seed=3, prepared=prep, model_args=FAST)
        assert not better.manifest["candidate"] and artifacts.latest_id(store) == better.model_id


def test_explicit_promotion_puts_a_candidate_in_use(shop, capsys) -> None:
    prep, _ = shop
    with Store.open("demo") as store:  # a copy of the model in use, kept as a candidate
        in_use = artifacts.load(store)
        candidate = artifacts.save(store, "gru", in_use.tensors, in_use.state, prep.fingerprint,
                                   in_use.manifest["metrics"], make_current=False).model_id
    assert _in_use() == in_use.model_id != candidate
    assert main(["use-model", "--shop", "demo", candidate]) == 0
    assert json.loads(capsys.readouterr().out) == {"model_id": candidate, "in_use": True}
    assert _in_use() == candidate
    assert main(["models", "--shop", "demo", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["in_use"] == candidate
    assert {r["model_id"]: r["state"] for r in listed["models"]}[candidate] == "in use"
    assert main(["use-model", "--shop", "demo", "../../etc"]) == 2  # not a model id: refused


def test_decisions_on_stale_data_and_without_a_model(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    options = {"purchases_only": False, "min_baskets": 1}
    with Store.open("shop") as store:
        assert promotion.decide(store, {"ndcg@10": 0.1}, "fp1", options, cancelled=False).make_current
        assert not promotion.decide(store, {"ndcg@10": 0.1}, "fp1", options, cancelled=True).make_current
        older = artifacts.save(store, "gru", {"w": torch.ones(3)}, {}, "fp1", {})
        good = artifacts.save(store, "gru", {"w": torch.ones(1)}, {}, "fp1",
                              {"valid": {"ndcg@10": 0.5}, "options": options})
        assert not promotion.decide(store, {"ndcg@10": 0.4}, "fp1", options, False).make_current
        assert promotion.decide(store, {"ndcg@10": 0.5}, "fp1", options, False).make_current  # as good
        stale = promotion.decide(store, {"ndcg@10": 0.1}, "fp2", options, False)
        assert stale.make_current and "data last changed" in stale.why
        artifacts.save(store, "gru", {"w": torch.zeros(1)}, {}, "fp1", {}, make_current=False)
        assert artifacts.latest_id(store) == good.model_id
        (good.path / artifacts.WEIGHTS).write_bytes(b"damaged")
        usable, problems = fallback.load_usable(store)
    # the damaged model in use falls back to the one in use before it, not to a newer candidate
    assert problems and usable.model_id == older.model_id
