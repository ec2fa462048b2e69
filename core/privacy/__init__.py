"""Privacy operations on a shop: erasure, consent, retention, a customer's own data.

    erasure.py     erase customers everywhere, keep a suppression token so re-imports cannot
                   bring them back, rewrite the file
    consent.py     objections to profiling and their withdrawal (also before a customer arrives)
    retention.py   a retention period and the purge of older events
    retraining.py  which models were trained on data that is gone
    access.py      a customer's export (JSON or a CSV zip)
    audit.py       the audit log: what was done and when, never who

Keyed-hash pseudonymisation itself lives in ``core.store.pseudonym`` (the importer needs it);
personal columns are found at import by ``core.ingest.pii``.
"""
