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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.ingest.text import (
    SourceError,
    detect_encoding,
    has_header,
    longest_line,
    refuse_open_quote_on_first_line,
    split_line,
    split_to_tsv,
    text_layout,
    tmp_path,
    transcode,
)

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
# DuckDB's CSV reader holds a buffer per thread; its default (32 MB and more) alone can exceed a
# small memory_limit. 16 MB keeps room under 64 MB and must stay above the longest line allowed.
MAX_LINE_BYTES = 10_000_000
CSV_BUFFER_BYTES = 16 << 20
MAX_EXPANSION = 200  # a gzip export may expand this many times its size ...
MIN_EXPANSION_BYTES = 256 << 20  # ... or to this much, whichever is more
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".gz", ".parquet", ".xlsx"}
_BINARY_MAGIC = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office 97) file",
    b"SQLite format 3": "an SQLite database",
    b"\x7fELF": "a program",
}


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
    header: bool = True  # the first line names the columns (else line 1 is the first row)
    nested: dict[str, str] = field(default_factory=dict)  # list/map column -> "lists" | "maps"

    @property
    def name(self) -> str:
        return self.path.name

    def cleanup(self) -> None:
        """Remove temporary files made while reading."""
        for tmp in self.temp_files:
            tmp.unlink(missing_ok=True)


