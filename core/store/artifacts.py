"""Versioned, atomic save and load of trained things.

A trained model is a folder ``<home>/models/<shop>/<model_id>/`` holding ``weights.pt`` (a dict
of tensors, read back with ``torch.load(weights_only=True)``), ``state.json`` (config, id maps,
anything JSON) and ``manifest.json`` (kind, data fingerprint, metrics, library versions and the
sha256 of every other file). It is written into a hidden folder, flushed to disk, and renamed
into place. ``LATEST`` points at the model in use (written the same way): ``save`` moves it
only when told to (``core.learn.promotion`` decides: a cancelled or worse run is kept as a
candidate, marked so in its manifest), and ``promote`` moves it to a candidate the user chose. A
file that is truncated or changed afterwards fails its checksum and is refused with a clear
message; ``load_usable`` then falls back to the newest intact model that was not a candidate
(then to candidates), so the shop keeps a working model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported where weights are read or written: listing models stays light
    import torch

    from core.store.store import Store

from core.store import config

log = logging.getLogger(__name__)
WEIGHTS, STATE, MANIFEST, LATEST = "weights.pt", "state.json", "manifest.json", "LATEST"


class ArtifactError(RuntimeError):
    """A model folder that cannot be trusted or read, explained."""


_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


def _checked(model_id: str) -> str:
    """A model id as a folder name (never a path elsewhere), or ArtifactError."""
    if not isinstance(model_id, str) or not _MODEL_ID.match(model_id):
        raise ArtifactError(f"{model_id!r} is not a model id (such as 20250101-120000-gru-1a2b3c).")
    return model_id


@dataclass
class Artifact:
    """A loaded model folder."""

    model_id: str
    path: Path
    manifest: dict[str, Any]
    state: dict[str, Any]
    tensors: dict[str, torch.Tensor]

    def is_stale(self, fingerprint: str) -> bool:
        """True when the shop's data changed since this model was trained."""
        return self.manifest.get("data_fingerprint") != fingerprint


def models_dir(store: Store) -> Path:
    """Where a shop's trained models live."""
    shop = store.shop
    path = config.home() / "models" / config.check_shop_name(shop)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def versions() -> dict[str, str]:
    """Library versions recorded with every model."""
    import duckdb
    import numpy
    import torch

    import core

    return {"shoplens": core.__version__, "python": platform.python_version(),
            "torch": torch.__version__, "numpy": numpy.__version__, "duckdb": duckdb.__version__}


def save(store: Store, kind: str, tensors: dict[str, torch.Tensor], state: dict[str, Any],
         fingerprint: str, metrics: dict[str, Any] | None = None, make_current: bool = True,
         note: str = "") -> Artifact:
    """Write a new model folder atomically; make it the model in use when ``make_current``
    (else it is kept as a candidate). ``note``: why, in words, kept in the manifest."""
    shop = store.shop
    root = models_dir(store)
    import torch

    model_id = time.strftime("%Y%m%d-%H%M%S") + f"-{kind}-{os.urandom(3).hex()}"
    tmp = root / f".tmp-{model_id}"
    tmp.mkdir()
    try:
        torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp / WEIGHTS)
        with open(tmp / WEIGHTS, "rb+") as fh:
            os.fsync(fh.fileno())
        _fsync_write(tmp / STATE, json.dumps(state, default=_json_default).encode())
        manifest = {
            "model_id": model_id, "kind": kind, "shop": shop, "created_at": time.time(),
            "data_fingerprint": fingerprint, "metrics": metrics or {}, "versions": versions(),
            "candidate": not make_current, "note": note,
            "files": {name: _sha256(tmp / name) for name in (WEIGHTS, STATE)},
        }
        _fsync_write(tmp / MANIFEST, json.dumps(manifest, indent=1, default=_json_default).encode())
        _fsync_dir(tmp)
        final = root / model_id
        tmp.rename(final)
        if make_current:
            _set_latest(root, model_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("saved model %s for shop %s (%s)", model_id, shop,
             "in use" if make_current else "candidate")
    return Artifact(model_id, final, manifest, state, tensors)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _set_latest(root: Path, model_id: str) -> None:
    tmp = root / f".{LATEST}.tmp"
    _fsync_write(tmp, model_id.encode())
    os.replace(tmp, root / LATEST)
    _fsync_dir(root)


def list_models(store: Store) -> list[dict[str, Any]]:
    """Manifests of the shop's models, newest first (unreadable ones marked as damaged)."""
    out = []
    for path in sorted(models_dir(store).iterdir(), reverse=True):
        if path.name.startswith(".") or not path.is_dir():
            continue
        try:
            out.append(json.loads((path / MANIFEST).read_text()))
        except (OSError, ValueError) as err:
            out.append({"model_id": path.name, "damaged": str(err)})
    return out


def latest_id(store: Store) -> str | None:
    """The model in use: the one the shop's pages use unless another is chosen."""
    pointer = models_dir(store) / LATEST
    return pointer.read_text().strip() if pointer.exists() else None


def manifest_of(store: Store, model_id: str) -> dict[str, Any] | None:
    """A model's manifest without loading its weights (None when it cannot be read)."""
    try:
        return json.loads((models_dir(store) / _checked(model_id) / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def promote(store: Store, model_id: str) -> Artifact:
    """Make ``model_id`` the model in use, after verifying its files (ArtifactError if damaged
    or unknown)."""
    if not (models_dir(store) / _checked(model_id)).is_dir():
        raise ArtifactError(f"Shop {store.shop!r} has no model {model_id!r}.")
    art = load(store, model_id)
    _set_latest(models_dir(store), model_id)
    log.info("model %s of shop %s is now in use", model_id, store.shop)
    return art


def load(store: Store, model_id: str | None = None) -> Artifact:
    """Load and verify one model (the latest by default); refuse a damaged one."""
    shop = store.shop
    model_id = model_id or latest_id(store)
    if model_id is None:
        raise ArtifactError(f"Shop {shop!r} has no trained model yet: train one first.")
    path = models_dir(store) / _checked(model_id)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise ArtifactError(f"Model {model_id} cannot be read ({err}); train again.") from err
    for name, expected in manifest.get("files", {}).items():
        if not (path / name).exists() or _sha256(path / name) != expected:
            raise ArtifactError(
                f"Model {model_id}: {name} is damaged (truncated or changed since it was "
                "saved); it was not loaded. Train again or choose another model.")
    import torch

    try:
        tensors = torch.load(path / WEIGHTS, map_location="cpu", weights_only=True)
        state = json.loads((path / STATE).read_text())
    except (OSError, ValueError, RuntimeError) as err:
        raise ArtifactError(f"Model {model_id} could not be loaded: {err}") from err
    return Artifact(model_id, path, manifest, state, tensors)


def load_usable(store: Store, model_id: str | None = None) -> tuple[Artifact, list[str]]:
    """The chosen (or latest) model, or else the newest intact one, with what went wrong."""
    shop = store.shop
    problems: list[str] = []
    first = model_id or latest_id(store)
    others = [m for m in list_models(store) if m["model_id"] != first]
    # models that were put in use first, newest first; runs kept as candidates last
    others.sort(key=lambda m: bool(m.get("candidate")))
    candidates = [first] + [m["model_id"] for m in others]
    for candidate in [c for c in candidates if c]:
        try:
            return load(store, candidate), problems
        except ArtifactError as err:
            problems.append(str(err))
    raise ArtifactError(" ".join(problems) or f"Shop {shop!r} has no trained model yet.")
