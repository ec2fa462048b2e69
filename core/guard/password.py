"""The dashboard's optional password, for a shop owner who opens the dashboard to their network.

Only a salted hash is kept: ``hashlib.scrypt`` (n=2**14, r=8, p=1) with 16 random bytes of salt,
as one JSON line in the data folder's ``secrets/dashboard_password`` (mode 0600, written to a
temporary file and renamed, so a crash leaves the old file or the new one, never half of one).
No file means no password: the dashboard asks nothing, as before. ``check`` compares in constant
time (``hmac.compare_digest``). Set and cleared with ``shoplens password set|clear``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

from core.store import config

log = logging.getLogger(__name__)
FILE_NAME = "dashboard_password"
_N, _R, _P = 2**14, 8, 1  # scrypt's cost: ~16 MiB and tens of milliseconds per try
SALT_BYTES = 16
MIN_LENGTH = 8


class PasswordError(ValueError):
    """A password that cannot be used, or a password file that cannot be read."""


def path() -> Path:
    """Where the hash is kept (it may not exist)."""
    return config.secrets_dir() / FILE_NAME


def _hash(password: str, salt: bytes, n: int = _N, r: int = _R, p: int = _P) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32,
                          maxmem=64 * 1024 * 1024)


def set_password(password: str) -> Path:
    """Store the hash of ``password`` (replacing any earlier one); return the file."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"The password is too short: use at least {MIN_LENGTH} characters.")
    salt = secrets.token_bytes(SALT_BYTES)
    record = {"scheme": "scrypt", "n": _N, "r": _R, "p": _P, "salt": salt.hex(),
              "hash": _hash(password, salt).hex()}
    target = path()
    tmp = target.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("dashboard password set (%s)", target)
    return target


def clear() -> bool:
    """Remove the password; True when there was one."""
    target = path()
    existed = target.exists()
    target.unlink(missing_ok=True)
    return existed


def is_set() -> bool:
    """Whether the dashboard asks for a password."""
    return path().exists()


def _record() -> dict:
    target = path()
    try:
        record = json.loads(target.read_text(encoding="utf-8"))
        bytes.fromhex(record["salt"]), bytes.fromhex(record["hash"])
        int(record["n"]), int(record["r"]), int(record["p"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PasswordError(
            f"The dashboard's password file {target} cannot be read ({err}). Set the password "
            "again with `shoplens password set`, or remove it with `shoplens password clear`.") from err
    return record


def check(password: str) -> bool:
    """True when ``password`` is the one set. With no password set, nothing is asked: True.
    A damaged password file lets no one in (``PasswordError`` says how to repair it)."""
    if not is_set():
        return True
    record = _record()
    got = _hash(password, bytes.fromhex(record["salt"]), int(record["n"]), int(record["r"]),
                int(record["p"]))
    return hmac.compare_digest(got, bytes.fromhex(record["hash"]))
