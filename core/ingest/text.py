"""Plain-text tables: the encoding, how the columns are separated (a delimiter, runs of spaces
or fixed positions), whether the first line is a header, and the converted UTF-8 copies that
DuckDB reads when the file is not UTF-8 CSV already (streamed, never read whole).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import logging
from pathlib import Path

from core.store import scratch

log = logging.getLogger(__name__)
csv.field_size_limit(16 << 20)  # a field may be as long as a line (readers.MAX_LINE_BYTES)
_DELIMITERS = [",", ";", "\t", "|"]


class SourceError(ValueError):
    """A file that cannot be read as a table, with what to do about it."""


def tmp_path(suffix: str) -> Path:
    """A scratch file for a converted copy: removed by its import on every exit, and by the next
    shoplens process to start if this one is killed."""
    return scratch.scratch_file(suffix)


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
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    if good > bad:  # UTF-8 with a few stray bytes: those lines are rejected, not the file garbled
        return "utf-8"
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
            f"{source}: no delimiter found: the first line has a single column, and the lines do "
            "not split on spaces or at fixed positions either. Export the table as CSV (comma, "
            "semicolon, tab or | between columns)."
        )
    return best


def text_layout(text: str, source: str) -> tuple[str, list[int] | None]:
    """How the columns of a text file are separated: a delimiter, whitespace (``" "``: runs of
    spaces), or fixed positions (``"fixed"`` with the cut positions)."""
    lines = _sample_lines(text)
    try:
        delim = sniff_delimiter(text, source)
        rows = list(csv.reader(lines, delimiter=delim))
        # One broken line (a surplus field, an unclosed quote) does not make a small file
        # anything else: it is rejected with its line number when the file is read.
        bad = sum(len(r) != len(rows[0]) for r in rows) if rows else 0
        if rows and len(rows[0]) >= 2 and (bad <= 0.1 * len(rows) or bad <= 1):
            return delim, None
        if rows and len(rows[0]) >= 3 and all(delim in ln for ln in lines):
            return delim, None  # a header of 3+ names by it, and it on every line: broken lines
    except SourceError:
        delim = None
    widths = [len(ln.split()) for ln in lines]
    if widths and widths[0] >= 2 and sum(w == widths[0] for w in widths) >= 0.98 * len(widths):
        return " ", None
    cuts = _fixed_cuts(lines)
    if cuts:
        return "fixed", cuts
    if delim:
        return delim, None
    return sniff_delimiter(text, source), None  # raises the advice


def _sample_lines(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    return lines


def _fixed_cuts(lines: list[str]) -> list[int] | None:
    """Start positions of fixed-width columns: where a column of blanks in every line ends."""
    if len(lines) < 3:
        return None
    width = max(len(ln) for ln in lines)
    padded = [ln.ljust(width) for ln in lines]
    blank = [all(ln[i] == " " for ln in padded) for i in range(width)]
    cuts = [0, *(i for i in range(1, width) if blank[i - 1] and not blank[i])]
    if len(cuts) < 2 or len(lines) < 5:
        return None
    # Prose has blank positions by chance; a table's columns are filled on (nearly) every line.
    bounds = [*cuts[1:], width]
    filled = [sum(bool(ln[a:b].strip()) for ln in padded) for a, b in zip(cuts, bounds, strict=True)]
    return cuts if min(filled) >= 0.8 * len(lines) else None


def split_line(line: str, layout: str, cuts: list[int] | None) -> list[str]:
    """The fields of one line of a whitespace- or fixed-width-separated file."""
    if layout == "fixed" and cuts:
        bounds = [*cuts[1:], None]
        return [line[a:b].strip() for a, b in zip(cuts, bounds, strict=True)]
    return line.split()


def transcode(path: Path, encoding: str, gz: bool) -> Path:
    """Stream a non-UTF-8 text file into a temporary UTF-8 file (never read whole)."""
    out = tmp_path(".csv")
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


def has_header(rows: list[list[str]]) -> bool:
    """False when the first line already holds data: most of its fields are numbers or dates,
    like the line after it (a header names its columns in words)."""
    from core.ingest.guess import looks_like_value

    if len(rows) < 2:
        return True
    first, second = rows[0], rows[1]
    both = sum(1 for a, b in zip(first, second) if looks_like_value(a) and looks_like_value(b))
    return both < max(1, (len(first) + 1) // 2)


def split_to_tsv(path: Path, encoding: str, gz: bool, layout: str, cuts: list[int] | None) -> Path:
    """Stream a space- or fixed-width-separated file into a temporary UTF-8 TSV file."""
    out = tmp_path(".tsv")
    opener = gzip.open if gz else open
    try:
        with opener(path, "rt", encoding=encoding, errors="strict", newline="") as src, \
                open(out, "w", encoding="utf-8", newline="") as dst:
            writer = csv.writer(dst, delimiter="\t", lineterminator="\n")
            for line in src:
                line = line.rstrip("\r\n").lstrip("\ufeff")
                if line.strip():
                    writer.writerow(split_line(line, layout, cuts))
    except UnicodeDecodeError as err:
        out.unlink(missing_ok=True)
        raise SourceError(
            f"{path.name}: bytes at offset {err.start} are not valid {encoding}. Save the file "
            "again as UTF-8 and import it again."
        ) from err
    return out


def longest_line(path: Path, limit: int) -> tuple[int, int]:
    """(1-based number, bytes) of the first line of ``path`` (plain or gzipped) over ``limit``
    bytes, else of the longest."""
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    best, length, line = (1, 0), 0, 1
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh:
        while chunk := fh.read(8 << 20):
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                length += end - start
                if length > best[1]:
                    best = (line, length)
                if length > limit:
                    return best
                line, length, start = line + 1, 0, end + 1
            length += len(chunk) - start
    if length > best[1]:
        best = (line, length)
    return best


def refuse_open_quote_on_first_line(line: str, delimiter: str, path: Path) -> None:
    """A quote opened on the first line and never closed there makes the whole file one header
    field: the import would read 0 lines and say nothing (the rows' own broken quotes are
    found later, by line, in ``plan.refuse_swallowed``)."""
    try:
        list(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error:
        raise SourceError(
            f"{path.name}: line 1 opens a quote (\") that never closes on that line, so the "
            "whole file would read as one column name. Close or remove the quote in the first "
            "line (or save the file again from the spreadsheet) and import it again.") from None
