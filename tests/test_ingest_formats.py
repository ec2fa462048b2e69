"""File formats and text encodings: the same small orders table, every way a shop might save it."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.ingest import ingest, readers
from core.ingest.plan import ImportReport
from core.ingest.text import detect_encoding, sniff_delimiter
from core.store import config
from core.store.store import Store

COLUMNS = ["Order", "Order date", "Product code", "Product name", "Qty", "Unit price", "Customer"]
# Titles with accents, a euro sign, a comma and a quote; distinct lines, two customers.
ROWS = [
    ("1001", "2024-03-05 10:00:00", "SKU-1", "Crème brûlée dish", "2", "12.50", "alice"),
    ("1001", "2024-03-05 10:00:00", "SKU-2", "Café au lait, large", "1", "3.99", "alice"),
    ("1002", "2024-03-06 11:30:00", "SKU-3", "Piñata €uro edition", "3", "7.00", "bob"),
    ("1003", "2024-03-07 09:15:00", "SKU-4", 'Große Tüte "XL"', "1", "1.25", "bob"),
]
TITLES = {r[2]: r[3] for r in ROWS}
EVENTS = sorted((r[2], datetime.fromisoformat(r[1]), int(r[4]), float(r[5])) for r in ROWS)


def _csv_text(delimiter: str, rows: list[tuple[str, ...]] = ROWS) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def _typed_rows() -> list[dict]:
    """The rows with native types, as Parquet, Excel and JSON hold them."""
    return [{"Order": int(o), "Order date": datetime.fromisoformat(ts), "Product code": sku,
             "Product name": title, "Qty": int(q), "Unit price": float(p), "Customer": c}
            for o, ts, sku, title, q, p, c in ROWS]


def _parquet(path: Path) -> None:
    pq.write_table(pa.Table.from_pylist(_typed_rows()), path)


def _xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Orders"
    sheet.append(COLUMNS)
    for row in _typed_rows():
        sheet.append(list(row.values()))
    book.save(path)


def _jsonl(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in _typed_rows():
            fh.write(json.dumps({**row, "Order date": str(row["Order date"])},
                                ensure_ascii=False) + "\n")


def _json_array(path: Path) -> None:
    rows = [{**row, "Order date": str(row["Order date"])} for row in _typed_rows()]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


TEXT_VARIANTS: dict[str, tuple[str, Callable[[], bytes]]] = {
    "comma": ("orders.csv", lambda: _csv_text(",").encode("utf-8")),
    "semicolon": ("orders.csv", lambda: _csv_text(";").encode("utf-8")),
    "tab": ("orders.tsv", lambda: _csv_text("\t").encode("utf-8")),
    "pipe": ("orders.txt", lambda: _csv_text("|").encode("utf-8")),
    "utf8_bom": ("orders.csv", lambda: codecs.BOM_UTF8 + _csv_text(",").encode("utf-8")),
    "utf16_bom_tab": ("orders.csv", lambda: _csv_text("\t").encode("utf-16")),
    "utf16_bom_comma": ("orders.csv", lambda: _csv_text(",").encode("utf-16")),
    "utf16le_no_bom": ("orders.csv", lambda: _csv_text("\t").encode("utf-16-le")),
    "cp1252": ("orders.csv", lambda: _csv_text(";").encode("cp1252")),
    "gzip": ("orders.csv.gz", lambda: gzip.compress(_csv_text(",").encode("utf-8"))),
    "gzip_cp1252": ("orders.csv.gz", lambda: gzip.compress(_csv_text(",").encode("cp1252"))),
}
BINARY_VARIANTS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "parquet": ("orders.parquet", _parquet),
    "xlsx": ("orders.xlsx", _xlsx),
    "jsonl": ("orders.jsonl", _jsonl),
    "json_array": ("orders.json", _json_array),
    "parquet_named_csv": ("orders.csv", _parquet),  # the bytes decide, not the name
}


def _check_same_table(store: Store, report: ImportReport, lines: int = 4,
                      titles: dict[str, str] = TITLES, events: list = EVENTS) -> None:
    assert report.committed
    table = report.tables[0]
    assert table.kind == "events"
    assert (table.lines_read, table.accepted, table.rejected, table.returns) == (lines, lines, 0, 0)
    assert table.reconciles()
    assert table.inserted == lines
    got_titles = dict(store.rows("SELECT product_id, title FROM products"))
    assert got_titles == titles
    got = sorted(store.rows("SELECT product_id, ts, quantity, unit_price FROM events"))
    assert got == events
    assert store.scalar("SELECT count(*) FROM customers") == 2


@pytest.mark.parametrize("variant", sorted(TEXT_VARIANTS))
def test_text_variants_import_identically(store: Store, write_file, variant: str) -> None:
    name, make = TEXT_VARIANTS[variant]
    path = write_file(name, make())
    report = ingest.import_paths(store, [path])
    _check_same_table(store, report)
    # a temporary UTF-8 copy (for other encodings) is removed afterwards
    assert not list((config.home() / "tmp").glob("*"))


@pytest.mark.parametrize("variant", sorted(BINARY_VARIANTS))
def test_binary_and_json_variants_import_identically(store: Store, tmp_path: Path,
                                                     variant: str) -> None:
    name, make = BINARY_VARIANTS[variant]
    path = tmp_path / name
    make(path)
    report = ingest.import_paths(store, [path])
    _check_same_table(store, report)


def test_latin1_file_keeps_its_accents(store: Store, write_file) -> None:
    rows = [(o, ts, sku, title.replace("€", "E"), q, p, c) for o, ts, sku, title, q, p, c in ROWS]
    data = _csv_text(",", rows).encode("latin-1")
    assert b"\xe8" in data  # really one byte per accented letter, not UTF-8
    path = write_file("latin.csv", data)
    source = readers.open_source(path)
    assert source.encoding in ("cp1252", "latin-1")
    source.cleanup()
    report = ingest.import_paths(store, [path])
    _check_same_table(store, report, titles={r[2]: r[3] for r in rows})


def test_cp1252_euro_prices_with_decimal_commas(store: Store, write_file) -> None:
    text = ("Bestellung;Bestelldatum;Product code;Product name;Qty;Unit price;Customer\r\n"
            "7001;2024-05-01 08:00:00;A-1;Kaffeebecher, groß;2;12,50 €;kunde1\r\n"
            "7002;2024-05-02 09:00:00;A-2;Teekanne «Zürich»;1;1.234,00 €;kunde2\r\n")
    path = write_file("bestellungen.csv", text, encoding="cp1252")
    plan = ingest.plan_paths(store, [path])[0]
    plan = ingest.remap(plan, kind="events")
    # No English name, but the contents are dates: guessed, with less than high confidence.
    assert plan.mapping.columns["ts"] == "Bestelldatum"
    assert plan.mapping.confidence["ts"].confidence == "medium"
    plan = ingest.remap(plan, columns={**plan.mapping.columns, "order_id": "Bestellung"})
    assert plan.kind == "events"
    report = ingest.run_import(store, [plan])
    table = report.tables[0]
    assert (table.accepted, table.rejected) == (2, 0)
    assert table.fixes == {"unit_price_cleaned": 2}
    assert dict(store.rows("SELECT product_id, unit_price FROM events")) == {"A-1": 12.5,
                                                                            "A-2": 1234.0}
    assert dict(store.rows("SELECT product_id, title FROM products")) == {
        "A-1": "Kaffeebecher, groß", "A-2": "Teekanne «Zürich»"}


def test_semicolon_is_sniffed_when_values_contain_quoted_commas(store: Store, write_file) -> None:
    rows = [(o, ts, sku, f"{title}, gift box", q, p.replace(".", ","), c)
            for o, ts, sku, title, q, p, c in ROWS]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    assert all(line.count(",") >= 2 for line in buf.getvalue().splitlines()[1:])
    path = write_file("semi.csv", buf.getvalue())
    source = readers.open_source(path)
    assert source.delimiter == ";"
    assert source.columns == COLUMNS
    report = ingest.import_paths(store, [path])
    _check_same_table(store, report, titles={r[2]: r[3] for r in rows})


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_delimiter(delimiter: str) -> None:
    assert sniff_delimiter(_csv_text(delimiter), "x.csv") == delimiter


def test_sniff_delimiter_ignores_a_cut_last_line() -> None:
    text = _csv_text(";") + "1004;2024-03-08"  # the sample ended mid-line
    assert sniff_delimiter(text, "x.csv") == ";"


@pytest.mark.parametrize("data, encoding", [
    ("Crème".encode(), "utf-8"),
    (codecs.BOM_UTF8 + "Crème".encode(), "utf-8"),
    ("a,b\nCrème,1\n".encode("utf-16"), "utf-16"),
    ("order,product,quantity\nCrème,1,2\n".encode("utf-16-le"), "utf-16-le"),
    ("order,product,quantity\nCrème,1,2\n".encode("utf-16-be"), "utf-16-be"),
    ("Prix 3 € café".encode("cp1252"), "cp1252"),
    (b"caf\xe9 \x81", "latin-1"),  # 0x81 is undefined in cp1252
])
def test_detect_encoding(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


def test_utf8_sample_cut_inside_a_character_is_still_utf8() -> None:
    data = ("x" * 99 + "é").encode("utf-8")[:-1]  # the sample ends in the middle of 'é'
    assert detect_encoding(data) == "utf-8"


def test_folder_of_two_formats_imports_as_one_shop(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "march.csv").write_text(_csv_text(",", ROWS[:2]), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(_typed_rows()[2:]), folder / "april.parquet")
    (folder / ".hidden.csv").write_text("not,a\ntable,at all\n")
    (folder / "notes.md").write_text("ignored")
    report = ingest.import_paths(store, [folder])
    assert sorted(t.file for t in report.tables) == ["april.parquet", "march.csv"]
    assert report.accepted == 4
    assert sorted(store.rows("SELECT product_id, ts, quantity, unit_price FROM events")) == EVENTS
    assert store.scalar("SELECT count(DISTINCT import_id) FROM events") == 1


def test_excel_reads_the_first_sheet_with_rows(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Empty"
    sheet = book.create_sheet("Data")
    sheet.append(COLUMNS)
    for row in ROWS:
        sheet.append(list(row))
    book.save(path)
    source = readers.open_source(path)
    assert source.format == "xlsx"
    assert "sheet 'Data'" in source.notes
    source.cleanup()
    _check_same_table(store, ingest.import_paths(store, [path]))
