"""The guard: what a browser reaching the dashboard may do and see (issue 15).

    password.py  the dashboard's optional password: a salted scrypt hash in the data folder
    folders.py   the folders the Data page may read server paths from; a path outside is refused
    plain.py     imported labels shown as text: Markdown and HTML specials escaped (``plain_text``,
                 ``plotly_text``)

Public face: ``password.set_password/clear/is_set/check``, ``folders.allow/remove/allowed/check``,
``plain.plain_text``, ``plain.plotly_text``. It sits on the store's layer (it reads only
``core.store.config``), so every capability package's charts can use ``plain``.
"""
