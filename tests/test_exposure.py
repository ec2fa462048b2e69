"""The dashboard is not open to the network and shows no traceback, however it is started."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest

from core.guard.plain import plain_text

ROOT = Path(__file__).resolve().parents[1]


def test_the_project_config_binds_this_computer_only() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


# -- item 1: the optional password ------------------------------------------------------------

def test_password_store_right_wrong_cleared(shoplens_home: Path) -> None:
    from core.guard import password
    assert not password.is_set() and password.check("anything")  # no password: nothing asked
    where = password.set_password("correct horse battery")
    assert password.is_set()
    assert password.check("correct horse battery")
    assert not password.check("correct horse batter")
    assert not password.check("")
    assert where.stat().st_mode & 0o777 == 0o600
    raw = where.read_bytes()
    assert b"correct" not in raw and b"horse" not in raw  # only a salted hash on disk
    first_salt = json.loads(raw)["salt"]
    password.set_password("correct horse battery")
    assert json.loads(where.read_bytes())["salt"] != first_salt  # a fresh random salt each time
    assert [p.name for p in where.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert password.clear() and not password.is_set() and password.check("whatever")


def test_password_too_short_and_damaged_file(shoplens_home: Path) -> None:
    from core.guard import password
    with pytest.raises(password.PasswordError, match="too short"):
        password.set_password("short")
    password.path().write_text("{not json", encoding="utf-8")
    with pytest.raises(password.PasswordError, match="shoplens password"):
        password.check("anything at all")


def test_password_cli_set_from_stdin_and_clear(shoplens_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.cli.main import main
    from core.guard import password
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["password", "set"]) == 0
    assert password.check("a long enough secret") and not password.check("a long enough secre")
    assert main(["password", "clear"]) == 0
    assert not password.is_set()


@pytest.fixture
def small_demo(shoplens_home: Path) -> Path:
    from core.demo import demo
    from core.demo.config import SynthConfig
    demo.create_demo_shop("demo", SynthConfig(n_customers=120, n_products=40, days=90, seed=1))
    return shoplens_home


def _app():
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_dashboard_asks_for_the_password_before_any_page(small_demo: Path) -> None:
    from core.guard import password
    password.set_password("open sesame 123")
    at = _app()
    assert [t.value for t in at.title] == ["shoplens"]  # the gate, not the Overview
    assert len(at.sidebar.children) == 0 or not at.sidebar.selectbox  # no shop picker
    assert not at.metric and not at.get("plotly_chart")
    at.text_input(key="password_gate_input").input("wrong guess")  # a form: sent with its button
    at.button[0].click().run()
    assert any("Wrong password" in e.value for e in at.error)
    assert not at.metric and [t.value for t in at.title] == ["shoplens"]
    at.text_input(key="password_gate_input").input("open sesame 123")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Overview"
    assert any(m.label == "Orders" for m in at.metric)
    at.run()  # remembered for the session
    assert at.title[0].value == "Overview"


def test_no_password_set_means_no_prompt(small_demo: Path) -> None:
    at = _app()
    assert at.title[0].value == "Overview"


# -- item 2: allowed folders for server paths on the Data page ------------------------------------

def test_allowed_folders_refuse_escapes(shoplens_home: Path, tmp_path: Path) -> None:
    from core.guard import folders
    allowed = tmp_path / "exports"
    (allowed / "2025").mkdir(parents=True)
    inside = allowed / "2025" / "orders.csv"
    inside.write_text("x\n", encoding="utf-8")
    outside = tmp_path / "private.csv"
    outside.write_text("x\n", encoding="utf-8")
    (allowed / "link.csv").symlink_to(outside)
    with pytest.raises(folders.FolderNotAllowed):
        folders.check(inside)  # nothing allowed yet
    folders.allow(allowed)
    assert folders.allowed() == [allowed.resolve()]
    assert folders.check(inside) == inside.resolve()
    assert folders.check(allowed) == allowed.resolve()
    for escape in (outside, allowed / "link.csv", allowed / "2025" / ".." / ".." / "private.csv",
                   Path("/etc/passwd")):
        with pytest.raises(folders.FolderNotAllowed, match="shoplens folders allow") as err:
            folders.check(escape)
        assert str(escape) in str(err.value)
    assert folders.remove(allowed) and folders.allowed() == []
    with pytest.raises(folders.FolderNotAllowed):
        folders.check(inside)


def test_folders_cli(shoplens_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from core.cli.main import main
    assert main(["folders", "allow", str(tmp_path)]) == 0
    assert main(["folders", "list"]) == 0
    assert str(tmp_path.resolve()) in capsys.readouterr().out
    assert main(["folders", "remove", str(tmp_path)]) == 0
    assert main(["folders", "remove", str(tmp_path)]) == 1
    assert main(["folders", "allow", str(tmp_path / "missing")]) == 2


def test_data_page_refuses_a_path_outside_the_allowed_folders(small_demo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "orders.csv"
    secret.parent.mkdir()
    secret.write_text("order_id,timestamp,sku,qty,price\n1,2025-03-01 10:00,A,1,2.50\n", encoding="utf-8")
    errors, buttons = _typed_path_errors(secret)
    assert any(plain_text(str(secret)) in e and "shoplens folders allow" in e for e in errors), errors
    assert "data_check" not in buttons  # no preview, no check, no import


# -- item 4: imported labels shown as text ------------------------------------------------------

EVIL = ["![x](http://evil.example/x.png)", '<img src="http://evil.example/x.png">', "**bold**",
        '<a href="http://evil.example">click</a>', "# heading", "1. list", ":material/home:"]


def test_plain_text_escapes_markdown_and_html() -> None:
    import re

    from core.guard.plain import plain_text
    for label in EVIL:
        out = plain_text(label)
        assert "<" not in out and ">" not in out  # no HTML tag survives
        # every Markdown special is backslash-escaped (no image, link, bold, heading, list, icon)
        assert not re.search(r"(?<!\\)[!\[\]()*#:]", out.replace("&lt;", "").replace("&gt;", "")), out
    assert plain_text("**bold**") == "\\*\\*bold\\*\\*"
    assert plain_text('<img src="x">') == '&lt;img src="x"&gt;'
    assert plain_text("a\nb") == "a b"


def test_plotly_labels_are_escaped() -> None:
    import pandas as pd

    from core.shop import charts
    df = pd.DataFrame({"value": EVIL[:4], "revenue": [4.0, 3.0, 2.0, 1.0], "orders": [1, 1, 1, 1]})
    fig = charts.breakdown_bar(df, "category")
    assert all("<" not in y for y in fig.data[0].y)
    top = pd.DataFrame({"title": EVIL[:2], "product_id": ["a", "b"], "category": EVIL[2:4],
                        "revenue": [2.0, 1.0], "units": [1, 1]})
    fig = charts.top_products_bar(top)
    assert all("<" not in y for y in fig.data[0].y)
    assert all("<" not in str(c[0]) for c in fig.data[0].customdata)


# -- item 2b: links inside an allowed folder (a typed folder's files are checked one by one) ------

ORDERS = "order_id,timestamp,sku,qty,price\n1,2025-03-01 10:00,A,1,2.50\n"


def _folder_with_links(tmp_path: Path) -> tuple[Path, Path, Path]:
    """An allowed-to-be folder with one real export and links to a file and a folder outside it."""
    allowed = tmp_path / "exports"
    allowed.mkdir()
    (allowed / "orders.csv").write_text(ORDERS, encoding="utf-8")
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "contacts.csv").write_text("customer_id,email,country\n7,someone@example.com,FR\n",
                                          encoding="utf-8")
    (allowed / "customers.csv").symlink_to(outside / "contacts.csv")
    (allowed / "more").symlink_to(outside)
    return allowed, outside / "contacts.csv", allowed / "customers.csv"


def test_a_link_out_of_an_allowed_folder_is_refused_for_the_data_page(store, tmp_path: Path) -> None:
    from core.guard import folders
    from core.ingest import ingest
    from core.ingest.plan import IngestError
    allowed, secret, link = _folder_with_links(tmp_path)
    folders.allow(allowed)
    with pytest.raises(IngestError, match="outside the folders") as err:
        ingest.plan_paths(store, [folders.check(allowed)], within=folders.check)
    assert str(link) in str(err.value) and str(secret) in str(err.value)
    (allowed / "customers.csv").unlink()  # the link to a folder is refused as well
    with pytest.raises(IngestError, match="more"):
        ingest.plan_paths(store, [allowed], within=folders.check)
    (allowed / "more").unlink()
    assert [p.label for p in ingest.plan_paths(store, [allowed], within=folders.check)]


def test_the_cli_still_reads_links_in_a_folder(store, tmp_path: Path) -> None:
    from core.ingest import ingest
    allowed, _, _ = _folder_with_links(tmp_path)
    (allowed / "more").unlink()
    plans = ingest.plan_paths(store, [allowed])  # no `within`: the owner at their terminal
    ingest.cleanup(plans)
    assert len(plans) == 2


def test_data_page_refuses_a_folder_with_a_link_out(small_demo: Path, tmp_path: Path) -> None:
    from core.guard import folders
    allowed, secret, link = _folder_with_links(tmp_path)
    folders.allow(allowed)
    errors, buttons = _typed_path_errors(allowed)
    assert any(plain_text(str(link)) in e and plain_text(str(secret)) in e for e in errors), errors
    assert "data_check" not in buttons  # nothing previewed, nothing to import


@pytest.mark.parametrize("content, click", [
    # a quote opened in the header: refused as soon as the path is typed (it read 0 lines, silently)
    ('order_id,timestamp,sku,qty,"![y](http:evil.example)\n1,2025-03-01,A,1,2\n', None),
    # a quote opened in a row, under an attack column name: refused by the check, naming the line
    ('order_id,timestamp,sku,qty,![y](http:evil.example) <b>c</b>\n1,2025-03-01,A,1,2\n'
     '2,2025-03-01,"B,1,2\n', "data_check"),
])
def test_data_page_errors_quote_attack_file_and_column_names_as_text(
        small_demo: Path, tmp_path: Path, content: str, click: str | None) -> None:
    """An error that quotes a file's name or its contents shows them as text, not Markdown."""
    from core.guard import folders
    allowed = tmp_path / "drop"
    allowed.mkdir()
    name = "![x](http:evil.example) <img src=x> :red[boom].csv"
    bad = allowed / name
    bad.write_text(content, encoding="utf-8")
    folders.allow(allowed)
    errors, _ = _typed_path_errors(bad, click=click)
    assert any(plain_text(name) in e and "never closes" in e for e in errors), errors
    for e in errors:
        assert "![" not in e and "<img" not in e and ":red[" not in e, e


