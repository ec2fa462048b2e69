"""Facts derived from the store: what the shop sells, to whom, and when - read, never written.

    catalog.py    products with their merchant-facing fields, sales by context, re-buy intervals,
                  content vectors (read once per shop)
    sequences.py  the shop's events as the models' EventLog (consenting customers only); the
                  data fingerprint that keys every cache
    features.py   per-customer behaviour: recency, frequency, money, basket, when/where/how shares
    rfm.py        RFM scores and Shopify's eleven groups
    value.py      12-month value and churn risk, checked on a later period
    backtest.py   the value model checked forward: fitted at a past date, scored on the window after
    overview.py   the Overview page's numbers: KPIs with deltas, revenue over time, breakdowns
    charts.py     the Overview page's figures
    money.py      amounts in the shop's currency: text, hover templates, column formats, titles
    style.py      the palette and layout every figure shares

Public face: ``catalog.load``, ``sequences.event_log``, ``sequences.fingerprint``,
``features.numeric``, ``overview.kpis``.
"""
