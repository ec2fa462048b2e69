"""Issue 15: every imported label is shown as text on every page - never Markdown, never HTML.

One shop (``evil_shop``: product titles, categories, brands, channels, devices, regions and
countries written as Markdown images, links, HTML tags, colour directives, LaTeX and bold) is
opened page by page in AppTest. Every string the front end renders as Markdown (bodies,
captions, alerts, widget, metric, tab and expander labels, help texts, radio options) must hold
none of the attacks unescaped, and no plotly figure may hold an HTML tag from the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from evil_shop import EVIL

from tests.conftest import use_home

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["overview", "model", "segments", "customer", "abtest", "fairness", "privacy", "data"]
# proto fields the front end renders as Markdown (options only where the widget renders them so)
MARKDOWN_FIELDS = {"body", "label", "help", "text", "caption"}
MARKDOWN_OPTIONS = {"radio", "pills", "segmented_control", "button_group"}
ATTACKS = ("![", "<img", "](http", ":red[", "$x^2$", "**bold**", "<a ", "://")  # "://": an autolink


@pytest.fixture(scope="module")
def evil_home(evil_labels: Path) -> Iterator[Path]:
    with use_home(evil_labels):
        yield evil_labels


def _strings(message, names: set[str]) -> Iterator[tuple[str, str]]:
    """(field, text) of every string field named in ``names``, nested messages included."""
    for field, value in message.ListFields():
        repeated = isinstance(value, (list, tuple)) or type(value).__name__.startswith("Repeated")
        values = value if repeated else [value]
        for v in values:
            if isinstance(v, str):
                if field.name in names:
                    yield field.name, v
            elif hasattr(v, "ListFields"):
                yield from _strings(v, names)


def _plotly_strings(spec: str) -> Iterator[str]:
    def walk(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)
    yield from walk(json.loads(spec))


def _nodes(node) -> Iterator:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)
    yield node


def unsafe_texts(at) -> list[str]:
    """Every rendered-as-Markdown string, and every plotly string, that carries an attack."""
    found = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        kind = getattr(node, "type", "?")
        if kind == "plotly_chart":
            found += [f"plotly {s[:120]!r}" for s in _plotly_strings(proto.spec) if "<img" in s or "<a " in s]
            continue
        if kind in ("arrow_data_frame", "dataframe"):
            continue  # cells are shown as text
        names = MARKDOWN_FIELDS | ({"options"} if kind in MARKDOWN_OPTIONS else set())
        for field, text in _strings(proto, names):
            if any(a in text for a in ATTACKS):
                found.append(f"{kind}.{field}: {text[:160]!r}")
    return sorted(set(found))


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_an_imported_label_as_markdown_or_html(evil_home: Path, page: str) -> None:
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if page != "overview":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value != "shoplens"  # the page itself ran, not a gate
    found = unsafe_texts(at)
    assert not found, "\n".join(found)


def test_the_shop_really_carries_the_attacks(evil_home: Path) -> None:
    """The check above means something: the labels reach the pages unchanged in the data."""
    from core.store.store import Store
    with Store.open("demo") as store:
        titles = {t for (t,) in store.rows("SELECT title FROM products")}
        channels = {c for (c,) in store.rows("SELECT DISTINCT channel FROM events")}
    assert all(any(e in t for t in titles) for e in EVIL)
    assert channels & set(EVIL)
