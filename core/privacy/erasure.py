"""Erasure (GDPR Art. 17), consent changes and retention: personal data removed everywhere.

``erase(store, keys)`` removes every row of the customers from every table (customers,
events, reviews, and rejected import lines that carried their id) in one transaction, and in
the same transaction adds a suppression token per customer - a keyed hash *of* their key under
a separate purpose, never the key itself - so a later re-import of the original file does not
bring them back (``core.land`` drops suppressed customers). Then, at once:

- their rows are cut out of every cached segment run (the map, the clusters, the vectors);
- the shop's models, trained on data that held them, are marked for retraining (the Model and
  Privacy pages say so; the models themselves hold product vectors, no customer keys);
- the database file is rewritten (``Store.compact``), so the deleted rows cannot be read back
  from its free blocks; the app's caches follow ``Store.data_version``, which changes;
- the audit log records what was done and when: counts only, no key, no id.

``set_consent`` records an objection to profiling (or its withdrawal) and, for an objection,
cuts the customer out of cached segments at once. ``purge_older_than`` deletes events older
than the retention period.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from core.segments import segments
from core.store import artifacts, pseudonym
from core.store.store import Store, quote_ident

log = logging.getLogger(__name__)
RETRAIN = "RETRAIN.json"  # in the shop's models folder: why its models need retraining


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


def audit(store: Store, action: str, customers: int, rows: int, details: dict | None = None) -> None:
    """One line in the audit log: what and when, never who."""
    store.execute("INSERT INTO audit_log VALUES (now()::TIMESTAMP, ?, ?, ?, ?)",
                  [action, customers, rows, json.dumps(details or {})])


def audit_log(store: Store) -> pd.DataFrame:
    return store.df("SELECT ts, action, customers, rows, details FROM audit_log ORDER BY ts DESC")


def erase(store: Store, keys: list[str], compact: bool = True) -> Erasure:
    """Erase customers (their keys, ``c_...``) from the shop and everything derived from it."""
    started = datetime.now(UTC)
    keys = sorted({str(k) for k in keys})
    if not keys:
        raise ValueError("No customer to erase.")
    frame = pd.DataFrame({"k": keys, "token": pseudonym.suppression_tokens(store.shop, keys)})
    rows: dict[str, int] = {}
    with store.transaction() as tx:
        tx.register("erase_keys", frame)
        for table in ("events", "reviews", "customers"):
            where = f"FROM {quote_ident(table)} WHERE customer_key IN (SELECT k FROM erase_keys)"
            rows[table] = int(tx.scalar(f"SELECT count(*) {where}") or 0)
            tx.execute(f"DELETE {where}")
        rows["rejected import lines"] = _erase_rejections(tx, store.shop, set(keys))
        tx.execute("INSERT OR IGNORE INTO suppressed SELECT token, now()::TIMESTAMP FROM erase_keys")
        # owed until the file is rewritten; a failed or skipped rewrite is retried at the next open
        tx.execute("INSERT OR REPLACE INTO settings VALUES ('compact_pending', '1')")
        tx.unregister("erase_keys")
    files = drop_from_segments(store.shop, set(keys))
    marked = mark_for_retraining(store.shop, f"{len(keys)} customer(s) erased") if rows["events"] else []
    result = Erasure(len(keys), rows, files, marked)
    audit(store, "erase", len(keys), result.total_rows,
          {"rows": rows, "segment_files": files, "models_marked": len(marked)})
    if compact:
        store.compact()
    _sweep_copies(store.shop)
    result.seconds = (datetime.now(UTC) - started).total_seconds()
    log.info("erased %d customer(s) from %s: %s", len(keys), store.shop, rows)
    return result


def _sweep_copies(shop: str) -> None:
    """Remove uploaded and converted copies of import files (they hold whole exports, raw ids
    included): an erasure must not leave the customer in a temporary file."""
    from core.store import config
    root = config.home() / "tmp"
    for path in [*root.glob("*"), *(root / "uploads" / shop).glob("*")]:
        if path.is_file():
            path.unlink(missing_ok=True)


def _erase_rejections(tx: object, shop: str, keys: set[str]) -> int:
    """Rejected import lines whose value is one of the customers' own ids (they hold it in clear)."""
    values = [r[0] for r in tx.rows("SELECT DISTINCT value FROM rejections WHERE value IS NOT NULL")]
    if not values:
        return 0
    from core.ingest.checks import normalize_customer_id

    pseudo = pseudonym.pseudonymize(shop, [normalize_customer_id(v) for v in values])
    theirs = [v for v, p in zip(values, pseudo, strict=True) if p in keys]
    if not theirs:
        return 0
    tx.register("erase_values", pd.DataFrame({"v": theirs}))
    n = int(tx.scalar("SELECT count(*) FROM rejections WHERE value IN (SELECT v FROM erase_values)") or 0)
    tx.execute("DELETE FROM rejections WHERE value IN (SELECT v FROM erase_values)")
    tx.unregister("erase_values")
    return n


