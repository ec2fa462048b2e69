"""Versioned, atomic save and load of trained things.

A trained model is a folder ``<home>/models/<shop>/<model_id>/`` holding ``weights.pt`` (a dict
of tensors, read back with ``torch.load(weights_only=True)``), ``state.json`` (config, id maps,
anything JSON) and ``manifest.json`` (kind, data fingerprint, metrics, library versions, the
sha256 of every other file, and an HMAC of all of it keyed by the shop's secret: see
``manifests``). It is written into a hidden folder named after the writing process
(``.tmp-<pid>-<model_id>``), flushed to disk, and renamed into place; a folder left by a killed
process is swept (``scratch.sweep_model_folders``) once its owner is gone. ``LATEST`` points at
the model in use and ``HISTORY`` lists the models in use before it (written the same way):
``save`` moves them only when told to (``core.learn.promotion`` decides: a cancelled or worse run
is kept as a candidate, marked so in its manifest), and ``promote`` moves them to a model the
user chose.

Every failure to load a model is a refusal with its reason, never a crash: a missing folder, an
unsigned or edited manifest, a file that fails its checksum, weights that are not plain tensors
(``torch.load`` refuses code), or a model that cannot be rebuilt from them (``first_usable``'s
``build``). The reason is logged and recorded (``manifests.refusals``, shown on the Model page),
and ``fallback.first_usable``/``load_usable`` serve the next good model instead.
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

from core.store import config, manifests, scratch

log = logging.getLogger(__name__)
WEIGHTS, STATE, MANIFEST, LATEST = "weights.pt", "state.json", "manifest.json", "LATEST"
HISTORY, KEEP_HISTORY = "HISTORY", 50  # the models in use before the current one, oldest first
FILES = (WEIGHTS, STATE)


class ArtifactError(RuntimeError):
    """A model folder that cannot be trusted or read, explained."""


class Refusal(ArtifactError):
    """Why one model folder failed a check (the bare reason; ``load`` words the message)."""


_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


def is_model_id(name: str) -> bool:
    """Whether a name is a model id (a folder name, never a path elsewhere)."""
    return isinstance(name, str) and bool(_MODEL_ID.match(name))


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


def fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
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
    scratch.sweep_model_folders(root)  # what a killed training left behind
    tmp = root / scratch.model_folder_name(model_id)
    tmp.mkdir()
    try:
        torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp / WEIGHTS)
        with open(tmp / WEIGHTS, "rb+") as fh:
            os.fsync(fh.fileno())
        fsync_write(tmp / STATE, json.dumps(state, default=_json_default).encode())
        manifest = manifests.signed(store, {
            "model_id": model_id, "kind": kind, "shop": shop, "created_at": time.time(),
            "data_fingerprint": fingerprint, "metrics": metrics or {}, "versions": versions(),
            "candidate": not make_current, "note": note,
            "files": {name: _sha256(tmp / name) for name in FILES},
        }, default=_json_default)
        fsync_write(tmp / MANIFEST, json.dumps(manifest, indent=1).encode())
        fsync_dir(tmp)
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
    previous = (root / LATEST).read_text().strip() if (root / LATEST).exists() else None
    if previous and previous != model_id:
        before = [m for m in _history(root) if m not in (previous, model_id)]
        _replace(root, HISTORY, json.dumps([*before, previous][-KEEP_HISTORY:]).encode())
    _replace(root, LATEST, model_id.encode())


def _replace(root: Path, name: str, data: bytes) -> None:
    tmp = root / f".{name}.{os.getpid()}.tmp"
    fsync_write(tmp, data)
    os.replace(tmp, root / name)
    fsync_dir(root)


def history(store: Store) -> list[str]:
    """The models in use before the current one, oldest first ([] when unknown)."""
    return _history(models_dir(store))


def _history(root: Path) -> list[str]:
    """The models in use before the current one, oldest first ([] when unknown)."""
    try:
        ids = json.loads((root / HISTORY).read_text())
    except (OSError, ValueError):
        return []
    return [m for m in ids if isinstance(m, str) and _MODEL_ID.match(m)] if isinstance(ids, list) else []


def list_models(store: Store) -> list[dict[str, Any]]:
    """Manifests of the shop's models, newest first: unreadable ones marked ``damaged``, those
    whose manifest fails its checks or that were refused when last loaded marked ``refused``
    (the reason). The weights are not read: ``load`` checks them."""
    root = models_dir(store)
    refused = manifests.refusals(root)
    out = []
    for path in sorted(root.iterdir(), reverse=True):
        if path.name.startswith(".") or not path.is_dir() or not _MODEL_ID.match(path.name):
            continue
        try:
            manifest = json.loads((path / MANIFEST).read_text())
        except (OSError, ValueError) as err:
            out.append({"model_id": path.name, "damaged": str(err)})
            continue
        if why := manifests.problem(store, manifest, path.name, FILES):
            out.append({"model_id": path.name, "refused": why})  # nothing in it can be trusted
        elif path.name in refused:
            out.append({**manifest, "refused": refused[path.name]})
        else:
            out.append(manifest)
    return out


def latest_id(store: Store) -> str | None:
    """The model in use: the one the shop's pages use unless another is chosen."""
    pointer = models_dir(store) / LATEST
    return pointer.read_text().strip() if pointer.exists() else None


