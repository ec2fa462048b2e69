"""Recognise a shop export on disk and describe how DuckDB should read it.

``open_source(path)`` looks at the bytes (not the file name) to tell CSV/TSV, Parquet, Excel
.xlsx and JSON lines apart, finds the text encoding and the delimiter, and returns a ``Source``:
the column names plus a table-function call (SQL text with named parameters) that streams the
file. Text that is not UTF-8 (UTF-16, cp1252, latin-1) is transcoded chunk by chunk into a
temporary UTF-8 file, and Excel sheets are streamed into a temporary Parquet file, so every
format reaches DuckDB as a stream and a file larger than memory is never read whole.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import logging
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.store import config

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
# DuckDB's CSV reader holds a buffer per thread; its default (32 MB and more) alone can exceed a
# small memory_limit. 16 MB keeps room under 64 MB and must stay above the longest line allowed.
MAX_LINE_BYTES = 10_000_000
CSV_BUFFER_BYTES = 16 << 20
TEMP_TTL_S = 24 * 3600  # converted copies (UTF-8 text, Excel as Parquet) left behind
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".gz", ".parquet", ".xlsx"}
_DELIMITERS = [",", ";", "\t", "|"]
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office 97) file",
    b"SQLite format 3": "an SQLite database",
    b"\x7fELF": "a program",
}


class SourceError(ValueError):
    """A file that cannot be read as a table, with what to do about it."""


@dataclass
class Source:
    """How to stream one file into DuckDB."""

    path: Path  # the file the user gave us
    format: str  # csv | parquet | xlsx | jsonl | json
    columns: list[str]
    relation: str  # table-function SQL, e.g. "read_csv($p0, ...)"
    params: dict[str, Any]
    encoding: str = "utf-8"
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def cleanup(self) -> None:
        """Remove temporary files made while reading."""
        for tmp in self.temp_files:
            tmp.unlink(missing_ok=True)


def _tmp_path(suffix: str) -> Path:
    folder = config.home() / "tmp"
    folder.mkdir(exist_ok=True)
    _sweep(folder)
    fd, name = tempfile.mkstemp(suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def _sweep(folder: Path) -> None:
    """Remove converted copies older than ``TEMP_TTL_S``: plans that were never imported (a
    preview) leave theirs behind, and they hold the file's data, personal columns included."""
    now = time.time()
    for old in folder.glob("tmp*"):
        try:
            if old.is_file() and now - old.stat().st_mtime > TEMP_TTL_S:
                old.unlink()
        except OSError as err:  # another process removed or holds it: leave it
            log.debug("could not remove %s: %s", old, err)


def _head(path: Path, n: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """First bytes of the file (decompressed when gzipped) and whether it is gzipped."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as fh:
            return fh.read(n), True
    with open(path, "rb") as fh:
        return fh.read(n), False


def detect_encoding(sample: bytes) -> str:
    """utf-8, utf-16 (from BOM or NUL pattern), cp1252 or latin-1."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4 and sample[1:40:2].count(0) > 15:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0:40:2].count(0) > 15:
        return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def sniff_delimiter(text: str, source: str) -> str:
    """The delimiter whose field count is most consistent over the first lines."""
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    best, best_score = ",", (-1.0, 0)
    for delim in _DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delim))
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        agree = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (agree, width)
        if score > best_score:
            best, best_score = delim, score
    if best_score[0] < 0:
        raise SourceError(
            f"{source}: no delimiter found: the first line has a single column. Export the "
            "table as CSV with a header row (comma, semicolon, tab or | between columns)."
        )
    return best


def _transcode(path: Path, encoding: str, gz: bool) -> Path:
    """Stream a non-UTF-8 text file into a temporary UTF-8 file (never read whole)."""
    out = _tmp_path(".csv")
    opener = gzip.open if gz else open
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with opener(path, "rb") as src, open(out, "wb") as dst:
            while chunk := src.read(16 << 20):
                dst.write(decoder.decode(chunk).encode("utf-8"))
            dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as err:
        out.unlink(missing_ok=True)
        raise SourceError(
            f"{path.name}: bytes at offset {err.start} are not valid {encoding}. Save the file "
            "again as UTF-8 (Excel: 'CSV UTF-8') and import it again."
        ) from err
    return out


