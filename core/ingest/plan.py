"""What an import is made of and what it reports: the plan of one table, a rejected line, the
report of one table and of the whole import, the errors that stop one (a mapped list/map column,
nothing accepted), and the memory an import may use. Shared by every step of ``core.ingest``
(planning, staging, landing), so none of them imports another's code for its types.

The memory an import may use (DuckDB's ``memory_limit`` while it runs): with no limit DuckDB
takes up to 80% of the computer's memory, and a big export on a small laptop leaves nothing
for anything else. Imports run under ``SHOPLENS_IMPORT_MEMORY`` (for example ``2GB``), by
default a quarter of the memory, at most 4 GB. DuckDB spills what does not fit to disk; what
cannot spill ends in an out-of-memory error that the importer explains. The limit is the whole
database's setting (DuckDB has none per connection): the owning connection sets it for the
import's transaction and puts it back afterwards (``Store.transaction(memory_limit=)``), never
above what the store was opened with (``Store.open(memory_limit=...)``). The floor, 64 MB,
keeps room for what ``readers`` bounds already: DuckDB's CSV buffer (``CSV_BUFFER_BYTES``,
16 MB) above the longest line allowed (``MAX_LINE_BYTES``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.ingest import readers
from core.ingest.presets import Mapping
from core.store.store import Store, Transaction, quote_ident

Progress = Callable[[float, str], None]


class IngestError(ValueError):
    """An import that cannot start or must stop, with the file and what to do."""


class ImportRefused(IngestError):
    """Nothing in the import could be accepted (every line of every file was rejected): the
    import is refused and writes nothing, not even its record or its rejections. ``report`` is
    the uncommitted report, with every rejection, for the user to see why."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class TablePlan:
    """One table to import: what it is, how its columns map, and how to stream it."""

    kind: str
    mapping: Mapping
    label: str  # the file name shown in reports
    relation: str  # SQL table expression producing the source columns
    params: dict[str, Any]
    columns: list[str]
    sources: list[readers.Source] = field(default_factory=list)
    row_column: str | None = None  # a source column that already numbers the rows
    rejects_tables: list[str] = field(default_factory=list)  # DuckDB CSV reject tables


@dataclass
class Rejection:
    file: str
    row: int
    column: str
    value: str | None
    rule: str
    problem: str
    suggestion: str


@dataclass
class TableReport:
    """What happened to every line of one table."""

    file: str
    kind: str
    preset: str
    lines_read: int = 0
    accepted: int = 0
    fixed: int = 0
    rejected: int = 0
    returns: int = 0  # returns and cancellation lines (not sales)
    cancelled_orders: int = 0  # lines of cancelled orders, kept as cart events
    inserted: int = 0
    already_present: int = 0
    guests: int = 0
    non_product: int = 0
    free: int = 0  # purchase lines at price 0 (free items, gifts): purchases, no revenue
    date_format: str | None = None
    currency: str | None = None  # the currency the file's amounts are in, when it says
    columns: dict[str, str] = field(default_factory=dict)  # field -> the column that fed it
    confidence: dict[str, str] = field(default_factory=dict)  # guessed fields: high/medium/low
    fixes: dict[str, int] = field(default_factory=dict)
    personal_data: dict[str, str] = field(default_factory=dict)  # column -> kind (pii.KINDS)
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def reconciles(self) -> bool:
        """accepted + rejected + returns/cancellations = lines read."""
        return self.accepted + self.rejected + self.returns == self.lines_read


@dataclass
class ImportReport:
    """The result of one import (or dry run) of one or more tables."""

    shop: str
    tables: list[TableReport]
    import_id: int | None = None
    committed: bool = False
    dry_run: bool = False
    seconds: float = 0.0
    currency: str | None = None  # the shop's currency after the import (None: plain numbers)
    refused: str | None = None  # why nothing was imported (``ImportRefused``), if so

    @property
    def accepted(self) -> int:
        return sum(t.accepted for t in self.tables)

    @property
    def rejected(self) -> int:
        return sum(t.rejected for t in self.tables)

    @property
    def lines_read(self) -> int:
        return sum(t.lines_read for t in self.tables)

    def to_dict(self, rejections: int = 20) -> dict[str, Any]:
        """A JSON-ready summary with the first ``rejections`` rejected rows of each table."""
        out = asdict(self)
        for table in out["tables"]:
            table["rejections"] = table["rejections"][:rejections]
        out.update(accepted=self.accepted, rejected=self.rejected, lines_read=self.lines_read)
        return out


# -- refusals -------------------------------------------------------------------------------

def nested_columns(plan: TablePlan) -> dict[str, str]:
    """The plan's list and map columns (Parquet), each with what it holds."""
    return {c: what for source in plan.sources for c, what in source.nested.items()}


def check_nested(plan: TablePlan, where: str) -> None:
    """Refuse a list or map column mapped to a field, naming the file and the column, with what
    to do where the user is (``where``: "page" or "cli")."""
    nested = nested_columns(plan)
    for f, column in plan.mapping.columns.items():
        if column in nested:
            undo = ("choose '(not in this file)' or another column for it in the mapping editor"
                    if where == "page" else f"map it to another column with --map {f}=COLUMN, "
                    f"or leave it out with --map {f}=")
            raise IngestError(
                f"{plan.label}: column {column!r} holds {nested[column]} (a nested Parquet "
                f"column), which cannot be imported as '{f}': {undo}, or export {column!r} as "
                "plain values (one per row).")


