"""Labels read from a shop's data (categories, channels, regions, titles, segment names) shown
exactly as written: never as Markdown, never as HTML, never as a link or an image.

``plain_text`` is for Streamlit's Markdown-rendering calls (``st.markdown``, ``st.caption``,
``st.info``, ``st.write``, widget labels...): every Markdown special is backslash-escaped and
``<``/``>``/``&`` become HTML entities, so ``![x](http://evil/x.png)`` or ``<img src=...>`` stays
text and fetches nothing. ``plotly_text`` is for plotly's text, hover text and tick labels, which
render a subset of HTML (``<b>``, ``<a href>``...): ``&``, ``<`` and ``>`` become entities.
Plain widget options, dataframes and ``st.text`` need neither: they show text as text.
"""

from __future__ import annotations

import html

_MARKDOWN = "\\`*_{}[]()#+-.!|~$:"  # ':' ends emoji / material shortcodes; '.' ends "1." lists


def plain_text(value: object) -> str:
    """``value`` as text that Markdown and HTML show literally."""
    text = str(value)
    out = []
    for ch in text:
        if ch in _MARKDOWN:
            out.append("\\" + ch)
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == "&":
            out.append("&amp;")
        elif ch in "\r\n":
            out.append(" ")  # a label is one line: no heading or list made by a line break
        else:
            out.append(ch)
    return "".join(out)


def plotly_text(value: object) -> str:
    """``value`` as text plotly shows literally (its labels understand a few HTML tags)."""
    return html.escape(str(value), quote=False)
