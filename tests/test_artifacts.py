"""Model folders: atomic save, verified load, damaged files refused, the previous model kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.store import artifacts


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    return tmp_path


def _save(tag: float, kind: str = "gru") -> artifacts.Artifact:
    return artifacts.save("shop", kind, {"w": torch.full((3, 2), tag)},
                          {"config": {"d": 2}, "item_ids": ["", "A", "B"]}, "fp1",
                          {"ndcg@10": tag})


def test_save_then_load_round_trips() -> None:
    saved = _save(1.5)
    loaded = artifacts.load("shop")
    assert loaded.model_id == saved.model_id == artifacts.latest_id("shop")
    assert torch.equal(loaded.tensors["w"], torch.full((3, 2), 1.5))
    assert loaded.state["item_ids"] == ["", "A", "B"]
    manifest = loaded.manifest
    assert manifest["kind"] == "gru" and manifest["metrics"]["ndcg@10"] == 1.5
    assert {"torch", "numpy", "duckdb", "python", "shoplens"} <= set(manifest["versions"])
    assert not loaded.is_stale("fp1") and loaded.is_stale("fp2")
    assert not list(saved.path.parent.glob(".tmp-*"))


@pytest.mark.parametrize("damage", ["truncate", "tamper", "delete"])
def test_damaged_latest_is_refused_and_the_previous_one_is_used(damage: str) -> None:
    first = _save(1.0)
    second = _save(2.0)
    weights = second.path / artifacts.WEIGHTS
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:20])
    elif damage == "tamper":
        data = bytearray(weights.read_bytes())
        data[-30] ^= 0xFF
        weights.write_bytes(bytes(data))
    else:
        weights.unlink()
    with pytest.raises(artifacts.ArtifactError, match="damaged"):
        artifacts.load("shop")
    usable, problems = artifacts.load_usable("shop")
    assert usable.model_id == first.model_id
    assert problems and second.model_id in problems[0]


def test_a_failed_save_leaves_no_half_written_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    _save(1.0)
    before = artifacts.latest_id("shop")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts, "_set_latest", boom)
    with pytest.raises(OSError):
        _save(2.0)
    root = artifacts.models_dir("shop")
    assert artifacts.latest_id("shop") == before
    assert not list(root.glob(".tmp-*"))


def test_no_model_yet_says_so() -> None:
    with pytest.raises(artifacts.ArtifactError, match="no trained model"):
        artifacts.load("shop")