def nested_left_out(plan: TablePlan) -> list[str]:
    """Report notes for the list and map columns no field is mapped to."""
    used = set(plan.mapping.columns.values())
    return [f"Column {c!r} holds {what} (a nested Parquet column) and was left out: no field is "
            "mapped to it." for c, what in nested_columns(plan).items() if c not in used]


def refuse_if_nothing_accepted(report: ImportReport) -> None:
    """An import in which not one line of any file was accepted is refused: it writes nothing
    (no ``imports`` row, no rejections). In a multi-file import where some file imports, a file
    whose every line was rejected still lands its rejections with the rest. A dry run keeps its
    report with the same words as a warning."""
    if report.accepted + sum(t.returns for t in report.tables) > 0 or not report.tables:
        return
    parts = []
    for t in report.tables:
        first = t.rejections[0] if t.rejections else None
        example = (f" (for example row {first.row}, column '{first.column}': {first.problem}"
                   + (f"; {first.suggestion}" if first.suggestion else "") + ")") if first else ""
        parts.append(f"{t.file}: every one of its {t.rejected:,} lines was rejected{example}")
    text = ("; ".join(parts) + ". Nothing was imported and nothing was written. Check the "
            "mapping (or the file's format) and import it again.")
    report.refused = text
    if report.dry_run:
        for t in report.tables:
            t.warnings.append(text)
        return
    raise ImportRefused(text, report)


def refuse_swallowed(tx: Transaction, plan: TablePlan, table: str, path: Path) -> None:
    """A quote that never closes, or a line over the limit, swallows the lines after it: they
    would silently go missing from the report, so the import stops and names the line."""
    line, message = tx.rows(
        "SELECT min(line), min(error_message) FROM " + quote_ident(table) + " WHERE error_message "
        "ILIKE '%unterminated quote%' OR error_message ILIKE '%maximum line size%'")[0]
    if line is None:
        return
    if "line size" in str(message).lower():
        raise IngestError(readers.explain_read_error(RuntimeError(message), path)
                          + " Nothing was written.")
    raise IngestError(
        f"{plan.label}: line {int(line):,} opens a quote (\") that never closes, so every line "
        "after it would read as one field. Close or remove the quote on that line (or save the "
        "file again from the spreadsheet) and import it again. Nothing was written.")


# -- the memory an import may use -----------------------------------------------------------

MEMORY_ENV = "SHOPLENS_IMPORT_MEMORY"
MIN_MEMORY = 64 * 10**6
MAX_DEFAULT_MEMORY = 4 << 30
MEMORY_FRACTION = 0.25
FALLBACK_MEMORY = 2 << 30  # when the computer's memory cannot be read
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a size such as ``2GB``, ``512MB`` or ``1.5GiB``; ``ValueError`` if not one."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size: write it like 2GB or 512MB.")
    return int(float(match.group(1)) * _UNITS[unit])


def total_memory() -> int | None:
    """The computer's memory in bytes, or None where the system does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def import_memory_limit() -> int:
    """The memory an import may use in bytes: ``SHOPLENS_IMPORT_MEMORY``, else a quarter of the
    computer's memory (at most 4 GB, at least 64 MB). ``IngestError`` for a value that is not
    a size or is below the floor."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if raw:
        try:
            limit = parse_size(raw)
        except ValueError as err:
            raise IngestError(f"{MEMORY_ENV}={raw!r}: {err} For example {MEMORY_ENV}=2GB.") from err
        if limit < MIN_MEMORY:
            raise IngestError(f"{MEMORY_ENV}={raw!r} is below the {MIN_MEMORY // 10**6} MB an "
                              "import needs at least: set it to 64MB or more (for example "
                              f"{MEMORY_ENV}=2GB).")
        return limit
    total = total_memory()
    if total is None:
        return FALLBACK_MEMORY
    return max(MIN_MEMORY, min(MAX_DEFAULT_MEMORY, int(total * MEMORY_FRACTION)))


def human_bytes(n: int) -> str:
    """A byte count for people: 2.0 GB, 512 MB."""
    return f"{n / 2**30:.1f} GB" if n >= 1 << 30 else f"{n / 2**20:,.0f} MB"


def effective_memory_limit(store: Store, limit: int) -> int:
    """``limit``, or the store's own limit where that is lower (``Store.open(memory_limit=)``)."""
    try:
        own = parse_size(str(store.scalar("SELECT current_setting('memory_limit')")))
    except ValueError:
        return limit
    return min(limit, own)


def is_out_of_memory(err: BaseException) -> bool:
    """True for DuckDB's out-of-memory error."""
    return "Out of Memory Error" in str(err)


def explain_out_of_memory(names: str, limit: int) -> str:
    """What to tell the user when an import ran out of its memory."""
    return (f"{names}: the import needed more than its memory limit of {human_bytes(limit)} and "
            f"stopped; nothing was written. Set the environment variable {MEMORY_ENV} higher "
            f"(for example {MEMORY_ENV}=4GB, below this computer's memory) and import again, "
            "or split the file into smaller ones and import them one by one.")
