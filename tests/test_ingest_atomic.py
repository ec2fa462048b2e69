"""An import lands whole or not at all, importing again adds nothing, and a file larger than
the memory limit still imports."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from ingest_support import HEADER, counts, import_one, line

from core.ingest import ingest, land
from core.ingest.plan import IngestError
from core.store import config
from core.store.schema import DATA_TABLES
from core.store.store import Store

# -- importing again ---------------------------------------------------------------------------

def test_reimporting_the_same_file_adds_nothing(store: Store, write_file) -> None:
    text = (HEADER + "".join(line(i, customer=f"c{i % 3}") for i in range(20))
            + line(90, qty="-1") + line(91, qty="x"))
    path = write_file("orders.csv", text)
    first = import_one(store, path)
    assert (first.accepted, first.returns, first.rejected, first.inserted) == (20, 1, 1, 21)
    before = store.table_counts()
    rejected = store.scalar("SELECT count(*) FROM rejections")
    second = import_one(store, path)
    assert store.scalar("SELECT count(*) FROM rejections") == rejected  # not recorded twice
    assert (second.accepted, second.returns, second.rejected) == (20, 1, 1)
    assert second.inserted == 0
    assert second.already_present == 21
    assert store.table_counts() == before
    # the same lines in a renamed, re-ordered file are recognised too
    lines = text.splitlines(keepends=True)
    renamed = write_file("orders-copy.csv", lines[0] + "".join(reversed(lines[1:])))
    assert import_one(store, renamed).inserted == 0
    assert store.table_counts() == before
    assert store.scalar("SELECT count(*) FROM imports") == 3
    # a file that extends the first adds only its new lines
    more = write_file("more.csv", text + line(100) + line(101))
    assert import_one(store, more).inserted == 2
    assert store.table_counts()["events"] == before["events"] + 2


def test_same_line_in_two_imports_of_other_formats_is_not_doubled(store: Store, write_file,
                                                                 tmp_path: Path) -> None:
    text = HEADER + line(1) + line(2)
    import_one(store, write_file("a.csv", text))
    path = tmp_path / "a.parquet"
    pq.write_table(pa_csv.read_csv(io.BytesIO(text.encode()),
                                   convert_options=pa_csv.ConvertOptions(
                                       column_types={"qty": pa.string(), "price": pa.string()})),
                   path)
    assert import_one(store, path).inserted == 0
    assert store.table_counts()["events"] == 2


# -- all or nothing ----------------------------------------------------------------------------

_KILL_MID_IMPORT = """
import os, sys
from core.ingest import ingest
from core.ingest import land
from core.store.store import Store

original = land._events

def events_then_die(tx, plan, report, import_id):
    original(tx, plan, report, import_id)
    inside = tx.scalar("SELECT count(*) FROM events")
    print("INSERTED", report.inserted, "VISIBLE", inside, flush=True)
    os._exit(9)

