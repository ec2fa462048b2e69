"""Scratch files: converted copies of imports and uploaded files, which hold whole exports
(contact details included) and so must never outlive the process that made them.

Each file is named after its owner's process id (``tmp-<pid>-<random><suffix>``, uploads under
``uploads/<shop>/<pid>/``). Owners delete their files on every normal and error exit; a process
killed outright (``kill -9``, a power cut) cannot, so every shoplens process sweeps, once, at its
start, the files of owners that are no longer running — and anything older than a day. A model
being saved is written the same way, into ``models/<shop>/.tmp-<pid>-<model_id>/`` (see
``core.store.artifacts``): swept with the rest, and again before each save, never while its
owner runs.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from core.store import config

log = logging.getLogger(__name__)
MAX_AGE_S = 24 * 3600  # whatever the owner: a scratch file older than this is stale
_OWNED = re.compile(r"^tmp-(\d+)-")
_OWNED_MODEL = re.compile(r"^\.tmp-(\d+)-\d{8}-\d{6}-")  # .tmp-<pid>-<model_id>
_swept: set[Path] = set()  # homes swept by this process
_lock = threading.Lock()


def folder() -> Path:
    """``<home>/tmp``: where scratch files live (created on first use)."""
    path = config.home() / "tmp"
    path.mkdir(exist_ok=True)
    return path


def scratch_file(suffix: str) -> Path:
    """A new empty scratch file owned by this process (sweeping others' leftovers first)."""
    try:
        sweep()
    except OSError as err:  # a file held or removed by another process
        log.debug("scratch sweep incomplete: %s", err)
    fd, name = tempfile.mkstemp(prefix=f"tmp-{os.getpid()}-", suffix=suffix, dir=folder())
    os.close(fd)
    return Path(name)


def upload_folder(shop: str) -> Path:
    """This process's folder for a shop's uploaded files."""
    sweep_once()
    path = folder() / "uploads" / config.check_shop_name(shop) / str(os.getpid())
    path.mkdir(parents=True, exist_ok=True)
    return path


def alive(pid: int) -> bool:
    """Whether a process with this id runs (ours counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def _orphan(path: Path, pid: int | None, now: float) -> bool:
    try:
        old = now - path.stat().st_mtime > MAX_AGE_S
    except OSError:
        return False
    return old or (pid is not None and not alive(pid))


def model_folder_name(model_id: str) -> str:
    """The hidden folder this process writes a model into before renaming it into place."""
    return f".tmp-{os.getpid()}-{model_id}"


def sweep_model_folders(root: Path, now: float | None = None) -> int:
    """Remove the half-written model folders under a shop's models folder whose owner is gone
    (or that are over a day old, such as those of older versions, not named by pid)."""
    now = time.time() if now is None else now
    removed = 0
    for path in root.glob(".tmp-*"):
        owner = _OWNED_MODEL.match(path.name)
        if path.is_dir() and _orphan(path, int(owner.group(1)) if owner else None, now):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d half-written model folder(s) under %s", removed, root)
    return removed


def sweep(now: float | None = None) -> int:
    """Remove scratch files and half-written model folders whose owner is gone (or that are
    over a day old); return how many."""
    now = time.time() if now is None else now
    removed = sum(sweep_model_folders(shop, now) for shop in (config.home() / "models").glob("*")
                  if shop.is_dir())
    root = config.home() / "tmp"
    if not root.is_dir():
        return removed
    for path in root.iterdir():
        if path.is_file() and path.name.startswith("tmp"):
            owner = _OWNED.match(path.name)
            if _orphan(path, int(owner.group(1)) if owner else None, now):
                path.unlink(missing_ok=True)
                removed += 1
    for shop in (root / "uploads").glob("*"):
        for entry in shop.iterdir() if shop.is_dir() else []:
            pid = int(entry.name) if entry.is_dir() and entry.name.isdigit() else None
            if entry.is_dir() and _orphan(entry, pid, now):
                removed += sum(1 for p in entry.rglob("*") if p.is_file())
                shutil.rmtree(entry, ignore_errors=True)
            elif entry.is_file() and _orphan(entry, None, now):
                entry.unlink(missing_ok=True)  # an older layout's upload
                removed += 1
    if removed:
        log.info("removed %d scratch file(s) left by stopped processes", removed)
    return removed


def sweep_once() -> None:
    """Sweep the current home the first time this process touches it."""
    home = config.home()
    with _lock:
        if home in _swept:
            return
        _swept.add(home)
    try:
        sweep()
    except OSError as err:  # a file held or removed by another process: next start retries
        log.debug("scratch sweep incomplete: %s", err)


def remove_all(shop: str) -> int:
    """Remove every converted copy and the shop's uploads, whoever made them: after an erasure
    no customer may stay in a copy."""
    root = config.home() / "tmp"
    removed = 0
    for path in root.glob("*"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    uploads = root / "uploads" / config.check_shop_name(shop)
    if uploads.is_dir():
        removed += sum(1 for p in uploads.rglob("*") if p.is_file())
        shutil.rmtree(uploads, ignore_errors=True)
    return removed
