"""Input that is huge, compressed too well or not what its name says: a clear refusal naming the
file, the line and the limit, and the store unchanged; a long but legal field imports."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from ingest_support import HEADER, counts, import_one, line

from core.ingest import readers
from core.ingest.plan import IngestError
from core.store.store import Store


def _lines(n: int) -> str:
    return "".join(line(i, customer=f"c{i % 4}") for i in range(n))


def test_gzip_named_csv_imports(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"  # gzipped, but not named .gz
    path.write_bytes(gzip.compress((HEADER + _lines(30)).encode()))
    table = import_one(store, path)
    assert (table.lines_read, table.accepted) == (30, 30)


def test_decompression_bomb_is_refused(store: Store, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "MIN_EXPANSION_BYTES", 1 << 20)
    path = tmp_path / "orders.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(HEADER.encode())
        fh.write(line(1).encode() * 200_000)  # ~10 MB from ~30 KB: far beyond 200x
    before = counts(store)
    with pytest.raises(IngestError, match=r"orders.csv.gz: the gzip file expands to more than"):
        import_one(store, path)
    assert counts(store) == before


def test_html_posing_as_excel(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("<!DOCTYPE html><html><body><table><tr><td>Order</td></tr></table></body></html>")
    with pytest.raises(IngestError, match=r"export.xlsx holds a web page .* named .xlsx"):
        import_one(store, path)


def test_a_long_field_imports(store: Store, write_file) -> None:
    long_title = "x" * 200_000  # over Python's csv default field limit (128 KiB)
    text = HEADER + _lines(5) + f'o9,2024-01-15 10:00,S9,"{long_title}",1,9.99,c1\n'
    table = import_one(store, write_file("orders.csv", text))
    assert table.accepted == 6


def test_an_over_long_line_names_its_real_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    huge = "y" * (readers.MAX_LINE_BYTES + 1000)
    path.write_text(HEADER + line(1) + f"o2,2024-01-15 10:00,S2,{huge},1,9.99,c1\n" + _lines(3))
    before = counts(store)
    with pytest.raises(IngestError, match=r"orders.csv: line 3 is 10.0 MB long, over the limit "
                                          r"of 10 MB per line"):
        import_one(store, path)
    assert counts(store) == before


def test_utf8_with_a_stray_cp1252_byte_stays_utf8(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    good = "".join(f"o{i},2024-01-15 10:00,S{i},CAFÉ crème {i},1,9.99,c1\n" for i in range(20))
    stray = b"o99,2024-01-15 10:00,S99,Caf" + b"\xe9" + b",1,9.99,c1\n"  # one cp1252 é
    path.write_bytes(HEADER.encode() + good.encode("utf-8") + stray)
    table = import_one(store, path)
    assert table.accepted == 20
    assert table.rejected_by_rule == {"bad_encoding": 1}
    titles = {t for (t,) in store.rows("SELECT title FROM products")}
    assert "CAFÉ crème 3" in titles  # not 'CAFÃ‰'