land._events = events_then_die
store = Store.open("test")
ingest.import_paths(store, [sys.argv[1]])
print("NOT KILLED", flush=True)
"""


def test_import_killed_halfway_leaves_the_store_as_before(shoplens_home: Path, write_file,
                                                          run_python) -> None:
    with Store.open("test") as st:
        import_one(st, write_file("first.csv", HEADER + "".join(line(i) for i in range(10))))
        before = counts(st)
    second = write_file("second.csv", HEADER + "".join(line(i) for i in range(100, 400)))
    done = run_python("-c", _KILL_MID_IMPORT, str(second))
    assert done.returncode == 9, done.stdout + done.stderr
    assert "INSERTED 300 VISIBLE 310" in done.stdout  # the kill came after the events INSERT
    assert "NOT KILLED" not in done.stdout
    with Store.open("test") as st:
        assert counts(st) == before
        assert st.schema_version() > 0
        # and the shop still works: the same import now lands whole
        table = import_one(st, second)
        assert table.inserted == 300
        assert st.table_counts()["events"] == before["events"] + 300


def test_exception_mid_import_rolls_back(store: Store, write_file,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import_one(store, write_file("first.csv", HEADER + line(1)))
    before = counts(store)

    def fail(*_args) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(land, "_customers_seen", fail)  # runs after the events INSERT
    path = write_file("second.csv", HEADER + "".join(line(i, customer=f"n{i}")
                                                     for i in range(2, 50)))
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest.import_paths(store, [path])
    assert counts(store) == before
    monkeypatch.undo()
    assert import_one(store, path).inserted == 48  # the connection is clean afterwards


def test_database_error_mid_import_is_explained_and_rolled_back(
        store: Store, write_file, monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(store)
    original = land._events

    def broken(tx, plan, report, import_id) -> None:
        original(tx, plan, report, import_id)
        tx.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(land, "_events", broken)
    with pytest.raises(IngestError, match="broken.csv failed and nothing was written"):
        ingest.import_paths(store, [write_file("broken.csv", HEADER + line(1))])
    assert counts(store) == before


def test_temporary_files_are_removed_after_a_failed_import(
        store: Store, write_file, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(land, "_customers_seen", lambda *_a: 1 / 0)
    path = write_file("latin.csv", (HEADER + line(1)).replace("Thing", "Crème"), encoding="cp1252")
    with pytest.raises(ZeroDivisionError):
        ingest.import_paths(store, [path])
    assert list((config.home() / "tmp").glob("*")) == []
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)


def test_two_files_land_together_or_not_at_all(store: Store, write_file) -> None:
    good = write_file("good.csv", HEADER + line(1))
    bad = write_file("bad.csv", "%PDF-1.4 pretending")
    with pytest.raises(IngestError, match="bad.csv"):
        ingest.import_paths(store, [good, bad])
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)


# -- bigger than memory ------------------------------------------------------------------------

def _big_csv(path: Path, n: int) -> None:
    """``n`` distinct order lines, written by Arrow in well under a few seconds."""
    rng = np.random.default_rng(7)
    i = np.arange(n)
    ts = pa.array(np.datetime64("2023-01-01T00:00:00") + (i * 29).astype("timedelta64[s]"))
    item = pc.cast(pa.array(rng.integers(0, 5000, n)), pa.string())
    table = pa.table({
        "invoice": pc.cast(pa.array(100_000 + i // 3), pa.string()),
        "order_date": pc.strftime(ts, "%Y-%m-%d %H:%M:%S"),
        "sku": pc.binary_join_element_wise("SKU-", item, ""),
        "product": pc.binary_join_element_wise("Gift item no. ", item, ""),
        "qty": pa.array(rng.integers(1, 5, n)),
        "price": pa.array(np.round(rng.uniform(1, 100, n), 2)),
        "customer": pc.binary_join_element_wise("cust-", pc.cast(
            pa.array(rng.integers(0, 50_000, n)), pa.string()), ""),
    })
    pa_csv.write_csv(table, path)


def test_file_larger_than_the_memory_limit(shoplens_home: Path, tmp_path: Path) -> None:
    n = 1_000_000
    path = tmp_path / "big.csv"
    _big_csv(path, n)
    assert path.stat().st_size > 64 * 2**20  # the file alone is larger than the memory limit
    with Store.open("big", memory_limit="64MB") as st:
        assert st.scalar("SELECT current_setting('memory_limit')") == "61.0 MiB"
        report = ingest.import_paths(st, [path])
        table = report.tables[0]
        assert (table.lines_read, table.accepted, table.rejected) == (n, n, 0)
        assert st.table_counts()["events"] == n
        assert st.scalar("SELECT count(DISTINCT product_id) FROM products") == 5000


def test_invalid_utf8_beyond_the_sample_is_reported_as_encoding(store: Store, write_file) -> None:
    # The first MiB is valid UTF-8 (so the file is read as UTF-8); a later line is not.
    head = "order_id,timestamp,sku,qty,price\n" + "".join(
        f"o{i},2024-01-01 10:00,S{i % 50},1,2.5\n" for i in range(40_000))
    path = write_file("late.csv", head.encode() + b"ox,2024-01-02 10:00,S\xff\xfe,1,2.5\n")
    table = import_one(store, path)
    assert table.rejected_by_rule == {"bad_encoding": 1}
    bad = table.rejections[0]
    assert bad.row == 40_002 and "UTF-8" in bad.suggestion
