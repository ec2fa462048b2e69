"""The importer: a merchant's exports into the shop's store, whole or not at all.

    ingest.py     plan files or folders, preview, remap, and the one-transaction import
    plan.py       TablePlan, Rejection, TableReport, ImportReport, IngestError (shared types)
    readers.py    recognise a file: format, encoding, delimiter; the SQL that streams it
    presets.py    what each kind of table needs, the known export layouts, generic guessing
    olist.py      the Olist multi-table layout (nine related files as one shop)
    pii.py        personal data: columns found by name and content, kept out; free text scrubbed
    checks.py     validation rules as SQL over a staged table; number and id normalisation
    dates.py      the date format of a column, decided once from the whole column
    load.py       stage one table: type, check, pseudonymise, find repeated lines
    land.py       write a staged table into the shop's tables (suppression, objections, retention)

Public face: ``ingest.plan_paths``, ``ingest.run_import``, ``ingest.import_paths``,
``plan.ImportReport``, ``plan.IngestError``.
"""
