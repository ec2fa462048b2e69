"""A model's manifest: its signature, and the checks a manifest must pass before its files are read.

The manifest (kind, shop, data fingerprint, metrics, versions, the sha256 of every other file)
is signed with an HMAC-SHA256 keyed by the shop's manifest key (``pseudonym.manifest_key``),
over a canonical JSON of every field but ``hmac`` itself. A manifest whose signature is missing
or does not match - an edited ``kind`` or metric, an emptied ``files`` list, a checksum updated
to match a swapped weights file - is refused, and so is one that names another model, another
shop or other files than the model's own. ``refusals`` keeps, per model, why it was last
refused, for the Model page and ``shoplens models``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.store import pseudonym
from core.store.store import StoreError

if TYPE_CHECKING:
    from core.store.store import Store

log = logging.getLogger(__name__)
SIGNATURE = "hmac"
REFUSED = ".refused"  # <models>/<shop>/.refused/<model_id>.json: the last refusal's reason


def canonical(manifest: dict[str, Any]) -> bytes:
    """The bytes that are signed: every field but the signature, keys sorted, no spaces."""
    body = {k: v for k, v in manifest.items() if k != SIGNATURE}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def signature(store: Store, manifest: dict[str, Any]) -> str:
    """The HMAC-SHA256 (hex) of a manifest under the shop's manifest key."""
    return hmac.new(pseudonym.manifest_key(store), canonical(manifest), hashlib.sha256).hexdigest()


def signed(store: Store, manifest: dict[str, Any],
           default: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The manifest as it is read back from JSON (``default`` turns other values into JSON, as
    for ``json.dumps``), with its signature added."""
    plain = json.loads(json.dumps({k: v for k, v in manifest.items() if k != SIGNATURE},
                                  default=default))
    return {**plain, SIGNATURE: signature(store, plain)}


def problem(store: Store, manifest: Any, model_id: str, files: tuple[str, ...]) -> str | None:
    """Why this manifest cannot be trusted (None when it can): unsigned, signature wrong, or
    naming another model, another shop or other files than ``files``."""
    if not isinstance(manifest, dict):
        return "its manifest is not a manifest (not a JSON object)"
    given = manifest.get(SIGNATURE)
    if not given:
        return ("its manifest is not signed (saved before shoplens signed its models, or its "
                f"signature was removed): train it again, or run `shoplens models --re-sign "
                f"--shop {store.shop}` if you trust the models folder as it is")
    try:
        expected = signature(store, manifest)
    except (StoreError, OSError) as err:  # the shop's secret is damaged or unreadable
        return f"its signature cannot be checked ({err})"
    if not isinstance(given, str) or not hmac.compare_digest(given, expected):
        return ("its manifest was changed after it was saved (its signature does not match: "
                "kind, metrics, file list or checksums edited, or signed by another shop's key)")
    if manifest.get("model_id") != model_id:
        return f"its manifest belongs to model {manifest.get('model_id')!r}, not to this folder"
    if manifest.get("shop") != store.shop:
        return f"its manifest belongs to shop {manifest.get('shop')!r}"
    listed = manifest.get("files")
    if not isinstance(listed, dict) or sorted(listed) != sorted(files):
        return f"its manifest lists the files {sorted(listed or {})}, not {sorted(files)}"
    return None


# -- refusals: the last reason each model was refused, for the pages -----------------------------

def record_refusal(root: Path, model_id: str, reason: str) -> None:
    """Remember why a model was refused (written whole: a temporary file, then a rename)."""
    folder = root / REFUSED
    try:
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{model_id}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"reason": reason, "at": time.time()}))
        os.replace(tmp, folder / f"{model_id}.json")
    except OSError as err:  # a read-only folder: the refusal still stands, only unrecorded
        log.warning("could not record the refusal of model %s: %s", model_id, err)


def clear_refusal(root: Path, model_id: str) -> None:
    """Forget a refusal once the model loads and checks out again."""
    try:
        (root / REFUSED / f"{model_id}.json").unlink(missing_ok=True)
    except OSError as err:
        log.debug("could not clear the refusal of model %s: %s", model_id, err)


def refusals(root: Path) -> dict[str, str]:
    """model id -> why it was last refused."""
    out = {}
    for path in sorted((root / REFUSED).glob("*.json")):
        try:
            out[path.stem] = str(json.loads(path.read_text())["reason"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return out
