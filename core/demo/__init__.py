"""The demo shop: a generated year of a small shop, with planted ground truth for tests.

    demo.py       the demo shop: generated, then imported through the ordinary importer
    synth.py      the generator's public face: generate_* , iter_event_chunks, write_demo
    config.py     SynthConfig (size, period, seed) and the columns of the export files
    personas.py   the eight planted personas and the static customer tables
    catalog.py    the static product tables: categories, brands, review phrases
    products.py   the catalogue and each product's hidden attributes (quality, style)
    customers.py  the customer table: persona, city, signup date, demographics
    sessions.py   when customers shop: the seasonal calendar and the session plan
    events.py     events and reviews, one customer chunk at a time
    streams.py    seeded random streams and vectorised categorical draws
    files.py      the streaming CSV / Parquet writer
    spend_only.py a CDNOW-like spend-only history (customer, date, items, amount) as text
    kinds/        shops of other kinds as merchants' export files (kinds/grocery.py: 65,000
                  products, ``shoplens demo --kind grocery``)

Public face: ``demo.create_demo_shop``, ``demo.source_folder``, ``synth.write_demo``,
``config.SynthConfig``. The same config always gives byte-identical files.
"""
