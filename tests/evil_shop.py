"""A demo-sized shop whose imported labels are Markdown and HTML attacks (issue 15), shared by
the AppTest and the browser tests of ``test_labels.py`` / ``test_browser.py``.

Product titles, categories, brands, channels, devices, regions, countries and cities are
rewritten through the store after a small demo import, so every page (segment names, reasons,
fairness groups, charts) meets them; a GRU is trained for two epochs, the default segments are
built and one A/B run is saved, so no page stops at "train a model first".
"""

from __future__ import annotations

from pathlib import Path

EVIL = ["![x](http://evil.example/x.png)", "<img src=http://evil.example/y.png>",
        "[link](http://evil.example)", ":red[boom]", "$x^2$", "**bold**"]
# what must never appear in a Markdown body sent to the browser (an image, a tag, a link target)
RAW = ("![", "<img", "](http")


def build(home: Path) -> Path:
    """Create the shop ``demo`` in the data folder ``home`` (SHOPLENS_HOME must point at it)."""
    from core.abtest import abtest
    from core.abtest.policies import Arm
    from core.demo import demo
    from core.demo.config import SynthConfig
    from core.learn import embeddings
    from core.segments import defaults
    from core.store.store import Store

    demo.create_demo_shop("demo", SynthConfig(n_customers=400, n_products=60, days=180, seed=5))
    with Store.open("demo") as store:
        _rename(store)
        embeddings.train(store, "gru", epochs=2, seed=0)
        defaults.build_after_training(store)
        plan = abtest.Plan([Arm("A", "popularity"), Arm("B", "itemknn")], days=7, repeats=0,
                           ope_rounds=0)
        abtest.save(store, abtest.simulate_shop(store, plan), "labels")
    return home


def _rename(store) -> None:  # noqa: ANN001 - a core.store.store.Store
    """Every label column rewritten to one of the attacks (a few values each, so groups remain)."""
    n = len(EVIL)
    with store.transaction() as tx:
        for i, (pid,) in enumerate(tx.rows("SELECT product_id FROM products ORDER BY product_id")):
            tx.execute("UPDATE products SET title = ?, category = ?, brand = ? WHERE product_id = ?",
                       [f"{EVIL[i % n]} {i}", EVIL[(i // 7) % n], EVIL[(i + 2) % n], pid])
        for column in ("channel", "device", "region", "country"):
            values = [v for (v,) in tx.rows(f'SELECT DISTINCT "{column}" FROM events WHERE "{column}" '
                                            f'IS NOT NULL ORDER BY 1')]
            for i, old in enumerate(values):
                tx.execute(f'UPDATE events SET "{column}" = ? WHERE "{column}" = ?',
                           [EVIL[(i + 1) % n], old])
        for column in ("region", "country", "city"):
            values = [v for (v,) in tx.rows(f'SELECT DISTINCT "{column}" FROM customers WHERE "{column}" '
                                            f'IS NOT NULL ORDER BY 1')]
            for i, old in enumerate(values):
                tx.execute(f'UPDATE customers SET "{column}" = ? WHERE "{column}" = ?',
                           [EVIL[(i + 3) % n], old])
