"""The privacy audit log: what was done and when, in counts - never who."""

from __future__ import annotations

import json

import pandas as pd

from core.store.store import Store


def audit(store: Store, action: str, customers: int, rows: int, details: dict | None = None) -> None:
    """One line in the audit log: what and when, never who."""
    store.execute("INSERT INTO audit_log VALUES (now()::TIMESTAMP, ?, ?, ?, ?)",
                  [action, customers, rows, json.dumps(details or {})])


def audit_log(store: Store) -> pd.DataFrame:
    """The log, newest first."""
    return store.df("SELECT ts, action, customers, rows, details FROM audit_log ORDER BY ts DESC")