def manifest_of(store: Store, model_id: str) -> dict[str, Any] | None:
    """A model's manifest without loading its weights (None when it cannot be read or fails its
    checks: an edited manifest says nothing trustworthy about its model)."""
    try:
        manifest = json.loads((models_dir(store) / _checked(model_id) / MANIFEST).read_text())
    except (OSError, ValueError, ArtifactError):
        return None
    return None if manifests.problem(store, manifest, model_id, FILES) else manifest


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
    """Load and verify one model (the latest by default); refuse, with the reason recorded, one
    that fails any check."""
    shop = store.shop
    model_id = model_id or latest_id(store)
    if model_id is None:
        raise ArtifactError(f"Shop {shop!r} has no trained model yet: train one first.")
    root = models_dir(store)
    path = root / _checked(model_id)
    try:
        art = _read(store, model_id, path)
    except Refusal as why:
        raise refuse(store, model_id, str(why)) from why.__cause__
    manifests.clear_refusal(root, model_id)
    return art


def _read(store: Store, model_id: str, path: Path) -> Artifact:
    if not path.is_dir():
        raise Refusal("its folder is missing")
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise Refusal(f"its manifest cannot be read ({err})") from err
    if why := manifests.problem(store, manifest, model_id, FILES):
        raise Refusal(why)
    tensors, state = verify_files(path, manifest["files"])
    return Artifact(model_id, path, manifest, state, tensors)


def verify_files(path: Path, files: dict[str, str]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """A model folder's weights and state, once every file matches its checksum and the weights
    read as plain named tensors (``Refusal`` with the reason otherwise)."""
    for name, expected in files.items():
        if not (path / name).exists() or _sha256(path / name) != expected:
            raise Refusal(f"{name} is damaged (missing, truncated or changed since it was saved)")
    import torch

    try:
        tensors = torch.load(path / WEIGHTS, map_location="cpu", weights_only=True)
        state = json.loads((path / STATE).read_text())
    except Exception as err:  # noqa: BLE001 - whatever a hostile file raises, it is a refusal
        raise Refusal(f"its weights or state cannot be read safely ({describe(err)})") from err
    if not isinstance(tensors, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()):
        raise Refusal("its weights are not a dict of named tensors")
    if not isinstance(state, dict):
        raise Refusal("its state is not a JSON object")
    return tensors, state


def describe(err: BaseException) -> str:
    """An exception as one short line (torch's messages run to many lines)."""
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first[:200]}" if first else type(err).__name__


def refuse(store: Store, model_id: str, reason: str) -> ArtifactError:
    """Log and record why a model is refused; the error to raise."""
    log.warning("shop %s: model %s refused: %s", store.shop, model_id, reason)
    manifests.record_refusal(models_dir(store), model_id, reason)
    return ArtifactError(f"Model {model_id} refused: {reason}.")
