"""Import a shop's exports into its store: plan, validate, report, and land whole or not at all.

``plan_paths`` turns files or folders into ``TablePlan``s (one per table: the kind, the column
mapping, and the SQL that streams the file). ``run_import`` validates every row in DuckDB,
pseudonymises customer ids, drops duplicate lines, and writes everything in one transaction:
an import either lands whole or not at all, and importing the same file again adds nothing.
Every line read ends as exactly one of accepted, rejected or returned/cancelled, so the
report always reconciles with the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.ingest import guess, pii, presets, readers, sanity
from core.ingest.guess import Profile
from core.ingest.land import land_table
from core.ingest.load import stage_table
from core.ingest.plan import (
    ImportRefused,
    ImportReport,
    IngestError,
    Progress,
    TablePlan,
    TableReport,
    check_nested,
    effective_memory_limit,
    explain_out_of_memory,
    import_memory_limit,
    is_out_of_memory,
    nested_left_out,
    refuse_if_nothing_accepted,
)
from core.ingest.presets import Mapping
from core.store import currency as shop_currency
from core.store import settings
from core.store.store import Store, is_duckdb_error

log = logging.getLogger(__name__)
SUPPORTED = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".json", ".jsonl", ".ndjson", ".gz")
KIND_ORDER = {"products": 0, "customers": 1, "events": 2, "reviews": 3}
PROFILE_ROWS = 2000  # the first rows whose contents help guess an unknown layout


# -- planning -------------------------------------------------------------------------------

def _describe(store: Store) -> Callable[[str, dict[str, Any]], list[str]]:
    def describe(relation: str, params: dict[str, Any]) -> list[str]:
        return [row[0] for row in store.rows("DESCRIBE SELECT * FROM " + relation, params)]
    return describe


def plan_file(store: Store, path: Path, preset: str | None = None,
              mapping: Mapping | None = None) -> TablePlan:
    """Plan the import of one file: recognise it and map its columns (a known layout, the
    mapping the shop confirmed for this layout before, or a guess from names and contents)."""
    try:
        source = readers.open_source(path, _describe(store))
    except readers.SourceError as err:
        raise IngestError(str(err)) from err
    try:
        return _plan_source(store, source, preset, mapping)
    except Exception as err:
        source.cleanup()
        if is_duckdb_error(err):
            raise IngestError(readers.explain_read_error(err, source.path)) from err
        raise


def _plan_source(store: Store, source: readers.Source, preset: str | None,
                 mapping: Mapping | None) -> TablePlan:
    if source.format == "parquet" and not store.scalar(
            "SELECT count(*) FROM " + source.relation, source.params):
        raise IngestError(f"{source.name} has no rows: export the table again with its rows.")
    chosen = mapping
    if chosen is None and preset not in (None, "generic"):
        chosen = presets.detect(source.columns, preset)
    if chosen is None and preset is None:
        chosen = presets.match(source.columns) or recall(store, source.columns)
    if chosen is None:
        chosen = presets.guess_generic(source.columns, profiles=profiles(store, source))
    rejects = ["csv_rejects"] if source.format == "csv" else []
    label = pii.scrub_text(source.name)  # a file named after a person's e-mail is not stored as such
    return TablePlan(chosen.kind, chosen, label, source.relation, dict(source.params),
                     source.columns, [source], rejects_tables=rejects)


def profiles(store: Store, source: readers.Source) -> dict[str, Profile]:
    """What the first rows of each column look like (for guessing an unknown layout)."""
    frame = store.df("SELECT * FROM " + source.relation + " LIMIT " + str(PROFILE_ROWS),
                     source.params)
    return {c: guess.profile(c, frame[c]) for c in source.columns
            if c in frame.columns and c not in source.nested}


# -- remembered layouts ---------------------------------------------------------------------

def layout_key(columns: list[str]) -> str:
    """One file layout: its column names in order (normalised), hashed."""
    names = "\x1f".join(guess.norm(c) for c in columns)
    return "layout:" + hashlib.sha256(names.encode()).hexdigest()[:16]


def recall(store: Store, columns: list[str]) -> Mapping | None:
    """The mapping this shop imported a file of this layout with before, if any."""
    raw = settings.get(store, layout_key(columns))
    if not raw:
        return None
    mapping = Mapping.from_dict(json.loads(raw), "remembered")
    if not set(mapping.columns.values()) <= set(columns):
        return None
    return mapping


def remember(tx: Any, plan: TablePlan) -> None:
    """Keep a confirmed mapping of a layout no preset knows, for the next export like it."""
    if plan.mapping.preset not in ("generic", "remembered"):
        return
    settings.put(tx, layout_key(plan.columns), json.dumps(plan.mapping.to_dict()))


def plan_paths(store: Store, paths: list[Path | str], preset: str | None = None,
               within: Callable[[Path], Path] | None = None) -> list[TablePlan]:
    """Plan files and folders. A folder is a set of related tables (Olist, shoplens, ...).

    ``within`` (the Data page passes ``core.guard.folders.check``) is asked about every file a
    folder would have read, after links are resolved: a link inside the folder that leads out of
    the allowed folders is refused, naming the link. ``None`` (the CLI) reads anything given."""
    from core.ingest import olist
    plans: list[TablePlan] = []
    try:
        for raw in paths:
            path = Path(raw)
            if not path.exists():
                raise IngestError(f"{path} does not exist: check the path and try again.")
            if path.is_dir():
                if within is not None:
                    _check_folder(path, within)
                if olist.is_olist_folder(path):
                    plans.extend(olist.plan_folder(store, path))
                    continue
                files = sorted(p for p in path.iterdir()
                               if p.is_file() and p.suffix.lower() in SUPPORTED
                               and not p.name.startswith("."))
                if not files:
                    raise IngestError(
                        f"{path} holds no CSV, TSV, Parquet, Excel or JSON files to import."
                    )
                plans.extend(plan_file(store, f, preset) for f in files)
            else:
                plans.append(plan_file(store, path, preset))
    except BaseException:
        cleanup(plans)  # temporary copies of files planned before the failure
        raise
    return sorted(plans, key=lambda p: KIND_ORDER[p.kind])


def _check_folder(folder: Path, within: Callable[[Path], Path]) -> None:
    """Every entry of ``folder`` that planning could read (a supported name, a file or a link to
    a folder) resolved and passed to ``within``; the first refusal as an ``IngestError``."""
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.suffix.lower() not in SUPPORTED and not entry.is_symlink():
            continue
        try:
            within(entry)
        except ValueError as err:
            raise IngestError(
                f"{entry} in the folder {folder} is a link to {entry.resolve()}, outside the folders "
                "this dashboard may read: nothing was read. Remove the link, copy the file itself into "
                "the folder, or upload it instead.") from err


def cleanup(plans: list[TablePlan]) -> None:
    """Remove the temporary files (converted text, Excel sheets) that planning made."""
    for plan in plans:
        for source in plan.sources:
            source.cleanup()


def remap(plan: TablePlan, kind: str | None = None, columns: dict[str, str] | None = None,
          date_format: str | None = None, sample: Any = None) -> TablePlan:
    """The plan with the user's choices: another kind of table (guessed again, from the
    ``sample`` rows' contents too when given), other columns, a date format."""
    mapping = plan.mapping
    if kind and kind != mapping.kind:
        found = {c: guess.profile(c, v) for c, v in sample.items()} if sample is not None else None
        mapping = presets.guess_generic(plan.columns, kind, found)
    if columns is not None:
        unknown = [c for c in columns.values() if c and c not in plan.columns]
        if unknown:
            raise IngestError(f"{plan.label} has no column {unknown[0]!r}.")
        mapping = mapping.with_columns(columns)
    if date_format:
        mapping = replace(mapping, date_format=date_format)
    return replace(plan, kind=mapping.kind, mapping=mapping)


