"""Model folders: atomic save, verified load, damaged files refused, the previous model kept."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from core.store import artifacts, fallback
from core.store.store import Store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    with Store.open("shop") as opened:
        yield opened


def _save(store: Store, tag: float, kind: str = "gru") -> artifacts.Artifact:
    return artifacts.save(store, kind, {"w": torch.full((3, 2), tag)},
                          {"config": {"d": 2}, "item_ids": ["", "A", "B"]}, "fp1",
                          {"ndcg@10": tag})


def test_save_then_load_round_trips(store: Store) -> None:
    saved = _save(store, 1.5)
    loaded = artifacts.load(store)
    assert loaded.model_id == saved.model_id == artifacts.latest_id(store)
    assert torch.equal(loaded.tensors["w"], torch.full((3, 2), 1.5))
    assert loaded.state["item_ids"] == ["", "A", "B"]
    manifest = loaded.manifest
    assert manifest["kind"] == "gru" and manifest["metrics"]["ndcg@10"] == 1.5
    assert {"torch", "numpy", "duckdb", "python", "shoplens"} <= set(manifest["versions"])
    assert not loaded.is_stale("fp1") and loaded.is_stale("fp2")
    assert not list(saved.path.parent.glob(".tmp-*"))


@pytest.mark.parametrize("damage", ["truncate", "tamper", "delete"])
def test_damaged_latest_is_refused_and_the_previous_one_is_used(store: Store, damage: str) -> None:
    first = _save(store, 1.0)
    second = _save(store, 2.0)
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
        artifacts.load(store)
    usable, problems = fallback.load_usable(store)
    assert usable.model_id == first.model_id
    assert problems and second.model_id in problems[0]


def test_a_failed_save_leaves_no_half_written_folder(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _save(store, 1.0)
    before = artifacts.latest_id(store)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(artifacts, "_set_latest", boom)
    with pytest.raises(OSError):
        _save(store, 2.0)
    root = artifacts.models_dir(store)
    assert artifacts.latest_id(store) == before
    assert not list(root.glob(".tmp-*"))


def test_no_model_yet_says_so(store: Store) -> None:
    with pytest.raises(artifacts.ArtifactError, match="no trained model"):
        artifacts.load(store)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_half_written_folders_of_stopped_trainings_are_swept_never_a_running_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPLENS_HOME", str(tmp_path))
    root = tmp_path / "models" / "shop"
    root.mkdir(parents=True)
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        dead = root / f".tmp-{_dead_pid()}-20250101-120000-gru-aaaaaa"
        live = root / f".tmp-{running.pid}-20250101-120001-gru-bbbbbb"
        older = root / ".tmp-20250101-120002-gru-cccccc"  # an older version's name: no owner
        for folder in (dead, live, older):
            folder.mkdir()
            (folder / artifacts.WEIGHTS).write_bytes(b"half written")
        day_ago = time.time() - 2 * 24 * 3600
        os.utime(older, (day_ago, day_ago))
        with Store.open("shop") as store:  # at store open
            assert not dead.exists() and not older.exists()
            assert live.exists()  # its training still runs
            running.kill()
            running.wait()
            saved = _save(store, 1.0)  # at training start (each save)
            assert not live.exists()
            assert [p.name for p in artifacts.models_dir(store).iterdir() if p.is_dir()] == [
                saved.model_id]
    finally:
        running.kill()
        running.wait()


def test_a_model_is_written_under_its_owners_pid(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = artifacts.fsync_dir

    def spy(path: Path) -> None:
        seen.append(path.name)
        real(path)

    monkeypatch.setattr(artifacts, "fsync_dir", spy)
    saved = _save(store, 1.0)
    assert f".tmp-{os.getpid()}-{saved.model_id}" in seen
