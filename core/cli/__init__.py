"""The `shoplens` command: an interface like pages/, built on core; nothing in core imports it.

    main.py       the parser and ``main``: errors become one line and exit code 2
    data.py       `shoplens import`, `demo`, `shops`; the progress line shared by commands
    learn.py      `shoplens train`, `segments`
    recommend.py  `shoplens recommend` (one customer, or every customer to a CSV)
    simulate.py   `shoplens simulate` (an A/B test of arms)
    privacy.py    `shoplens erase`, `consent`, `export-customer`, `retention`, `fairness`
    guard.py      `shoplens password set|clear`, `folders allow|list|remove` (core.guard)

``python -m core.cli`` runs the same command (``__main__.py``).
"""
