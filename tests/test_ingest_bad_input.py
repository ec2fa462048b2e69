"""Bad input: each class gets a clear error, or per-row rejections naming file, row, column,
value and rule; an import lands whole or not at all, and importing again adds nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from core.ingest import ingest, land
from core.ingest.plan import IngestError, TableReport
from core.store import config
from core.store.schema import DATA_TABLES
from core.store.store import Store

HEADER = "invoice,order_date,sku,product,qty,price,customer\n"


def _line(i: int, ts: str = "2024-01-15 10:00", qty: str = "1", price: str = "9.99",
          sku: str | None = None, customer: str = "c1") -> str:
    return f"o{i},{ts},{sku or f'S{i}'},Thing {i},{qty},{price},{customer}\n"


def _counts(store: Store) -> dict[str, int]:
    counts = store.table_counts()
    for table in ("imports", "rejections"):
        counts[table] = int(store.scalar("SELECT count(*) FROM " + table))
    return counts


def _one(store: Store, path: Path) -> TableReport:
    report = ingest.import_paths(store, [path])
    assert report.committed
    table = report.tables[0]
    assert table.reconciles(), table
    return table


def _rejections(table: TableReport) -> list[tuple]:
    return [(r.file, r.row, r.column, r.value, r.rule) for r in table.rejections]


# -- files that are not tables ---------------------------------------------------------------

def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("orders.csv", HEADER + _line(1))
    return buf.getvalue()


@pytest.mark.parametrize("name, data, words", [
    ("orders.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "PNG image"),
    ("orders.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8, "PDF document"),
    ("photo.csv", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "JPEG image"),
    ("old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "old Excel .xls"),
    ("shop.csv", b"SQLite format 3\x00" + bytes(200), "SQLite database"),
    ("export.csv", _zip_bytes(), "zip archive"),
    ("blob.csv", bytes(range(256)) * 8, "binary file"),
    ("broken.xlsx", b"PK\x03\x04" + b"not really a workbook" * 10, "not a readable Excel"),
    ("broken.parquet", b"PAR1" + b"\x00garbage" * 50, "could not be read"),
])
def test_files_that_are_not_tables_are_refused(store: Store, write_file, name: str, data: bytes,
                                               words: str) -> None:
    path = write_file(name, data)
    with pytest.raises(IngestError) as info:
        ingest.import_paths(store, [path])
    message = str(info.value)
    assert name in message
    assert words in message
    assert _counts(store) == dict.fromkeys([*DATA_TABLES, "imports", "rejections"], 0)


@pytest.mark.parametrize("data, words", [
    (b"", "empty (0 bytes)"),
    (b"\r\n\n   \n", "is empty"),
    (b"\xef\xbb\xbf", "is empty"),
])
def test_empty_files(store: Store, write_file, data: bytes, words: str) -> None:
    with pytest.raises(IngestError, match=r"empty\.csv") as info:
        ingest.import_paths(store, [write_file("empty.csv", data)])
    assert words in str(info.value)


def test_single_column_text_is_not_a_table(store: Store, write_file) -> None:
    with pytest.raises(IngestError, match="notes.txt: no delimiter found"):
        ingest.import_paths(store, [write_file("notes.txt", "just some words\nmore words\n")])


def test_header_only_csv(store: Store, write_file) -> None:
    with pytest.raises(IngestError, match="header.csv has a header row but no data rows"):
        ingest.import_paths(store, [write_file("header.csv", HEADER + "\n\n")])


def test_header_only_excel(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "header.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER.strip().split(","))
    book.save(path)
    with pytest.raises(IngestError, match="header.xlsx: every sheet is empty"):
        ingest.import_paths(store, [path])


def test_header_only_parquet_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "none.parquet"
    pq.write_table(pa.table({c: pa.array([], pa.string()) for c in HEADER.strip().split(",")}),
                   path)
    with pytest.raises(IngestError, match="none.parquet has no rows"):
        ingest.import_paths(store, [path])
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)


def test_missing_path(store: Store, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        ingest.import_paths(store, [tmp_path / "nope.csv"])


def test_folder_without_tables(store: Store, tmp_path: Path) -> None:
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "empty_dir" / "readme.md").write_text("hello")
    with pytest.raises(IngestError, match="holds no CSV"):
        ingest.import_paths(store, [tmp_path / "empty_dir"])


# -- missing required columns ------------------------------------------------------------------

def test_missing_date_column_names_the_field_and_file(store: Store, write_file) -> None:
    # An orders file without a date column is still read as orders (it explains more columns
    # as events than as a catalog), so the error says which field is missing.
    path = write_file("moments.csv", "Moment,Item,Qty,Price\nnoon,A,1,2.5\nnight,B,2,3.0\n")
    plan = ingest.plan_paths(store, [path])[0]
    assert plan.kind == "events"
    with pytest.raises(IngestError) as info:
        ingest.run_import(store, [plan])
    message = str(info.value)
    assert "moments.csv" in message
    assert "'ts'" in message and "when it happened" in message
    assert "Moment, Item, Qty, Price" in message  # the columns it does have
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)


def test_missing_column_message_suggests_a_similar_column(store: Store, write_file) -> None:
    path = write_file("orders.csv", "Order Time,Item,Quantity\n2024-01-01 10:00,A,1\n")
    plan = ingest.remap(ingest.plan_paths(store, [path])[0], kind="events")
    with pytest.raises(IngestError, match="perhaps column 'Order Time'") as info:
        ingest.run_import(store, [plan])
    assert "orders.csv" in str(info.value) and "'ts'" in str(info.value)


def test_missing_rating_in_a_reviews_file(store: Store, write_file) -> None:
    path = write_file("reviews.csv", "asin,review text,stars given\nB1,nice,5\n")
    plan = ingest.remap(ingest.plan_paths(store, [path])[0], kind="reviews")
    with pytest.raises(IngestError, match=r"reviews.csv.*'rating'"):
        ingest.run_import(store, [plan])


def test_missing_column_of_a_forced_preset(store: Store, write_file) -> None:
    path = write_file("x.csv", "product_id,quantity\nA,1\n")
    with pytest.raises(IngestError, match=r"x.csv.*'ts'"):
        ingest.import_paths(store, [path], preset="shoplens_events")


# -- dates -------------------------------------------------------------------------------------

def test_unparseable_dates_are_rejected_with_row_numbers(store: Store, write_file) -> None:
    text = (HEADER + _line(1) + _line(2, ts="not a date") + _line(3)
            + _line(4, ts="2024-13-45 10:00") + _line(5, ts="") + _line(6))
    table = _one(store, write_file("dates.csv", text))
    assert (table.lines_read, table.accepted, table.rejected) == (6, 3, 3)
    assert table.date_format == "YYYY-MM-DD hh:mm"
    assert _rejections(table) == [
        ("dates.csv", 3, "order_date", "not a date", "bad_ts"),
        ("dates.csv", 5, "order_date", "2024-13-45 10:00", "bad_ts"),
        ("dates.csv", 6, "order_date", None, "missing_ts"),
    ]
    bad = table.rejections[0]
    assert "YYYY-MM-DD hh:mm" in bad.problem and "YYYY-MM-DD hh:mm" in bad.suggestion
    stored = store.rows("SELECT file, row_number, column_name, value, rule FROM rejections "
                        "ORDER BY row_number")
    assert stored == _rejections(table)


def test_implausible_dates_are_rejected(store: Store, write_file) -> None:
    future = (date.today() + timedelta(days=400)).isoformat() + " 10:00"
    text = HEADER + _line(1) + _line(2, ts="1970-01-01 00:00") + _line(3, ts=future)
    table = _one(store, write_file("far.csv", text))
    assert table.rejected_by_rule == {"implausible_ts": 2}
    assert [r.row for r in table.rejections] == [3, 4]


def test_a_column_without_dates_is_a_clear_error(store: Store, write_file) -> None:
    text = HEADER + "".join(_line(i, ts=f"soon {i}") for i in range(5))
    with pytest.raises(IngestError, match="column 'order_date'.*does not hold dates"):
        ingest.import_paths(store, [write_file("nodates.csv", text)])


def test_ambiguous_dates_warn_which_order_was_used(store: Store, write_file) -> None:
    text = HEADER + _line(1, ts="01/02/2024") + _line(2, ts="03/04/2024") + _line(3, ts="05/06/2024")
    table = _one(store, write_file("amb.csv", text))
    assert table.accepted == 3
    warning = " ".join(table.warnings)
    assert "order_date" in warning
    assert "both day/month and month/day" in warning
    assert "DD/MM/YYYY" in warning
    assert table.date_format == "DD/MM/YYYY"
    assert store.scalar("SELECT ts FROM events WHERE order_id = 'o1'") == datetime(2024, 2, 1)


@pytest.mark.parametrize("month_first", [True, False])
def test_day_month_order_is_decided_from_the_whole_column(store: Store, write_file,
                                                          month_first: bool) -> None:
    """The first 1,500 dates fit both orders; only later rows have a day above 12."""
    lines = [HEADER]
    for i in range(1500):
        lines.append(_line(i, ts=f"{i % 12 + 1:02d}/{i % 9 + 1:02d}/2023 10:{i % 60:02d}"))
    for i in range(1500, 1530):
        day = 13 + i % 15
        ts = f"03/{day}/2024 09:00" if month_first else f"{day}/03/2024 09:00"
        lines.append(_line(i, ts=ts))
    table = _one(store, write_file("long.csv", "".join(lines)))
    assert (table.lines_read, table.accepted, table.rejected) == (1530, 1530, 0)
    assert table.date_format == ("MM/DD/YYYY hh:mm" if month_first else "DD/MM/YYYY hh:mm")
    assert any("decided from the whole column" in w for w in table.warnings)
    # o1 was written '02/02/2023', o10 '11/02/2023': read in the chosen order
    o10 = store.scalar("SELECT ts FROM events WHERE order_id = 'o10'")
    assert o10 == (datetime(2023, 11, 2, 10, 10) if month_first else datetime(2023, 2, 11, 10, 10))
    assert store.scalar("SELECT max(ts) FROM events") == datetime(2024, 3, 27, 9)


# -- numbers, duplicates, malformed lines ------------------------------------------------------

def test_bad_numbers_are_rejected_with_column_and_value(store: Store, write_file) -> None:
    text = (HEADER + _line(1, qty="abc") + _line(2, qty="1.5") + _line(3, qty="0")
            + _line(4, price="-2.00") + _line(5, price="0") + _line(6, price="free")
            + _line(7, price='"€ 4,50"') + _line(8, qty=""))
    table = _one(store, write_file("numbers.csv", text))
    assert _rejections(table) == [
        ("numbers.csv", 2, "qty", "abc", "bad_quantity"),
        ("numbers.csv", 3, "qty", "1.5", "bad_quantity"),
        ("numbers.csv", 4, "qty", "0", "zero_quantity"),
        ("numbers.csv", 5, "price", "-2.00", "negative_unit_price"),
        ("numbers.csv", 6, "price", "0", "zero_unit_price"),
        ("numbers.csv", 7, "price", "free", "bad_unit_price"),
    ]
    assert (table.lines_read, table.accepted, table.rejected) == (8, 2, 6)
    assert table.fixes == {"unit_price_cleaned": 1, "quantity_defaulted_to_1": 1}
    assert dict(store.rows("SELECT order_id, unit_price FROM events")) == {"o7": 4.5, "o8": 9.99}
    neg = table.rejections[3]
    assert "negative price" in neg.problem and "returns" in neg.suggestion


def test_exact_duplicate_lines_are_rejected(store: Store, write_file) -> None:
    text = HEADER + _line(1) + _line(2) + _line(1) + _line(3) + _line(2) + _line(1)
    table = _one(store, write_file("dups.csv", text))
    assert (table.lines_read, table.accepted, table.rejected) == (6, 3, 3)
    assert _rejections(table) == [("dups.csv", 4, "*", None, "duplicate_row"),
                                  ("dups.csv", 6, "*", None, "duplicate_row"),
                                  ("dups.csv", 7, "*", None, "duplicate_row")]
    assert "appears earlier" in table.rejections[0].problem
    assert store.table_counts()["events"] == 3


def test_malformed_lines_keep_true_line_numbers(store: Store, write_file) -> None:
    text = (HEADER + _line(1)
            + "o2,2024-01-15 10:00,S2,Thing 2,1,9.99,c1,extra,more\n"  # line 3: too many columns
            + _line(3)
            + _line(4, qty="abc")                                        # line 5
            + "o5,2024-01-15 10:00,S5\n"                                 # line 6: too few columns
            + _line(6)
            + _line(7, price="-1"))                                      # line 8
    table = _one(store, write_file("mal.csv", text))
    assert table.lines_read == 7  # every data line of the file, each counted once
    assert (table.accepted, table.rejected) == (3, 4)
    assert table.rejected_by_rule == {"malformed_line": 2, "bad_quantity": 1,
                                      "negative_unit_price": 1}
    assert [(r.row, r.rule) for r in table.rejections] == [
        (3, "malformed_line"), (5, "bad_quantity"), (6, "malformed_line"),
        (8, "negative_unit_price")]
    first = table.rejections[0]
    # The raw line is not stored (it may hold personal data): what is wrong with it is.
    assert first.value == "Expected Number of Columns: 7 Found: 9"
    assert store.scalar("SELECT count(*) FROM rejections WHERE value LIKE '%Thing 2%'") == 0
    assert first.file == "mal.csv" and first.column == "*"
    assert "header's columns" in first.problem
    assert sorted(o for (o,) in store.rows("SELECT order_id FROM events")) == ["o1", "o3", "o6"]
    assert store.scalar("SELECT count(*) FROM rejections") == 4


def test_rejections_are_kept_in_the_store(store: Store, write_file) -> None:
    text = HEADER + _line(1) + _line(2, qty="abc") + _line(3, price="0")
    _one(store, write_file("r.csv", text))
    rows = store.rows("SELECT import_id, file, row_number, column_name, value, rule, suggestion "
                      "FROM rejections ORDER BY row_number")
    assert [r[:6] for r in rows] == [(1, "r.csv", 3, "qty", "abc", "bad_quantity"),
                                     (1, "r.csv", 4, "price", "0", "zero_unit_price")]
    assert all(r[6] for r in rows)


# -- importing again ---------------------------------------------------------------------------

def test_reimporting_the_same_file_adds_nothing(store: Store, write_file) -> None:
    text = (HEADER + "".join(_line(i, customer=f"c{i % 3}") for i in range(20))
            + _line(90, qty="-1") + _line(91, qty="x"))
    path = write_file("orders.csv", text)
    first = _one(store, path)
    assert (first.accepted, first.returns, first.rejected, first.inserted) == (20, 1, 1, 21)
    before = store.table_counts()
    second = _one(store, path)
    assert (second.accepted, second.returns, second.rejected) == (20, 1, 1)
    assert second.inserted == 0
    assert second.already_present == 21
    assert store.table_counts() == before
    # the same lines in a renamed, re-ordered file are recognised too
    lines = text.splitlines(keepends=True)
    renamed = write_file("orders-copy.csv", lines[0] + "".join(reversed(lines[1:])))
    assert _one(store, renamed).inserted == 0
    assert store.table_counts() == before
    assert store.scalar("SELECT count(*) FROM imports") == 3
    # a file that extends the first adds only its new lines
    more = write_file("more.csv", text + _line(100) + _line(101))
    assert _one(store, more).inserted == 2
    assert store.table_counts()["events"] == before["events"] + 2


def test_same_line_in_two_imports_of_other_formats_is_not_doubled(store: Store, write_file,
                                                                 tmp_path: Path) -> None:
    text = HEADER + _line(1) + _line(2)
    _one(store, write_file("a.csv", text))
    path = tmp_path / "a.parquet"
    pq.write_table(pa_csv.read_csv(io.BytesIO(text.encode()),
                                   convert_options=pa_csv.ConvertOptions(
                                       column_types={"qty": pa.string(), "price": pa.string()})),
                   path)
    assert _one(store, path).inserted == 0
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
        _one(st, write_file("first.csv", HEADER + "".join(_line(i) for i in range(10))))
        before = _counts(st)
    second = write_file("second.csv", HEADER + "".join(_line(i) for i in range(100, 400)))
    done = run_python("-c", _KILL_MID_IMPORT, str(second))
    assert done.returncode == 9, done.stdout + done.stderr
    assert "INSERTED 300 VISIBLE 310" in done.stdout  # the kill came after the events INSERT
    assert "NOT KILLED" not in done.stdout
    with Store.open("test") as st:
        assert _counts(st) == before
        assert st.schema_version() > 0
        # and the shop still works: the same import now lands whole
        table = _one(st, second)
        assert table.inserted == 300
        assert st.table_counts()["events"] == before["events"] + 300


def test_exception_mid_import_rolls_back(store: Store, write_file,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _one(store, write_file("first.csv", HEADER + _line(1)))
    before = _counts(store)

    def fail(*_args) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(land, "_customers_seen", fail)  # runs after the events INSERT
    path = write_file("second.csv", HEADER + "".join(_line(i, customer=f"n{i}")
                                                     for i in range(2, 50)))
    with pytest.raises(RuntimeError, match="disk on fire"):
        ingest.import_paths(store, [path])
    assert _counts(store) == before
    monkeypatch.undo()
    assert _one(store, path).inserted == 48  # the connection is clean afterwards


def test_database_error_mid_import_is_explained_and_rolled_back(
        store: Store, write_file, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _counts(store)
    original = land._events

    def broken(tx, plan, report, import_id) -> None:
        original(tx, plan, report, import_id)
        tx.execute("INSERT INTO no_such_table VALUES (1)")

    monkeypatch.setattr(land, "_events", broken)
    with pytest.raises(IngestError, match="broken.csv failed and nothing was written"):
        ingest.import_paths(store, [write_file("broken.csv", HEADER + _line(1))])
    assert _counts(store) == before


def test_temporary_files_are_removed_after_a_failed_import(
        store: Store, write_file, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(land, "_customers_seen", lambda *_a: 1 / 0)
    path = write_file("latin.csv", (HEADER + _line(1)).replace("Thing", "Crème"), encoding="cp1252")
    with pytest.raises(ZeroDivisionError):
        ingest.import_paths(store, [path])
    assert list((config.home() / "tmp").glob("*")) == []
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)


def test_two_files_land_together_or_not_at_all(store: Store, write_file) -> None:
    good = write_file("good.csv", HEADER + _line(1))
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
    table = _one(store, path)
    assert table.rejected_by_rule == {"bad_encoding": 1}
    bad = table.rejections[0]
    assert bad.row == 40_002 and "UTF-8" in bad.suggestion
