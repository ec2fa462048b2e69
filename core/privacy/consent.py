"""Objections to profiling and their withdrawal, for customers the shop holds and for those it
does not hold yet (a keyed token waits for their first import, ``core.ingest.land``). An
objection cuts the customer out of cached segments at once."""

from __future__ import annotations

import pandas as pd

from core.privacy.audit import audit
from core.segments import cache
from core.store import pseudonym
from core.store.store import Store


def set_consent(store: Store, keys: list[str], consent: bool) -> int:
    """Record an objection to profiling (consent=False) or its withdrawal; returns customers changed."""
    keys = sorted({str(k) for k in keys})
    tokens = pseudonym.objection_tokens(store, keys)
    with store.transaction() as tx:
        tx.register("consent_keys", pd.DataFrame({"k": keys, "token": tokens}))
        where = "customer_key IN (SELECT k FROM consent_keys) AND consent_profiling <> ?"
        n = int(tx.scalar(f"SELECT count(*) FROM customers WHERE {where}", [consent]) or 0)
        tx.execute(f"UPDATE customers SET consent_profiling = ? WHERE {where}", [consent, consent])
        # customers the shop does not hold yet: their objection waits for their first import
        if consent:
            tx.execute("DELETE FROM objections WHERE token IN (SELECT token FROM consent_keys)")
        else:
            tx.execute("INSERT OR IGNORE INTO objections SELECT token, now()::TIMESTAMP FROM consent_keys "
                       "WHERE k NOT IN (SELECT customer_key FROM customers)")
        tx.unregister("consent_keys")
    if n and not consent:
        cache.drop_customers(store, set(keys))
    audit(store, "consent", n, n, {"consent_profiling": consent})
    return n
