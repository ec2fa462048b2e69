"""Personal data: customer ids become keyed hashes at import, with a per-shop secret.

The secret is created on first use and kept in the data folder's ``secrets/`` (mode 0600),
outside the shop's database file, so the database alone cannot be linked back to the shop's
own customer ids. The same id always maps to the same key within a shop, which is what makes
re-imports idempotent; a different shop gets unrelated keys.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from core.store import config

if TYPE_CHECKING:
    from core.store.store import Store

KEY_PREFIX = "c_"
_KEY_HEX = 20  # 80 bits: collisions are negligible for any shop's customer count


def shop_secret(store: Store) -> bytes:
    """The shop's pseudonymisation secret, created (0600) on first use."""
    shop = store.shop
    path = config.secrets_dir() / f"{config.check_shop_name(shop)}.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


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


def objection_tokens(store: Store, keys: Iterable[str]) -> list[str]:
    """Tokens of objections recorded before the customer is in the shop (see ``suppression_tokens``)."""
    key = shop_secret(store)
    return [hmac.new(key, b"object:" + str(k).encode("utf-8"), hashlib.sha256).hexdigest() for k in keys]
