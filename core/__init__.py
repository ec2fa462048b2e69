"""shoplens core: the product's logic, importable without Streamlit, in packages by capability.

Layers, top to bottom (``tests/test_architecture.py`` holds them; a package imports only from
its own layer or below, and nothing imports in a circle):

    cli/          the `shoplens` command: an interface like pages/, nothing in core imports it
    privacy/      erasure, consent, retention, a customer's export, the audit log
    fairness/     who a model's lists serve well or badly, and which products they expose
    abtest/       a simulated A/B test of recommendation policies, from plan to verdict
    recommend/    one customer's list with reasons under the merchant's controls; lists in batches
    segments/     customer segments: UMAP map, HDBSCAN clusters, profiles and names, exports
    learn/        the shop's trained models: train, load, compare, the ladder of baselines
    shop/         facts derived from the store: catalog, event log, features, RFM, value, overview
    demo/         the demo-shop generator, with planted ground truth for tests
    ingest/       merchants' exports into the store: read, map, check, pseudonymise, land
    store/        the DuckDB file (the only duckdb import), schema, paths, keys, artifacts, jobs

Below them all, ``models/`` (pure PyTorch and numpy) knows tensors, not shops.
"""

__version__ = "0.1.0"
