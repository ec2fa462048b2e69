"""A model that fails any check is refused with its reason, and the model in use before it serves.

Each case damages a copy of the shop's good model that was put in use after it: a pickle with
code in it, tensors of the wrong shape, an edited kind or metric, an emptied file list, a removed
signature, a missing folder. The recommendations, the customer vectors and the pages must then
come from the good model, and the refusal must name the copy and the reason.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.cli.main import main
from core.demo import demo
from core.demo.config import SynthConfig
from core.learn import embeddings, promotion
from core.recommend import recommend
from core.store import artifacts, manifests
from core.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
CFG = SynthConfig(n_customers=300, n_products=100, days=240, seed=9)
FAST = {"d_model": 32, "n_layers": 1, "max_len": 20}


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Iterator[artifacts.Artifact]:
    """A small demo shop with one good GRU in use."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(tmp_path_factory.mktemp("refusals")))
    demo.create_demo_shop("demo", CFG)
    with Store.open("demo") as store:
        art = embeddings.train(store, "gru", epochs=1, seed=0, model_args=FAST)
    assert art is not None and not art.manifest["candidate"]
    yield art
    mp.undo()


@pytest.fixture
def bad(good: artifacts.Artifact) -> Iterator[artifacts.Artifact]:
    """A copy of the good model saved after it and put in use: the one a test damages."""
    with Store.open("demo") as store:
        ref = artifacts.load(store, good.model_id)
        copy = artifacts.save(store, "gru", ref.tensors, ref.state, ref.manifest["data_fingerprint"],
                              ref.manifest["metrics"])
        assert artifacts.latest_id(store) == copy.model_id
    yield copy
    with Store.open("demo") as store:
        artifacts.promote(store, good.model_id)
    shutil.rmtree(copy.path, ignore_errors=True)


class _Code:
    """Pickles as a call of ``os.mkdir``: what a hostile weights file would run if allowed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.mkdir, (str(self.marker),)


def _manifest(art: artifacts.Artifact) -> dict:
    return json.loads((art.path / artifacts.MANIFEST).read_text())


def _write_manifest(art: artifacts.Artifact, manifest: dict, sign: bool) -> None:
    if sign:  # as the owner's key would: the check behind the signature is tested on its own
        with Store.open("demo", read_only=True) as store:
            manifest = manifests.signed(store, manifest)
    (art.path / artifacts.MANIFEST).write_text(json.dumps(manifest))


def _swap_weights(art: artifacts.Artifact, weights: object, sign: bool) -> None:
    """New weights, with the manifest's checksum updated to match them."""
    torch.save(weights, art.path / artifacts.WEIGHTS)
    manifest = _manifest(art)
    manifest["files"][artifacts.WEIGHTS] = artifacts._sha256(art.path / artifacts.WEIGHTS)
    _write_manifest(art, manifest, sign)


def _misshapen(art: artifacts.Artifact) -> dict:
    name = next(k for k, v in art.tensors.items() if v.ndim == 2)
    rows, cols = art.tensors[name].shape
    return {**art.tensors, name: torch.zeros(rows + 1, cols)}


def _edit(field: str, value: object, sign: bool = False) -> Callable[[artifacts.Artifact, Path], None]:
    def damage(art: artifacts.Artifact, _tmp: Path) -> None:
        manifest = _manifest(art)
        manifest[field] = value
        _write_manifest(art, manifest, sign)
    return damage


def _drop_signature(art: artifacts.Artifact, _tmp: Path) -> None:
    manifest = _manifest(art)
    del manifest[manifests.SIGNATURE]
    _write_manifest(art, manifest, sign=False)