def _head(path: Path, n: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """First bytes of the file (decompressed when gzipped) and whether it is gzipped."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as fh:
            return fh.read(n), True
    with open(path, "rb") as fh:
        return fh.read(n), False


def check_expansion(path: Path) -> None:
    """Refuse a gzip file that expands beyond ``MAX_EXPANSION`` times its size (and beyond
    ``MIN_EXPANSION_BYTES``): a table export compresses 5-20x, a decompression bomb thousands
    of times. Counting streams the file once and stops at the limit."""
    size = path.stat().st_size
    limit = max(MAX_EXPANSION * size, MIN_EXPANSION_BYTES)
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(8 << 20):
                total += len(chunk)
                if total > limit:
                    raise SourceError(
                        f"{path.name}: the gzip file expands to more than {limit / 1e6:,.0f} MB "
                        f"({MAX_EXPANSION}x its {size / 1e6:,.1f} MB), more than a table export "
                        "does: it may be damaged or a decompression bomb. Unpack it yourself "
                        "and import the plain file if it is genuine."
                    )
    except (OSError, EOFError) as err:  # a truncated or corrupt gzip stream
        raise SourceError(f"{path.name} is a damaged gzip file ({err}): compress the export "
                          "again, or import it uncompressed.") from err


def explain_read_error(err: BaseException, path: Path) -> str:
    """Advice for DuckDB failing to read ``path``: the real line of an over-long line."""
    text = str(err).split("\n")[0]
    if "Maximum line size" in str(err):
        number, size = longest_line(path, MAX_LINE_BYTES)
        return (f"{path.name}: line {number:,} is {size / 1e6:,.1f} MB long, over the limit of "
                f"{MAX_LINE_BYTES / 1e6:,.0f} MB per line. A field whose quote never closes makes "
                "one line of the rest of the file: check the quotes on that line, or split "
                "very long texts out of the export.")
    return f"{path.name} could not be read: {text.removeprefix('Invalid Input Error: ')}"


def _csv_source(path: Path, sample: bytes, gz: bool) -> Source:
    encoding = detect_encoding(sample)
    text = sample.decode(encoding if encoding != "utf-8" else "utf-8-sig", errors="ignore")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise SourceError(f"{path.name} is empty: export the table again with its rows.")
    layout, cuts = text_layout(text, path.name)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if layout in (" ", "fixed"):
        rows = [split_line(ln, layout, cuts) for ln in lines[:3]]
    else:
        rows = list(csv.reader(io.StringIO("\n".join(lines[:3])), delimiter=layout))
        refuse_open_quote_on_first_line(lines[0], layout, path)
    header = has_header(rows)
    columns = _unique_names(rows[0]) if header else [f"column_{i + 1}" for i in range(len(rows[0]))]
    if header and len(lines) < 2:
        raise SourceError(
            f"{path.name} has a header row but no data rows: export it again with its rows."
        )
    target, temps, notes = path, [], []
    if layout in (" ", "fixed"):
        target = split_to_tsv(path, encoding, gz, layout, cuts)
        temps.append(target)
        notes.append("columns separated by spaces" if layout == " " else
                     f"fixed-width columns starting at {', '.join(str(c + 1) for c in cuts or [])}")
        delimiter = "\t"
    elif encoding != "utf-8":
        target = transcode(path, encoding, gz)
        temps.append(target)
        notes.append(f"read as {encoding} and converted to UTF-8")
        delimiter = layout
    else:
        delimiter = layout
    if not header:
        notes.append("no header row: columns named column_1, column_2, ...")
    # Every setting is given and nothing is sniffed: DuckDB's sniffer refuses a small file
    # with one broken line (a surplus field, an unclosed quote) that is only to be rejected.
    params = {"path": str(target), "delim": delimiter, "columns": dict.fromkeys(columns, "VARCHAR")}
    relation = (
        f"read_csv($path, delim=$delim, header={'true' if header else 'false'}, "
        "auto_detect=false, columns=$columns, skip=0, quote='\"', escape='\"', store_rejects=true, "
        "rejects_table='csv_rejects', rejects_scan='csv_scans', "
        f"max_line_size={MAX_LINE_BYTES}, buffer_size={CSV_BUFFER_BYTES}"
        + (", compression='gzip')" if gz and target == path else ")")
    )
    return Source(path, "csv", columns, relation, params, encoding, delimiter, notes, temps,
                  header=header)


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
    out = tmp_path(".parquet")
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
    if gz:
        check_expansion(path)
    for magic, what in _BINARY_MAGIC.items():
        if sample.startswith(magic):
            raise SourceError(
                f"{path.name} is {what}, not a table export. Export the data as CSV, Excel "
                ".xlsx, Parquet or JSON lines."
            )
    if sample.startswith(b"PAR1"):
        relation, params = "read_parquet($path)", {"path": str(path)}
        columns = _describe(describe, relation, params, path)
        return _flatten_parquet(Source(path, "parquet", columns, relation, params))
    if sample.startswith(b"PK\x03\x04"):
        if b"xl/" in sample[:4096] or path.suffix.lower() == ".xlsx":
            return _xlsx_source(path)
        raise SourceError(f"{path.name} is a zip archive: unzip it and import the files inside.")
    stripped = sample.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:15].lower().startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        named = (f", though it is named {path.suffix}" if path.suffix.lower() in
                 (".xlsx", ".xls", ".csv") else "")
        raise SourceError(
            f"{path.name} holds a web page or XML (HTML tags), not a table export{named}. Some "
            "shops' 'Excel' exports are HTML: open the file in a spreadsheet and save it as .xlsx "
            "or CSV, then import that file."
        )
    if stripped[:1] in (b"{", b"["):
        fmt = "newline_delimited" if stripped[:1] == b"{" else "array"
        relation = ("read_json($path, format=$fmt, sample_size=-1"
                    + (", compression='gzip')" if gz else ")"))
        params = {"path": str(path), "fmt": fmt}
        kind = "jsonl" if fmt == "newline_delimited" else "json"
        return Source(path, kind, _describe(describe, relation, params, path), relation, params)
    if b"\x00" in sample and detect_encoding(sample) not in ("utf-16", "utf-16-le", "utf-16-be"):
        raise SourceError(
            f"{path.name} looks like a binary file, not a table export (was it renamed?). Export "
            "the data as CSV, Excel .xlsx, Parquet or JSON lines."
        )
    return _csv_source(path, sample, gz)


def _flatten_parquet(source: Source) -> Source:
    """A Parquet file's struct columns as one column per field, named ``parent.child`` (nested
    structs recursively), so the mapping can offer them; list and map columns stay as they are
    and are marked in ``source.nested`` (the importer refuses to map them, and says it left them
    out otherwise). A file without nesting keeps its plain ``read_parquet``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.store.store import quote_ident

    try:
        schema = pq.read_schema(source.path)
    except (pa.ArrowException, OSError) as err:  # DuckDB read it: leave it to DuckDB
        log.info("%s: no Arrow schema (%s); read as DuckDB sees it", source.name, err)
        return source
    if [f.name for f in schema] != source.columns:
        return source
    leaves: list[tuple[str, str, Any]] = []  # (name, SQL expression, Arrow type)

    def walk(name: str, expr: str, typ: Any) -> None:
        if pa.types.is_struct(typ) and typ.num_fields:
            for child in typ:
                walk(f"{name}.{child.name}", f"({expr}).{quote_ident(child.name)}", child.type)
        else:
            leaves.append((name, expr, typ))

    for f in schema:
        walk(f.name, quote_ident(f.name), f.type)
    for name, _expr, typ in leaves:
        if pa.types.is_map(typ):
            source.nested[name] = "maps"
        elif pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_fixed_size_list(typ):
            source.nested[name] = "lists"
    if len(leaves) == len(schema):
        source.columns = [f.name for f in schema]
        return source
    names = _unique_names([name for name, _e, _t in leaves])
    source.nested = {new: source.nested[old] for new, (old, _e, _t) in zip(names, leaves)
                     if old in source.nested}
    select = ", ".join(f"{expr} AS {quote_ident(new)}" for new, (_n, expr, _t) in zip(names, leaves))
    source.columns = names
    source.relation = f"(SELECT {select} FROM read_parquet($path))"
    source.notes.append("struct columns read as one column per field (parent.child)")
    return source


def _describe(describe: Any, relation: str, params: dict[str, Any], path: Path) -> list[str]:
    if describe is None:
        raise SourceError(f"{path.name}: reading this format needs a store connection.")
    try:
        return list(describe(relation, params))
    except Exception as err:  # noqa: BLE001 - any reader failure becomes advice for the user
        raise SourceError(f"{path.name} could not be read: {err}") from err
