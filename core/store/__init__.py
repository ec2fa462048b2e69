"""The store: one shop's DuckDB file and the files beside it. The only package that imports duckdb.

    store.py      Store (one writer, thread-safe cursors, transactions, compaction), Transaction
    schema.py     the schema as numbered migrations; DATA_TABLES
    config.py     where shoplens keeps its files: the data folder, shop names, shop files
    pseudonym.py  the shop's secret and keyed hashes: customer keys, suppression and objection tokens
    artifacts.py  trained models as versioned, checksummed folders; the one in use, candidates;
                  every load failure a recorded refusal, the next good model served
    fallback.py   which model is served when the one asked for is refused: the next good one
    manifests.py  a model manifest's HMAC (the shop's secret), its checks, the refusals recorded
    resign.py     `shoplens models --re-sign`: sign the manifests of models saved before signing
    jobs.py       long work on a background thread: progress, cancel, the latest result, exit
    scratch.py    converted and uploaded copies of imports: owned by a process, swept at start
    settings.py   a shop's named settings (retention, remembered layouts, currency)
    currency.py   the currencies shoplens knows, reading one from text, the shop's currency

Public face: ``Store.open(shop)``, ``Store.df/rows/scalar/transaction``, ``config.home``,
``pseudonym.pseudonymize``, ``artifacts.save/load/latest_id/promote``,
``fallback.load_usable/first_usable``, ``jobs.JobRunner``.
"""