def drop_from_segments(shop: str, keys: set[str]) -> int:
    """Cut the customers out of every cached segment run (rewritten atomically); files changed."""
    changed = 0
    for path in sorted(segments.cache_dir(shop).glob("*.npz")):
        run = segments._load(path)
        if run is None:
            continue
        gone = np.isin(run.keys.astype(str), list(keys))
        if not gone.any():
            continue
        segments._save(without_points(run, gone), path)
        changed += 1
    return changed


def without_points(run: segments.SegmentRun, gone: np.ndarray) -> segments.SegmentRun:
    """The run without the points in ``gone``; the cluster tree loses their leaves (cluster ids,
    which follow the points' ids, shift down)."""
    n, keep = len(gone), ~gone
    new_id = np.cumsum(keep) - 1  # old point index -> new one
    m = int(gone.sum())
    tree = run.tree.copy()
    child = tree["child"].to_numpy(np.int64)
    parent = tree["parent"].to_numpy(np.int64)
    is_point = child < n
    drop = is_point & gone[np.where(is_point, child, 0)]
    child = np.where(is_point, new_id[np.where(is_point, child, 0)], child - m)
    tree["child"], tree["parent"] = child, parent - m
    tree = tree[~drop].reset_index(drop=True)
    meta = {**run.meta, "erased_since_built": int(run.meta.get("erased_since_built", 0)) + m}
    if "leaf_nodes" in meta:  # segment -> its node in the tree: node ids follow the points' ids
        meta["leaf_nodes"] = {s: int(v) - m for s, v in meta["leaf_nodes"].items()}
    return segments.SegmentRun(run.keys[keep], run.map[keep], run.space[keep], run.labels[keep],
                               run.probabilities[keep], run.nearest[keep] if len(run.nearest) == n
                               else run.nearest, tree, meta)


def mark_for_retraining(shop: str, reason: str) -> list[str]:
    """Record that the shop's current models were trained on data that is gone."""
    models = [m["model_id"] for m in artifacts.list_models(shop) if "damaged" not in m]
    if not models:
        return []
    path = artifacts.models_dir(shop) / RETRAIN
    notice = retrain_notice(shop) or {"models": [], "reasons": []}
    notice["models"] = sorted(set(notice["models"]) | set(models))
    notice["reasons"] = [*notice["reasons"], {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                                              "why": reason}][-20:]
    tmp = path.with_name(f".{RETRAIN}.tmp")
    tmp.write_text(json.dumps(notice, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return models


def retrain_notice(shop: str, fingerprint: str | None = None) -> dict | None:
    """Models that need retraining and why, or None. A model trained since clears it - one that
    read the data as it is now (``fingerprint``, ``core.sequences.fingerprint``) when given."""
    path: Path = artifacts.models_dir(shop) / RETRAIN
    if not path.exists():
        return None
    notice = json.loads(path.read_text(encoding="utf-8"))
    current = {m["model_id"] for m in artifacts.list_models(shop)}
    notice["models"] = [m for m in notice["models"] if m in current]
    latest = artifacts.latest_id(shop)
    if latest and latest not in notice["models"]:
        manifest = next((m for m in artifacts.list_models(shop) if m.get("model_id") == latest), {})
        if fingerprint is None or manifest.get("data_fingerprint") == fingerprint:
            return None  # the model in use was trained since, on today's data: the notice is done
        notice["models"] = [*notice["models"], latest]
    return notice if notice["models"] else None


def set_consent(store: Store, keys: list[str], consent: bool) -> int:
    """Record an objection to profiling (consent=False) or its withdrawal; returns customers changed."""
    keys = sorted({str(k) for k in keys})
    tokens = pseudonym.objection_tokens(store.shop, keys)
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
        drop_from_segments(store.shop, set(keys))
    audit(store, "consent", n, n, {"consent_profiling": consent})
    return n


def retention_days(store: Store) -> int | None:
    value = store.scalar("SELECT value FROM settings WHERE name = 'retention_days'")
    return int(value) if value else None


def set_retention_days(store: Store, days: int | None) -> None:
    if days is not None and not 30 <= days <= 36_500:
        raise ValueError("The retention period must be between 30 days and 100 years.")
    with store.transaction() as tx:
        tx.execute("DELETE FROM settings WHERE name = 'retention_days'")
        if days is not None:
            tx.execute("INSERT INTO settings VALUES ('retention_days', ?)", [str(days)])
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
        drop_from_segments(store.shop, set(gone))
    if n:
        mark_for_retraining(store.shop, f"events before {cutoff:%Y-%m-%d} purged (retention {days} days)")
    audit(store, "purge", len(gone), n + reviews + len(gone),
          {"days": days, "cutoff": f"{cutoff:%Y-%m-%d}", "events": n, "reviews": reviews,
           "customers": len(gone)})
    if compact and (n or reviews):
        store.compact()
    return n


__all__ = ["Erasure", "audit", "audit_log", "erase", "mark_for_retraining", "purge_older_than",
           "purge_preview", "retention_days", "retrain_notice", "set_consent", "set_retention_days"]
