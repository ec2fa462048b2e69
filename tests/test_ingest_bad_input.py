"""Bad input: each class gets a clear error, or per-row rejections naming file, row, column,
value and rule; an import lands whole or not at all, and importing again adds nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_support import HEADER, counts, import_one, line, rejections

from core.ingest import ingest
from core.ingest.plan import IngestError
from core.store.schema import DATA_TABLES
from core.store.store import Store

# -- files that are not tables ---------------------------------------------------------------

def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("orders.csv", HEADER + line(1))
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
    assert counts(store) == dict.fromkeys([*DATA_TABLES, "imports", "rejections"], 0)


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
    """A column named like a date whose values are not dates is not taken, but suggested; the
    advice fits where the user is (the page's mapping editor or the CLI's --map)."""
    path = write_file("orders.csv", "Order Time,Item,Quantity\nevening,A,1\nmorning,B,2\n")
    plan = ingest.remap(ingest.plan_paths(store, [path])[0], kind="events")
    with pytest.raises(IngestError, match="perhaps column 'Order Time'") as info:
        ingest.run_import(store, [plan])
    assert "orders.csv" in str(info.value) and "'ts'" in str(info.value)
    assert "mapping editor" in str(info.value) and "--map" not in str(info.value)
    with pytest.raises(IngestError, match="--map FIELD=COLUMN") as info:
        ingest.run_import(store, [plan], where="cli")
    assert "mapping editor" not in str(info.value)


def test_missing_rating_in_a_reviews_file(store: Store, write_file) -> None:
    path = write_file("reviews.csv", "asin,review text,helpful votes\nB1,nice,12\n")
    plan = ingest.remap(ingest.plan_paths(store, [path])[0], kind="reviews")
    with pytest.raises(IngestError, match=r"reviews.csv.*'rating'"):
        ingest.run_import(store, [plan])


def test_missing_column_of_a_forced_preset(store: Store, write_file) -> None:
    path = write_file("x.csv", "product_id,quantity\nA,1\n")
    with pytest.raises(IngestError, match=r"x.csv.*'ts'"):
        ingest.import_paths(store, [path], preset="shoplens_events")


# -- dates -------------------------------------------------------------------------------------

def test_unparseable_dates_are_rejected_with_row_numbers(store: Store, write_file) -> None:
    text = (HEADER + line(1) + line(2, ts="not a date") + line(3)
            + line(4, ts="2024-13-45 10:00") + line(5, ts="") + line(6))
    table = import_one(store, write_file("dates.csv", text))
    assert (table.lines_read, table.accepted, table.rejected) == (6, 3, 3)
    assert table.date_format == "YYYY-MM-DD hh:mm"
    assert rejections(table) == [
        ("dates.csv", 3, "order_date", "not a date", "bad_ts"),
        ("dates.csv", 5, "order_date", "2024-13-45 10:00", "bad_ts"),
        ("dates.csv", 6, "order_date", None, "missing_ts"),
    ]
    bad = table.rejections[0]
    assert "YYYY-MM-DD hh:mm" in bad.problem and "YYYY-MM-DD hh:mm" in bad.suggestion
    stored = store.rows("SELECT file, row_number, column_name, value, rule FROM rejections "
                        "ORDER BY row_number")
    assert stored == rejections(table)


def test_implausible_dates_are_rejected(store: Store, write_file) -> None:
    future = (date.today() + timedelta(days=400)).isoformat() + " 10:00"
    text = HEADER + line(1) + line(2, ts="1970-01-01 00:00") + line(3, ts=future)
    table = import_one(store, write_file("far.csv", text))
    assert table.rejected_by_rule == {"implausible_ts": 2}
    assert [r.row for r in table.rejections] == [3, 4]


def test_a_column_without_dates_is_a_clear_error(store: Store, write_file) -> None:
    text = HEADER + "".join(line(i, ts=f"soon {i}") for i in range(5))
    with pytest.raises(IngestError, match="column 'order_date'.*does not hold dates"):
        ingest.import_paths(store, [write_file("nodates.csv", text)])


def test_ambiguous_dates_warn_which_order_was_used(store: Store, write_file) -> None:
    text = HEADER + line(1, ts="01/02/2024") + line(2, ts="03/04/2024") + line(3, ts="05/06/2024")
    table = import_one(store, write_file("amb.csv", text))
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
        lines.append(line(i, ts=f"{i % 12 + 1:02d}/{i % 9 + 1:02d}/2023 10:{i % 60:02d}"))
    for i in range(1500, 1530):
        day = 13 + i % 15
        ts = f"03/{day}/2024 09:00" if month_first else f"{day}/03/2024 09:00"
        lines.append(line(i, ts=ts))
    table = import_one(store, write_file("long.csv", "".join(lines)))
    assert (table.lines_read, table.accepted, table.rejected) == (1530, 1530, 0)
    assert table.date_format == ("MM/DD/YYYY hh:mm" if month_first else "DD/MM/YYYY hh:mm")
    assert any("decided from the whole column" in w for w in table.warnings)
    # o1 was written '02/02/2023', o10 '11/02/2023': read in the chosen order
    o10 = store.scalar("SELECT ts FROM events WHERE order_id = 'o10'")
    assert o10 == (datetime(2023, 11, 2, 10, 10) if month_first else datetime(2023, 2, 11, 10, 10))
    assert store.scalar("SELECT max(ts) FROM events") == datetime(2024, 3, 27, 9)


# -- numbers, duplicates, malformed lines ------------------------------------------------------

def test_bad_numbers_are_rejected_with_column_and_value(store: Store, write_file) -> None:
    text = (HEADER + line(1, qty="abc") + line(2, qty="1.5") + line(3, qty="0")
            + line(4, price="-2.00") + line(5, price="0") + line(6, price="free")
            + line(7, price='"€ 4,50"') + line(8, qty=""))
    table = import_one(store, write_file("numbers.csv", text))
    assert rejections(table) == [
        ("numbers.csv", 2, "qty", "abc", "bad_quantity"),
        ("numbers.csv", 3, "qty", "1.5", "bad_quantity"),
        ("numbers.csv", 4, "qty", "0", "zero_quantity"),
        ("numbers.csv", 5, "price", "-2.00", "negative_unit_price"),
        ("numbers.csv", 7, "price", "free", "bad_unit_price"),
    ]
    assert (table.lines_read, table.accepted, table.rejected) == (8, 3, 5)
    assert table.fixes == {"unit_price_cleaned": 1, "quantity_defaulted_to_1": 1}
    assert table.free == 1  # price 0: a free line, a purchase that adds nothing to revenue
    assert dict(store.rows("SELECT order_id, unit_price FROM events")) == {
        "o5": 0.0, "o7": 4.5, "o8": 9.99}
    neg = table.rejections[3]
    assert "negative price" in neg.problem and "returns" in neg.suggestion


def test_exact_duplicate_lines_are_rejected(store: Store, write_file) -> None:
    text = HEADER + line(1) + line(2) + line(1) + line(3) + line(2) + line(1)
    table = import_one(store, write_file("dups.csv", text))
    assert (table.lines_read, table.accepted, table.rejected) == (6, 3, 3)
    assert rejections(table) == [("dups.csv", 4, "*", None, "duplicate_row"),
                                  ("dups.csv", 6, "*", None, "duplicate_row"),
                                  ("dups.csv", 7, "*", None, "duplicate_row")]
    assert "appears earlier" in table.rejections[0].problem
    assert store.table_counts()["events"] == 3


def test_malformed_lines_keep_true_line_numbers(store: Store, write_file) -> None:
    text = (HEADER + line(1)
            + "o2,2024-01-15 10:00,S2,Thing 2,1,9.99,c1,extra,more\n"  # line 3: too many columns
            + line(3)
            + line(4, qty="abc")                                        # line 5
            + "o5,2024-01-15 10:00,S5\n"                                 # line 6: too few columns
            + line(6)
            + line(7, price="-1"))                                      # line 8
    table = import_one(store, write_file("mal.csv", text))
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


def test_non_finite_numbers_and_converted_quantities(store: Store, write_file) -> None:
    """NaN and infinities never reach revenue; a quantity is read only when it is written in
    digits ('3 pcs' is a named fix, hex and exponents are rejected)."""
    bad_prices = ["NaN", "nan", "inf", "-inf", "Infinity", "1e309"]
    text = (HEADER + "".join(line(i, price=p) for i, p in enumerate(bad_prices))
            + line(10, qty="3 pcs") + line(11, qty="0x10") + line(12, qty="1e3")
            + line(13, qty="inf") + line(14, qty="\"1,000\"") + line(15, qty="2"))
    table = import_one(store, write_file("numbers.csv", text))
    rules = {(r.value, r.rule) for r in table.rejections}
    assert rules == {*((p, "nonfinite_unit_price") for p in bad_prices), ("0x10", "bad_quantity"),
                     ("1e3", "bad_quantity"), ("inf", "bad_quantity")}
    assert table.fixes.get("quantity_unit_removed") == 1
    assert dict(store.rows("SELECT order_id, quantity FROM events")) == {
        "o10": 3, "o14": 1000, "o15": 2}
    assert store.scalar("SELECT bool_and(isfinite(unit_price)) FROM events")


def test_rejections_are_kept_in_the_store(store: Store, write_file) -> None:
    text = HEADER + line(1) + line(2, qty="abc") + line(3, price="NaN")
    import_one(store, write_file("r.csv", text))
    rows = store.rows("SELECT import_id, file, row_number, column_name, value, rule, suggestion "
                      "FROM rejections ORDER BY row_number")
    assert [r[:6] for r in rows] == [(1, "r.csv", 3, "qty", "abc", "bad_quantity"),
                                     (1, "r.csv", 4, "price", "NaN", "nonfinite_unit_price")]
    assert all(r[6] for r in rows)
