"""Erasure (GDPR Art. 17): a customer's personal data removed everywhere.

``erase(store, keys)`` removes every row of the customers from every table (customers,
events, reviews, and rejected import lines that carried their id) in one transaction, and in
the same transaction adds a suppression token per customer - a keyed hash *of* their key under
a separate purpose, never the key itself - so a later re-import of the original file does not
bring them back (``core.ingest.land`` drops suppressed customers). Then, at once:

- their rows are cut out of every cached segment run (``core.segments.cache.drop_customers``);
- the shop's models, trained on data that held them, are marked for retraining
  (``core.privacy.retraining``; the models themselves hold product vectors, no customer keys);
- the database file is rewritten (``Store.compact``), so the deleted rows cannot be read back
  from its free blocks; the app's caches follow ``Store.data_version``, which changes;
- the audit log records what was done and when: counts only, no key, no id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from core.privacy import audit, retraining
from core.segments import cache
from core.store import pseudonym
from core.store.store import Store, Transaction, quote_ident

log = logging.getLogger(__name__)


@dataclass
class Erasure:
    """What an erasure did (counts only)."""

    customers: int
    rows: dict[str, int] = field(default_factory=dict)
    segment_files: int = 0
    models_marked: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return int(sum(self.rows.values()))


def erase(store: Store, keys: list[str], compact: bool = True) -> Erasure:
    """Erase customers (their keys, ``c_...``) from the shop and everything derived from it."""
    started = datetime.now(UTC)
    keys = sorted({str(k) for k in keys})
    if not keys:
        raise ValueError("No customer to erase.")
    frame = pd.DataFrame({"k": keys, "token": pseudonym.suppression_tokens(store, keys)})
    rows: dict[str, int] = {}
    with store.transaction() as tx:
        tx.register("erase_keys", frame)
        for table in ("events", "reviews", "customers"):
            where = f"FROM {quote_ident(table)} WHERE customer_key IN (SELECT k FROM erase_keys)"
            rows[table] = int(tx.scalar(f"SELECT count(*) {where}") or 0)
            tx.execute(f"DELETE {where}")
        rows["rejected import lines"] = _erase_rejections(tx, store, set(keys))
        tx.execute("INSERT OR IGNORE INTO suppressed SELECT token, now()::TIMESTAMP FROM erase_keys")
        # owed until the file is rewritten; a failed or skipped rewrite is retried at the next open
        tx.execute("INSERT OR REPLACE INTO settings VALUES ('compact_pending', '1')")
        tx.unregister("erase_keys")
    files = cache.drop_customers(store, set(keys))
    marked = (retraining.mark_for_retraining(store, f"{len(keys)} customer(s) erased")
              if rows["events"] else [])
    result = Erasure(len(keys), rows, files, marked)
    audit.audit(store, "erase", len(keys), result.total_rows,
          {"rows": rows, "segment_files": files, "models_marked": len(marked)})
    if compact:
        store.compact()
    _sweep_copies(store)
    result.seconds = (datetime.now(UTC) - started).total_seconds()
    log.info("erased %d customer(s) from %s: %s", len(keys), store.shop, rows)
    return result


def _sweep_copies(store: Store) -> None:
    """Remove uploaded and converted copies of import files (they hold whole exports, raw ids
    included): an erasure must not leave the customer in a temporary file."""
    from core.store import scratch
    scratch.remove_all(store.shop)


def _erase_rejections(tx: Transaction, store: Store, keys: set[str]) -> int:
    """Rejected import lines whose value is one of the customers' own ids (they hold it in clear)."""
    values = [r[0] for r in tx.rows("SELECT DISTINCT value FROM rejections WHERE value IS NOT NULL")]
    if not values:
        return 0
    from core.ingest.checks import normalize_customer_id

    pseudo = pseudonym.pseudonymize(store, [normalize_customer_id(v) for v in values])
    theirs = [v for v, p in zip(values, pseudo, strict=True) if p in keys]
    if not theirs:
        return 0
    tx.register("erase_values", pd.DataFrame({"v": theirs}))
    n = int(tx.scalar("SELECT count(*) FROM rejections WHERE value IN (SELECT v FROM erase_values)") or 0)
    tx.execute("DELETE FROM rejections WHERE value IN (SELECT v FROM erase_values)")
    tx.unregister("erase_values")
    return n


__all__ = ["Erasure", "erase"]
