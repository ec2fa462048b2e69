"""Helpers shared by the ingest tests: a small order file, line by line, and table counts."""

from __future__ import annotations

from pathlib import Path

from core.ingest import ingest
from core.ingest.plan import TableReport
from core.store.store import Store

HEADER = "invoice,order_date,sku,product,qty,price,customer\n"


def line(i: int, ts: str = "2024-01-15 10:00", qty: str = "1", price: str = "9.99",
          sku: str | None = None, customer: str = "c1") -> str:
    return f"o{i},{ts},{sku or f'S{i}'},Thing {i},{qty},{price},{customer}\n"


def counts(store: Store) -> dict[str, int]:
    counts = store.table_counts()
    for table in ("imports", "rejections"):
        counts[table] = int(store.scalar("SELECT count(*) FROM " + table))
    return counts


def import_one(store: Store, path: Path) -> TableReport:
    report = ingest.import_paths(store, [path])
    assert report.committed
    table = report.tables[0]
    assert table.reconciles(), table
    return table


def rejections(table: TableReport) -> list[tuple]:
    return [(r.file, r.row, r.column, r.value, r.rule) for r in table.rejections]
