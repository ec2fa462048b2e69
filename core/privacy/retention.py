"""A retention period for events and reviews, and the purge of what is older: customers with
nothing left are removed, models marked for retraining, the file rewritten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from core.privacy.audit import audit
from core.privacy.retraining import mark_for_retraining
from core.segments import cache
from core.store import settings
from core.store.store import Store


def retention_days(store: Store) -> int | None:
    """The shop's retention period in days, or None (keep everything)."""
    value = settings.get(store, settings.RETENTION_DAYS)
    return int(value) if value else None


def set_retention_days(store: Store, days: int | None) -> None:
    """Set (or clear, with None) the retention period: 30 days to 100 years."""
    if days is not None and not 30 <= days <= 36_500:
        raise ValueError("The retention period must be between 30 days and 100 years.")
    with store.transaction() as tx:
        settings.put(tx, settings.RETENTION_DAYS, None if days is None else str(days))
    audit(store, "retention", 0, 0, {"days": days})


def purge_preview(store: Store, days: int, now: datetime | None = None) -> tuple[int, datetime]:
    """Events a purge would delete, and the cut-off."""
    cutoff = (now or datetime.now(UTC)).replace(tzinfo=None) - timedelta(days=days)
    return int(store.scalar("SELECT count(*) FROM events WHERE ts < ?", [cutoff]) or 0), cutoff


def purge_older_than(store: Store, days: int, now: datetime | None = None, compact: bool = True) -> int:
    """Delete events older than ``days`` (and reviews), mark models, compact; returns events deleted."""
    n, cutoff = purge_preview(store, days, now)
    # customers whose every event and review is older: nothing of theirs is kept after the purge
    gone_sql = """SELECT customer_key FROM (
            SELECT customer_key, ts FROM events UNION ALL SELECT customer_key, ts FROM reviews)
        WHERE customer_key IS NOT NULL GROUP BY customer_key HAVING max(ts) < ?"""
    with store.transaction() as tx:
        gone = [r[0] for r in tx.rows(gone_sql, [cutoff])]
        tx.execute("DELETE FROM events WHERE ts < ?", [cutoff])
        reviews = int(tx.scalar("SELECT count(*) FROM reviews WHERE ts < ?", [cutoff]) or 0)
        tx.execute("DELETE FROM reviews WHERE ts < ?", [cutoff])
        if gone:
            tx.register("gone_keys", pd.DataFrame({"k": gone}))
            tx.execute("DELETE FROM customers WHERE customer_key IN (SELECT k FROM gone_keys)")
            tx.unregister("gone_keys")
    if gone:
        cache.drop_customers(store, set(gone))
    if n:
        mark_for_retraining(store, f"events before {cutoff:%Y-%m-%d} purged (retention {days} days)")
    audit(store, "purge", len(gone), n + reviews + len(gone),
          {"days": days, "cutoff": f"{cutoff:%Y-%m-%d}", "events": n, "reviews": reviews,
           "customers": len(gone)})
    if compact and (n or reviews):
        store.compact()
    return n