def _csv_source(path: Path, sample: bytes, gz: bool) -> Source:
    encoding = detect_encoding(sample)
    text = sample.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="ignore")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise SourceError(f"{path.name} is empty: export the table again with its rows.")
    delimiter = sniff_delimiter(text, path.name)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter))
    columns = _unique_names(header)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise SourceError(
            f"{path.name} has a header row but no data rows: export it again with its rows."
        )
    target, temps, notes = path, [], []
    if encoding != "utf-8":
        target = _transcode(path, encoding, gz)
        temps.append(target)
        notes.append(f"read as {encoding} and converted to UTF-8")
    params = {"path": str(target), "delim": delimiter, "names": columns}
    relation = (
        "read_csv($path, delim=$delim, header=true, names=$names, all_varchar=true, skip=0, "
        "quote='\"', escape='\"', store_rejects=true, rejects_table='csv_rejects', "
        f"rejects_scan='csv_scans', max_line_size={MAX_LINE_BYTES}, buffer_size={CSV_BUFFER_BYTES})"
    )
    return Source(path, "csv", columns, relation, params, encoding, delimiter, notes, temps)


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for i, raw in enumerate(header):
        name = raw.strip().lstrip("\ufeff") or f"column_{i + 1}"
        while name in names:
            name = f"{name}_{i + 1}"
        names.append(name)
    return names


def _xlsx_source(path: Path) -> Source:
    """Stream the first non-empty sheet into a temporary Parquet file of text columns."""
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as err:
        raise SourceError(f"{path.name} is not a readable Excel .xlsx workbook: {err}") from err
    sheet = next((ws for ws in book.worksheets if ws.max_row and ws.max_row > 1), None)
    if sheet is None:
        raise SourceError(f"{path.name}: every sheet is empty or has only a header row.")
    rows = sheet.iter_rows(values_only=True)
    columns = _unique_names(["" if v is None else str(v) for v in next(rows)])
    out = _tmp_path(".parquet")
    schema = pa.schema([(c, pa.string()) for c in columns])
    n = 0
    with pq.ParquetWriter(out, schema) as writer:
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 50_000:
                n += _write_batch(writer, schema, columns, batch)
                batch = []
        n += _write_batch(writer, schema, columns, batch)
    book.close()
    if n == 0:
        out.unlink(missing_ok=True)
        raise SourceError(f"{path.name} has a header row but no data rows.")
    params = {"path": str(out)}
    return Source(path, "xlsx", columns, "read_parquet($path)", params,
                  notes=[f"sheet '{sheet.title}'"], temp_files=[out])


def _write_batch(writer: Any, schema: Any, columns: list[str], batch: list[tuple]) -> int:
    import pyarrow as pa

    if not batch:
        return 0
    cols = [[None if i >= len(r) or r[i] is None else str(r[i]) for r in batch]
            for i in range(len(columns))]
    writer.write_table(pa.table(cols, schema=schema))
    return len(batch)


def open_source(path: Path | str, describe: Any = None) -> Source:
    """Recognise ``path`` and return how to stream it; raise ``SourceError`` with advice if not.

    ``describe`` is a callable ``(relation, params) -> list[str]`` that returns the column
    names of a self-describing format (Parquet, JSON); the importer passes the store's.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path} does not exist.")
    if path.is_dir():
        raise SourceError(f"{path} is a folder: import it as a folder of related tables.")
    if path.stat().st_size == 0:
        raise SourceError(f"{path.name} is empty (0 bytes): export the table again.")
    sample, gz = _head(path)
    for magic, what in _BINARY_MAGIC.items():
        if sample.startswith(magic):
            raise SourceError(
                f"{path.name} is {what}, not a table export. Export the data as CSV, Excel "
                ".xlsx, Parquet or JSON lines."
            )
    if sample.startswith(b"PAR1"):
        relation, params = "read_parquet($path)", {"path": str(path)}
        return Source(path, "parquet", _describe(describe, relation, params, path), relation, params)
    if sample.startswith(b"PK\x03\x04"):
        if b"xl/" in sample[:4096] or path.suffix.lower() == ".xlsx":
            return _xlsx_source(path)
        raise SourceError(f"{path.name} is a zip archive: unzip it and import the files inside.")
    stripped = sample.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:1] in (b"{", b"["):
        fmt = "newline_delimited" if stripped[:1] == b"{" else "array"
        relation = "read_json($path, format=$fmt, sample_size=-1)"
        params = {"path": str(path), "fmt": fmt}
        kind = "jsonl" if fmt == "newline_delimited" else "json"
        return Source(path, kind, _describe(describe, relation, params, path), relation, params)
    if b"\x00" in sample and detect_encoding(sample) not in ("utf-16", "utf-16-le", "utf-16-be"):
        raise SourceError(
            f"{path.name} looks like a binary file, not a table export (was it renamed?). Export "
            "the data as CSV, Excel .xlsx, Parquet or JSON lines."
        )
    return _csv_source(path, sample, gz)


def _describe(describe: Any, relation: str, params: dict[str, Any], path: Path) -> list[str]:
    if describe is None:
        raise SourceError(f"{path.name}: reading this format needs a store connection.")
    try:
        return list(describe(relation, params))
    except Exception as err:  # noqa: BLE001 - any reader failure becomes advice for the user
        raise SourceError(f"{path.name} could not be read: {err}") from err
