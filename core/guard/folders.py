"""The folders the Data page may read a server path from.

A path typed on the Data page is read by the app process, on the computer that runs it: any
browser reaching the dashboard could otherwise read any file the owner can. So the page reads a
path only inside a folder the owner allowed at their own terminal (``shoplens folders allow``),
compared after resolving symlinks and ``..`` - a link inside an allowed folder that points out of
it is refused. The list lives in the data folder's ``allowed_folders.json`` (resolved absolute
paths, written atomically). Uploads through the browser and ``shoplens import PATH`` (the owner
at their terminal) are not limited.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from core.store import config

FILE_NAME = "allowed_folders.json"


class FolderNotAllowed(ValueError):
    """A server path outside every allowed folder."""


def _file() -> Path:
    return config.home() / FILE_NAME


def allowed() -> list[Path]:
    """The allowed folders, as stored (resolved, absolute), in the order they were allowed."""
    target = _file()
    if not target.exists():
        return []
    try:
        names = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FolderNotAllowed(
            f"The list of allowed folders {target} cannot be read ({err}): remove it and allow the "
            "folders again with `shoplens folders allow PATH`.") from err
    return [Path(n) for n in names if isinstance(n, str)]


def _write(folders: list[Path]) -> None:
    target = _file()
    tmp = target.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump([str(f) for f in folders], fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _resolve(path: str | Path) -> Path:
    return Path(path).expanduser().resolve(strict=False)


def allow(folder: str | Path) -> Path:
    """Allow an existing folder (resolved); return it as stored."""
    resolved = _resolve(folder)
    if not resolved.is_dir():
        raise FolderNotAllowed(f"{folder} is not a folder on this computer: give an existing folder.")
    current = allowed()
    if resolved not in current:
        _write([*current, resolved])
    return resolved


def remove(folder: str | Path) -> bool:
    """Stop allowing a folder (given as allowed, or any path resolving to it); True if it was."""
    current = allowed()
    resolved = _resolve(folder)
    kept = [f for f in current if f != resolved and str(f) != str(folder)]
    if len(kept) == len(current):
        return False
    _write(kept)
    return True


def check(path: str | Path) -> Path:
    """The resolved path when it lies inside an allowed folder; else ``FolderNotAllowed``, naming
    the path and the command that allows its folder."""
    resolved = _resolve(path)
    for folder in allowed():
        root = _resolve(folder)  # the allowed folder itself may have become a link
        if resolved == root or root in resolved.parents:
            return resolved
    parent = resolved if resolved.is_dir() else resolved.parent
    raise FolderNotAllowed(
        f"{path} is outside the folders this dashboard may read"
        + (f" (it leads to {resolved})" if str(resolved) != str(Path(path).expanduser()) else "")
        + f". To allow it, run `shoplens folders allow {parent}` at this computer's terminal, "
        "or upload the file instead.")
