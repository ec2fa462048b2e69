"""Personal data: customer ids become keyed hashes at import, with a per-shop secret.

The secret is created on first use and kept in the data folder's ``secrets/`` (mode 0600),
outside the shop's database file, so the database alone cannot be linked back to the shop's
own customer ids. The same id always maps to the same key within a shop, which is what makes
re-imports idempotent; a different shop gets unrelated keys. The same secret, under another
purpose, keys the signature of the shop's model manifests (``manifest_key``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from core.store import config

if TYPE_CHECKING:
    from core.store.store import Store

log = logging.getLogger(__name__)
KEY_PREFIX = "c_"
_KEY_HEX = 20  # 80 bits: collisions are negligible for any shop's customer count


SECRET_BYTES = 32


def shop_secret(store: Store) -> bytes:
    """The shop's pseudonymisation secret, created (0600) on first use.

    It is written whole or not at all (a temporary file, fsync, then a hard link that fails if
    another process won the race), so a crash never leaves a short key behind. A key that is
    not ``SECRET_BYTES`` long (an older crash) is replaced while the shop holds no customers and
    refused once it does: ids hashed with it would be barely pseudonymous."""
    shop = config.check_shop_name(store.shop)
    path = config.secrets_dir() / f"{shop}.key"
    if not path.exists():
        _write_secret(path)
    key = path.read_bytes()
    if len(key) == SECRET_BYTES:
        return key
    if not store.scalar("SELECT count(*) FROM customers"):
        log.warning("shop %s: its secret was incomplete (%d bytes); made a new one", shop, len(key))
        path.unlink(missing_ok=True)
        _write_secret(path)
        return path.read_bytes()
    from core.store.store import StoreError
    raise StoreError(
        f"Shop {shop!r}: its pseudonymisation secret ({path}) is damaged ({len(key)} bytes, not "
        f"{SECRET_BYTES}). Restore it from a backup; without it, create the shop again and "
        "import its exports again (the customer keys made with it cannot be trusted).")


def _write_secret(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(SECRET_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        tmp.unlink(missing_ok=True)


def is_key(text: str) -> bool:
    """True for a stored customer key (``c_`` and 20 hex digits), not for a raw id like 'c_77'."""
    return len(text) == len(KEY_PREFIX) + _KEY_HEX and text.startswith(KEY_PREFIX) and all(
        ch in "0123456789abcdef" for ch in text[len(KEY_PREFIX):])


def pseudonymize(store: Store, raw_ids: Iterable[str]) -> list[str]:
    """Keyed hashes (HMAC-SHA256, 80 bits shown) of the shop's own customer ids."""
    key = shop_secret(store)
    return [
        KEY_PREFIX + hmac.new(key, str(raw).encode("utf-8"), hashlib.sha256).hexdigest()[:_KEY_HEX]
        for raw in raw_ids
    ]


def suppression_tokens(store: Store, keys: Iterable[str]) -> list[str]:
    """Tokens of erased customers for the suppression list: a keyed hash of the key under a
    separate purpose, so the list itself never holds a customer's key."""
    key = shop_secret(store)
    return [hmac.new(key, b"suppress:" + str(k).encode("utf-8"), hashlib.sha256).hexdigest()
            for k in keys]


def manifest_key(store: Store) -> bytes:
    """The key that signs the shop's model manifests: derived from the shop's secret under its
    own purpose, so a manifest's signature says nothing about any customer key."""
    return hmac.new(shop_secret(store), b"model-manifest", hashlib.sha256).digest()


def objection_tokens(store: Store, keys: Iterable[str]) -> list[str]:
    """Tokens of objections recorded before the customer is in the shop (see ``suppression_tokens``)."""
    key = shop_secret(store)
    return [hmac.new(key, b"object:" + str(k).encode("utf-8"), hashlib.sha256).hexdigest() for k in keys]
