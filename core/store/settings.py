"""The shop's own settings: named text values in its ``settings`` table (schema migration 3).

Used for what a shop remembers about itself: its currency (``core.store.currency``), its retention
period, the column mappings of export layouts it imported before. ``handle`` is a ``Store`` (each
call its own transaction) or an open ``Transaction`` (the change commits or rolls back with it).
"""

from __future__ import annotations

from typing import Any, Protocol

RETENTION_DAYS = "retention_days"  # core.privacy.retention; the importer honours it too


class Handle(Protocol):
    """What both ``Store`` and ``Transaction`` offer."""

    def scalar(self, sql: str, params: Any = None) -> Any: ...

    def execute(self, sql: str, params: Any = None) -> None: ...


def get(handle: Handle, name: str) -> str | None:
    """The setting's value, or None when the shop has none."""
    value = handle.scalar("SELECT value FROM settings WHERE name = ?", [name])
    return None if value is None else str(value)


def put(handle: Handle, name: str, value: str | None) -> None:
    """Set the setting (``None`` removes it)."""
    if value is None:
        handle.execute("DELETE FROM settings WHERE name = ?", [name])
    else:
        handle.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", [name, str(value)])
