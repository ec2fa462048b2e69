"""What an import is made of and what it reports: the plan of one table, a rejected line, the
report of one table and of the whole import, and the error that stops one. Shared by every
step of ``core.ingest`` (planning, staging, landing), so none of them imports another's code
for its types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from core.ingest import readers
from core.ingest.presets import Mapping

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