ADVICE = {
    "page": "Choose a column for each of them in the mapping editor (fields marked *).",
    "cli": "Map them with --map FIELD=COLUMN (for example --map ts=\"Order Date\"), or name a "
           "layout with --preset.",
}


def check_plan(plan: TablePlan, where: str = "page") -> None:
    """Raise one clear error naming every required field without a column (with suggested
    columns) and what to do where the user is (``where``: "page" or "cli")."""
    check_nested(plan, where)
    missing = plan.mapping.missing_required()
    if not missing:
        return
    parts = []
    for f in missing:
        hint = presets.suggest_columns(plan.columns, f)
        parts.append(f"'{f}' ({presets.FIELD_HELP.get(f, f)})"
                     + (f" - perhaps column {', '.join(repr(h) for h in hint)}?" if hint else ""))
    raise IngestError(
        f"{plan.label}: read as a table of {plan.kind}, but no column was found for "
        + "; ".join(parts) + f". Its columns are: {', '.join(plan.columns)}. "
        + ADVICE.get(where, ADVICE["page"])
    )


def preview(store: Store, plan: TablePlan, n: int = 20) -> Any:
    """The first ``n`` rows of a planned table, as read (a DataFrame)."""
    return store.df("SELECT * FROM " + plan.relation + " LIMIT " + str(int(n)), plan.params)


# -- running --------------------------------------------------------------------------------