CASES: dict[str, tuple[Callable[[artifacts.Artifact, Path], None], str]] = {
    "code in the pickle, checksum updated": (
        lambda art, tmp: _swap_weights(art, {"w": _Code(tmp / "ran")}, sign=False),
        "signature does not match"),
    "code in the pickle, checksum updated and signed": (
        lambda art, tmp: _swap_weights(art, {"w": _Code(tmp / "ran")}, sign=True),
        "cannot be read safely (UnpicklingError"),
    "wrong-shape tensors, checksum updated": (
        lambda art, _: _swap_weights(art, _misshapen(art), sign=False), "signature does not match"),
    "wrong-shape tensors, checksum updated and signed": (
        lambda art, _: _swap_weights(art, _misshapen(art), sign=True), "cannot be rebuilt (RuntimeError"),
    "weights not tensors, signed": (
        lambda art, _: _swap_weights(art, [1, 2, 3], sign=True), "not a dict of named tensors"),
    "kind edited": (_edit("kind", "transformer"), "signature does not match"),
    "metrics edited": (_edit("metrics", {"valid": {"ndcg@10": 1.0}}), "signature does not match"),
    "files emptied": (_edit("files", {}), "signature does not match"),
    "files emptied, signed": (_edit("files", {}, sign=True), "lists the files []"),
    "another shop's manifest, signed": (_edit("shop", "other", sign=True), "belongs to shop 'other'"),
    "signature removed (an older model)": (_drop_signature, "not signed"),
    "folder missing": (lambda art, _: shutil.rmtree(art.path), "folder is missing"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_damaged_model_is_refused_and_the_previous_one_serves(
        case: str, good: artifacts.Artifact, bad: artifacts.Artifact, tmp_path: Path) -> None:
    damage, reason = CASES[case]
    damage(bad, tmp_path)
    with Store.open("demo") as store:
        engine = recommend.load(store)  # what the Customer page and `shoplens recommend` use
        assert f"({good.model_id})" in engine.name
        refused = [p for p in engine.problems if f"Model {bad.model_id} refused" in p]
        assert refused and reason in refused[0], engine.problems
        assert any(f"Serving model {good.model_id}" in p for p in engine.problems)
        assert engine.recommend(engine.log.user_ids[0]).picks  # it answers
        _, _, art, _ = embeddings.customer_vectors(store)  # the Segments page's input
        assert art.model_id == good.model_id
        listed = {m["model_id"]: m for m in artifacts.list_models(store)}
        if bad.path.exists():  # recorded, so the Model page and `shoplens models` say so
            assert reason in listed[bad.model_id]["refused"]
        assert bad.model_id not in {m["model_id"] for m in embeddings.latest_per_kind(store)}
        with pytest.raises(artifacts.ArtifactError, match="refused"):
            promotion.promote(store, bad.model_id)
        assert artifacts.latest_id(store) == bad.model_id  # a refusal moves nothing by itself
    assert not (tmp_path / "ran").exists()  # the pickled call never ran


def test_an_edited_manifest_in_use_does_not_block_a_new_run(good: artifacts.Artifact,
                                                             bad: artifacts.Artifact) -> None:
    _edit("metrics", {"valid": {"ndcg@10": 1.0}, "options": good.manifest["metrics"]["options"]})(
        bad, Path())
    with Store.open("demo") as store:  # the forged 1.0 would keep any honest run a candidate
        decision = promotion.decide(store, {"ndcg@10": 0.01}, good.manifest["data_fingerprint"],
                                    good.manifest["metrics"]["options"], cancelled=False)
    assert decision.make_current and bad.model_id in decision.why


def test_re_sign_trusts_unsigned_models_only(good: artifacts.Artifact, bad: artifacts.Artifact,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _drop_signature(bad, Path())
    assert main(["models", "--shop", "demo", "--json"]) == 0
    rows = {r["model_id"]: r for r in json.loads(capsys.readouterr().out)["models"]}
    assert rows[bad.model_id]["state"] == "refused" and "re-sign" in rows[bad.model_id]["refused"]
    assert main(["models", "--shop", "demo", "--re-sign"]) == 0
    out = capsys.readouterr().out
    assert f"{bad.model_id}: signed" in out and f"{good.model_id}: already signed" in out
    with Store.open("demo") as store:
        assert f"({bad.model_id})" in recommend.load(store).name
        assert "refused" not in {m["model_id"]: m for m in artifacts.list_models(store)}[bad.model_id]
    _edit("kind", "lstm")(bad, Path())  # a wrong signature is never re-signed
    assert main(["models", "--shop", "demo", "--re-sign"]) == 0
    assert f"{bad.model_id}: not signed: its signature is wrong" in capsys.readouterr().out
    assert main(["use-model", "--shop", "demo", bad.model_id]) == 2
    assert "refused" in capsys.readouterr().err
    with Store.open("demo") as store:
        assert f"({good.model_id})" in recommend.load(store).name


def test_without_any_usable_model_item_knn_serves_and_says_why(
        good: artifacts.Artifact, bad: artifacts.Artifact) -> None:
    _drop_signature(bad, Path())
    _drop_signature(good, Path())
    try:
        with Store.open("demo") as store:
            engine = recommend.load(store)
            assert not engine.neural
            assert "kNN" in engine.name and engine.recommend(engine.log.user_ids[0]).picks
            assert any(f"Model {good.model_id} refused" in p and "item-kNN serves" in p
                       for p in engine.problems), engine.problems
            with pytest.raises(artifacts.ArtifactError, match="refused"):
                recommend.load(store, bad.model_id)  # a model asked for by name: no quiet swap
    finally:
        assert main(["models", "--shop", "demo", "--re-sign"]) == 0


def test_the_pages_name_the_refused_model_and_serve_the_good_one(good: artifacts.Artifact,
                                                                 bad: artifacts.Artifact) -> None:
    _swap_weights(bad, _misshapen(bad), sign=True)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/model.py").run()
    assert not at.exception, [e.value for e in at.exception]
    states = at.dataframe[0].value.set_index("model")["state"]
    assert states[bad.model_id].startswith("refused: it cannot be rebuilt")
    assert any(f"Model {bad.model_id} refused" in w.value for w in at.warning)
    assert any(f"In use: {good.model_id}" in c.value for c in at.caption)
    at.switch_page("pages/customer.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="cust_model_demo").value == good.model_id
    assert not at.error, [e.value for e in at.error]