def _typed_path_errors(path: Path, click: str | None = None) -> tuple[list[str], list[str]]:
    """The Data page's errors (as the Markdown it renders) and button keys after typing ``path``
    (and pressing the button ``click``)."""
    at = _app()
    at.switch_page("pages/data.py").run()
    at.radio(key="data_how").set_value("A file or folder on this computer").run()
    at.text_input(key="data_path").input(str(path)).run()
    if click is not None:
        at.button(key=click).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return [e.value for e in at.error], [b.key for b in at.button]


def test_plain_text_stops_directives_icons_latex_and_emoji() -> None:
    from core.guard.plain import WORD_JOINER, plain_text
    assert plain_text(":red[boom]") == "\\:red\\[boom\\]"
    assert plain_text("$x^2$") == "\\$x^2\\$"
    assert plain_text(":material/home:") == "\\:" + WORD_JOINER + "material/home\\:"
    assert plain_text(":fire: sale") == "\\:" + WORD_JOINER + "fire\\: sale"  # no emoji made of it
    assert plain_text("12:30") == "12\\:30"  # an ordinary colon only escaped


def test_every_figure_escapes_the_labels_it_carries() -> None:
    import numpy as np
    import plotly.graph_objects as go

    from core.shop.style import layout
    evil = '<img src="http://evil.example/x.png">'
    fig = go.Figure(go.Scatter(x=[1.0, 2.0], y=[evil, "<br>b"], name=evil, text=[evil, None],
                               customdata=np.array([[evil, 3.0], ["ok", 4.0]], dtype=object),
                               hovertemplate="<b>%{customdata[0]}</b><br>%{x}"))
    fig.add_trace(go.Icicle(ids=["r", "a"], parents=["", "r"], labels=["all", evil]))
    layout(fig, "t")
    spec = fig.to_json()
    assert "<img" not in spec.replace("\\u003c", "<") and "&lt;img" in spec
    assert "&lt;br&gt;b" in spec
    assert fig.data[0].hovertemplate.startswith("<b>")  # the code's own tags stay
    assert list(fig.data[0].x) == [1.0, 2.0] and fig.data[0].customdata[0][1] == 3.0
    assert list(fig.data[1].ids) == ["r", "a"]


def test_plain_text_breaks_autolinks() -> None:
    """GitHub autolinks are found in the parsed text (escapes undone): a word joiner breaks them."""
    from core.guard.plain import WORD_JOINER, plain_text
    assert "http\\:" + WORD_JOINER + "//evil" in plain_text("see http://evil.example")
    assert "www" + WORD_JOINER + "\\." in plain_text("www.evil.example")
    assert "@" + WORD_JOINER in plain_text("someone@evil.example")
    assert plain_text("ok").replace(WORD_JOINER, "") == "ok"