def fingerprint(paths: list[Path]) -> str:
    """A quick identity of the files: sha256 over each file's size, first and last MiB."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        size = path.stat().st_size
        digest.update(f"{path.name}:{size}".encode())
        with open(path, "rb") as fh:
            digest.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(-(1 << 20), 2)
                digest.update(fh.read())
    return digest.hexdigest()


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def run_import(store: Store, plans: list[TablePlan], dry_run: bool = False,
               progress: Progress | None = None, where: str = "page") -> ImportReport:
    """Validate and import the planned tables in one transaction (rolled back on dry runs);
    a mapping no preset knows is remembered for the next file of the same layout."""
    started = time.perf_counter()
    say = progress or (lambda _f, _m: None)
    report = ImportReport(store.shop, [], dry_run=dry_run)
    limit = None
    try:
        for plan in plans:
            check_plan(plan, where)
        limit = effective_memory_limit(store, import_memory_limit())
        with store.transaction(memory_limit=limit) as tx:
            import_id = int(tx.scalar("SELECT coalesce(max(import_id), 0) + 1 FROM imports"))
            for i, plan in enumerate(plans):
                base, span = i / len(plans), 1 / len(plans)
                say(base, f"Reading {plan.label}")
                table = TableReport(plan.label, plan.kind, plan.mapping.preset)
                # Personal columns leave the mapping before anything is read into a table.
                plan = pii.guard_plan(tx, plan, table)
                check_plan(plan, where)
                table.columns = dict(plan.mapping.columns)
                table.warnings += nested_left_out(plan)
                table.confidence = {f: c.confidence for f, c in plan.mapping.confidence.items()}
                stage_table(tx, plan, table, store)
                sanity.adopt_currency(tx, plan, table, store.shop, where)
                say(base + span * 0.6, f"Writing {plan.label}")
                land_table(tx, plan, table, import_id, store)
                remember(tx, plan)
                report.tables.append(table)
            report.import_id = import_id
            report.currency = shop_currency.currency(tx)
            refuse_if_nothing_accepted(report)  # raises inside: the transaction rolls back
            _record(tx, report, plans)
            if dry_run:
                raise _DryRun
        report.committed = True
    except _DryRun:
        report.committed = False
    except ImportRefused:
        report.committed, report.import_id = False, None
        report.seconds = round(time.perf_counter() - started, 3)
        say(1.0, "Refused: nothing was imported")
        raise
    except Exception as err:
        if is_duckdb_error(err) and is_out_of_memory(err) and limit:
            names = ", ".join(p.label for p in plans)
            raise IngestError(explain_out_of_memory(names, limit)) from err
        if is_duckdb_error(err):
            raise IngestError(_explain(err, plans)) from err
        raise
    finally:
        cleanup(plans)
    report.seconds = round(time.perf_counter() - started, 3)
    say(1.0, "Done" if not dry_run else "Checked (nothing written)")
    log.info("import into %s: %d read, %d accepted, %d rejected in %.2fs", store.shop,
             report.lines_read, report.accepted, report.rejected, report.seconds)
    return report


def _explain(err: BaseException, plans: list[TablePlan]) -> str:
    text = str(err).split("\n")[0]
    names = ", ".join(p.label for p in plans)
    if "Maximum line size" in str(err):
        culprit = next((s.path for p in plans for s in p.sources
                        if s.format == "csv" and s.name in str(err)), None)
        if culprit is not None or len(plans) == 1:
            path = culprit or plans[0].sources[0].path
            return readers.explain_read_error(err, path) + " Nothing was written."
    if "unicode" in text.lower() or "utf-8" in text.lower():
        return (f"{names}: the file has bytes that are not valid UTF-8 beyond its first part. "
                "Save it again as UTF-8 (Excel: 'CSV UTF-8') and import it again.")
    return f"Import of {names} failed and nothing was written: {text}"


def _record(tx: Any, report: ImportReport, plans: list[TablePlan]) -> None:
    files = [s.path for p in plans for s in p.sources if s.path.is_file()]
    tx.execute(
        "INSERT INTO imports VALUES (?, now()::TIMESTAMP, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?)",
        [report.import_id, ", ".join(p.label for p in plans), fingerprint(files),
         ", ".join(sorted({p.mapping.preset for p in plans})),
         ", ".join(sorted({p.kind for p in plans})),
         report.lines_read, report.accepted, sum(t.fixed for t in report.tables),
         report.rejected, sum(t.returns for t in report.tables),
         sum(t.inserted for t in report.tables), sum(t.already_present for t in report.tables),
         json.dumps(report.to_dict(rejections=0), default=str)],
    )


def import_paths(store: Store, paths: list[Path | str], preset: str | None = None,
                 dry_run: bool = False, progress: Progress | None = None,
                 where: str = "page") -> ImportReport:
    """Plan and import files or folders in one go."""
    return run_import(store, plan_paths(store, paths, preset), dry_run, progress, where)
