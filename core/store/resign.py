"""``shoplens models --re-sign``: sign the manifests of models saved before manifests were signed.

Such models are refused by default (a manifest without a signature could have been edited by
anyone who can write to the models folder). Re-signing is the owner saying "I trust these
folders as they are": only an unsigned manifest is signed, and only when it names its own folder
and shop, lists exactly the model's files, every checksum matches and the weights read as plain
tensors. A manifest whose signature is present but wrong was changed after it was saved: it is
never re-signed (train that model again).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from core.store import artifacts, manifests
from core.store.store import Store

log = logging.getLogger(__name__)


def re_sign(store: Store) -> dict[str, str]:
    """model id -> what happened to it ("signed", "already signed", or why it was not signed)."""
    root = artifacts.models_dir(store)
    out = {}
    for path in sorted(root.iterdir()):
        if path.is_dir() and not path.name.startswith(".") and artifacts.is_model_id(path.name):
            out[path.name] = _re_sign_one(store, path)
    return out


def _re_sign_one(store: Store, path: Path) -> str:
    try:
        manifest = json.loads((path / artifacts.MANIFEST).read_text())
    except (OSError, ValueError) as err:
        return f"not signed: its manifest cannot be read ({err})"
    if not isinstance(manifest, dict):
        return "not signed: its manifest is not a JSON object"
    if manifests.problem(store, manifest, path.name, artifacts.FILES) is None:
        return "already signed"
    if manifests.SIGNATURE in manifest:
        return "not signed: its signature is wrong (the manifest was changed after it was saved)"
    why = manifests.problem(store, manifests.signed(store, manifest), path.name, artifacts.FILES)
    if why:
        return f"not signed: {why}"
    try:
        artifacts.verify_files(path, manifest["files"])
    except artifacts.ArtifactError as err:
        return f"not signed: {err}"
    tmp = path / f".{artifacts.MANIFEST}.{os.getpid()}.tmp"
    artifacts.fsync_write(tmp, json.dumps(manifests.signed(store, manifest), indent=1).encode())
    os.replace(tmp, path / artifacts.MANIFEST)
    artifacts.fsync_dir(path)
    manifests.clear_refusal(artifacts.models_dir(store), path.name)
    log.info("shop %s: signed the manifest of model %s", store.shop, path.name)
    return "signed"
