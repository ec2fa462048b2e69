"""Labels read from a shop's data (categories, channels, regions, titles, segment names) shown
exactly as written: never as Markdown, never as HTML, never as a link or an image.

``plain_text`` is for Streamlit's Markdown-rendering calls (``st.markdown``, ``st.caption``,
``st.info``, ``st.write``, widget labels...): every Markdown special is backslash-escaped and
``<``/``>``/``&`` become HTML entities, so ``![x](http://evil/x.png)`` or ``<img src=...>`` stays
text and fetches nothing. ``plotly_text`` is for plotly's text, hover text and tick labels, which
render a subset of HTML (``<b>``, ``<a href>``, ``<br>``...): ``&``, ``<`` and ``>`` become
entities. ``plain_figure`` applies ``plotly_text`` to every text a figure's traces carry (values
on category axes, text, hover text, names, labels, customdata), so a chart function cannot
forget a label; ``core.shop.style.layout`` calls it for every shoplens figure. Hover templates
and titles are the code's own and keep their tags.
Plain widget options (selectbox, multiselect), dataframes and ``st.text`` need neither: they
show text as text. Radio options, tab, expander, metric and widget labels render Markdown.

Streamlit's Markdown also knows ``:red[x]`` colour directives, ``:material/icon:`` icons (its
front end rewrites ``:material/`` before parsing), ``$LaTeX$`` and emoji shortcodes such as
``:fire:``, which its emoji plugin replaces in the parsed text, after escapes are undone. The
backslash before every ``:``, ``[`` and ``$`` stops the first three; a word joiner (U+2060,
invisible) after a ``:`` that starts a shortcode-like word stops the last. GitHub's autolinks
(``http://...``, ``www.``, ``name@host``) are likewise found in the parsed text, escapes or
not, so a word joiner goes after ``://``'s colon, after ``www`` and after ``@``.
"""

from __future__ import annotations

import html
import re
from typing import Any

WORD_JOINER = "\u2060"
_BREAKS = re.compile(r":(?=[\w/+-]+:)"  # ":fire:", ":+1:", ":material/home:" - emoji-like codes
                     r"|:(?=//)|(?i:\bwww)(?=\.)|@")  # autolinks: "http://", "www.", "a@b.c"
# trace attributes whose strings plotly draws (tick labels come from x/y category values)
_FIGURE_TEXT = ("x", "y", "text", "hovertext", "name", "labels", "customdata", "legendgroup",
                "theta", "r", "lat", "lon", "locations")

_MARKDOWN = "\\`*_{}[]()#+-.!|~$:"  # ':' ends emoji / material shortcodes; '.' ends "1." lists


def plain_text(value: object) -> str:
    """``value`` as text that Markdown and HTML show literally."""
    text = _BREAKS.sub(lambda m: m.group(0) + WORD_JOINER, str(value))
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


def _escape_strings(value: Any) -> Any:
    if isinstance(value, str):
        return plotly_text(value)
    if isinstance(value, (list, tuple)):
        return [_escape_strings(v) for v in value]
    if hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "OUS":  # numpy text arrays
        return [_escape_strings(v) for v in value.tolist()]
    return value


def plain_figure(fig: Any) -> Any:
    """Every label a plotly figure's traces carry escaped with ``plotly_text``, in place; returns
    ``fig``. Numbers and dates are left as they are; ``ids``/``parents`` (never drawn) too."""
    for trace in fig.data:
        for attr in _FIGURE_TEXT:
            try:
                value = trace[attr]
            except (KeyError, ValueError):
                continue  # this trace type has no such attribute
            if value is not None:
                escaped = _escape_strings(value)
                if escaped is not value:
                    trace[attr] = escaped
    return fig
