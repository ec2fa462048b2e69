"""The importer: a merchant's exports into the shop's store, whole or not at all.

    ingest.py     plan files or folders, preview, remap, and the one-transaction import
    plan.py       TablePlan, Rejection, TableReport, ImportReport, IngestError, ImportRefused;
                  refusals (nothing accepted, a mapped list/map column); the memory an import
                  may use (SHOPLENS_IMPORT_MEMORY), out-of-memory advice
    readers.py    recognise a file: format (CSV, Parquet, Excel, JSON); the SQL that streams it;
                  Parquet structs as parent.child columns, list/map columns marked
    text.py       plain text: encoding, delimiter / spaces / fixed width, header or not, copies,
                  the longest line
    presets.py    what each kind of table needs (Mapping), the known export layouts
    guess.py      an unknown layout's columns from their names and contents, with confidence
    olist.py      the Olist multi-table layout (nine related files as one shop)
    pii.py        personal data: columns found by name and content, kept out; free text scrubbed
    checks.py     validation rules as SQL; numbers, ids, and each date column's format
    load.py       stage one table: type, check, pseudonymise, find repeated lines
    sanity.py     whole-table checks (a line total read as a unit price), the currency of the
                  amounts, and assumptions said
    land.py       write a staged table into the shop's tables (suppression, objections, retention)

Public face: ``ingest.plan_paths``, ``ingest.run_import``, ``ingest.import_paths``,
``plan.ImportReport``, ``plan.IngestError`` (and ``plan.ImportRefused``: nothing accepted,
nothing written, the report attached).
"""
