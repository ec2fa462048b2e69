"""The shop's currency: read from text and files, kept as the merchant chose, written on pages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.cli.main import main as shoplens
from core.ingest import ingest
from core.shop import money
from core.shop.charts import product_labels, top_products_bar
from core.store import currency
from core.store.store import Store


@pytest.mark.parametrize("text, country, code", [
    ("EUR", None, "EUR"), ("usd", None, "USD"), ("€12.50", None, "EUR"), ("12,50 EUR", None, "EUR"),
    ("£3", None, "GBP"), ("R$ 10", None, "BRL"), ("CA$5", None, "CAD"), ("$5", None, "USD"),
    ("$5", "CA", "CAD"), ("$12 CAD", None, "CAD"), ("199 kr", "SE", "SEK"), ("zł 4", None, "PLN"),
    ("", None, None), ("12.50", None, None), ("kroner", None, None),
])
def test_parse_currency(text: str, country: str | None, code: str | None) -> None:
    assert currency.parse_currency(text, country) == code


@pytest.mark.parametrize("text", ["199 kr", "¥ 100", "EUR or USD", "€5 $5"])
def test_ambiguous_or_mixed_currency_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        currency.parse_currency(text)


def test_format_money() -> None:
    assert money.format_money(1234.6, "EUR") == "€1,235"
    assert money.format_money(-3, "SEK") == "-3 kr"
    assert money.format_money(12.5, "CHF", 2) == "CHF 12.50"
    assert money.format_money(5, "USD", sign=True) == "+$5"
    assert money.format_money(1234.6, None) == "1,235"
    assert money.format_money(None, "EUR") == "-" and money.format_money(float("nan"), "EUR") == "-"
    assert money.hover("x", "EUR") == "€%{x:,.0f}" and money.hover("x", "SEK", 2) == "%{x:,.2f} kr"
    assert money.titled("net revenue", "GBP") == "net revenue (£)"
    assert money.titled("net revenue", None) == "net revenue"


def test_an_import_never_overrides_the_merchants_choice(store: Store) -> None:
    assert currency.currency(store) is None
    assert currency.set_currency(store, "£") == "GBP" and currency.source(store) == "explicit"
    assert currency.set_currency(store, "EUR", explicit=False) == "GBP"  # kept
    currency.set_currency(store, None)
    assert currency.currency(store) is None and currency.source(store) == "explicit"
    with pytest.raises(ValueError, match="not a currency"):
        currency.set_currency(store, "dollars-ish")


ORDERS = """order,customer,sku,title,qty,price,date
1,c1,p1,Mug,2,€12.50,2024-03-01
2,c2,p2,Tea,1,€4.00,2024-03-02
"""
WITH_COLUMN = """Name,Email,Lineitem sku,Lineitem name,Lineitem quantity,Lineitem price,Created at,Currency
#1,a@x.org,p1,Mug,1,12.50,2024-03-01 10:00:00 +0100,SEK
#2,b@x.org,p2,Tea,2,4.00,2024-03-02 11:00:00 +0100,SEK
"""


def test_the_import_reads_the_currency_from_the_amounts(store: Store, write_file) -> None:
    report = ingest.import_paths(store, [write_file("orders.csv", ORDERS)])
    assert report.committed and report.currency == "EUR"
    assert currency.currency(store) == "EUR" and currency.source(store) == "import"
    assert store.scalar("SELECT sum(unit_price * quantity) FROM events") == pytest.approx(29.0)


def test_the_import_reads_a_currency_column_and_keeps_an_explicit_choice(store: Store, write_file) -> None:
    report = ingest.import_paths(store, [write_file("orders.csv", WITH_COLUMN)])
    assert report.currency == "SEK"
    currency.set_currency(store, "NOK")
    report = ingest.import_paths(store, [write_file("more.csv", WITH_COLUMN.replace("#1", "#3")
                                                    .replace("#2", "#4"))])
    assert currency.currency(store) == "NOK"
    assert any("as you chose" in w for t in report.tables for w in t.warnings)


def test_several_currencies_leave_it_unset_and_say_so(store: Store, write_file) -> None:
    mixed = WITH_COLUMN.replace("+0100,SEK\n#2", "+0100,USD\n#2")
    report = ingest.import_paths(store, [write_file("orders.csv", mixed)])
    assert report.committed and currency.currency(store) is None
    assert any("several currencies" in w for t in report.tables for w in t.warnings)


def test_cli_shows_and_sets_the_currency(shoplens_home: Path, write_file,
                                         capsys: pytest.CaptureFixture) -> None:
    assert shoplens(["import", "--shop", "s", str(write_file("o.csv", ORDERS))]) == 0
    assert "amounts in EUR" in capsys.readouterr().out
    assert shoplens(["currency", "--shop", "s"]) == 0
    shown = capsys.readouterr().out
    assert "EUR" in shown and "read from an imported file" in shown
    assert shoplens(["currency", "--shop", "s", "GBP"]) == 0
    assert "GBP" in capsys.readouterr().out
    with Store.open("s", read_only=True) as st:
        assert currency.currency(st) == "GBP" and currency.source(st) == "explicit"


def test_products_sharing_a_title_get_distinct_bars() -> None:
    titles = pd.Series(["Gift card", "Gift card", "Mug"])
    ids = pd.Series(["g1", "g2", "m"])
    labels = product_labels(titles, ids)
    assert labels == ["Gift card (g1)", "Gift card (g2)", "Mug"]
    fig = top_products_bar(pd.DataFrame({"title": titles, "product_id": ids, "revenue": [3.0, 2.0, 1.0],
                                         "category": ["x", "x", "y"], "units": [1, 1, 1]}), "EUR")
    assert len(set(fig.data[0].y)) == 3 and "€" in fig.data[0].hovertemplate
