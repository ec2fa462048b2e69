"""Bugs the fuzz test (tests/test_ingest_fuzz.py) found, each pinned by its concrete example."""

from __future__ import annotations

import pytest
from ingest_support import counts

from core.ingest import ingest
from core.ingest.plan import IngestError
from core.store.store import Store

PIPES = "sku|price|order_id|qty|customer|date\n"


def test_an_unclosed_quote_on_the_last_line_is_explained(store: Store, write_file) -> None:
    # DuckDB's dialect sniffer refused the file as "could not be read: Error when sniffing file
    # /tmp/.../tmp-123-abc.csv" (a temporary copy's path, and no word on what to fix).
    text = (PIPES + "S00|10.39|1000|2|c1|20200504\nS11|inf|1000|3|c4|20200406\n"
            "S33|29.08|1001|5|c3|20200629|surplus\n\"S41|85.39|1005|5|c2|20210625\n")
    before = counts(store)
    with pytest.raises(IngestError) as caught:
        ingest.import_paths(store, [write_file("orders.csv", text.replace("S0", "Sé"),
                                               encoding="cp1252")])
    assert str(caught.value).startswith("orders.csv: line 5 opens a quote")
    assert "tmp" not in str(caught.value) and "sniff" not in str(caught.value)
    assert counts(store) == before


def test_a_quote_that_never_closes_is_refused_naming_its_line(store: Store, write_file) -> None:
    # Without the sniffer, DuckDB read the rest of the file as one field and lost its lines.
    text = (PIPES + "S00|10.39|1000|2|c1|20200504\n\"S11|11|1000|3|c4|20200406\n"
            "S33|29.08|1001|5|c3|20200629\nS44|29.08|1001|5|c3|20200629\n")
    before = counts(store)
    with pytest.raises(IngestError, match=r"orders.csv: line 3 opens a quote"):
        ingest.import_paths(store, [write_file("orders.csv", text)])
    assert counts(store) == before


def test_one_broken_line_in_a_small_file_keeps_its_delimiter(store: Store, write_file) -> None:
    # One surplus field in four lines made the comma file read as separated by spaces
    # ("Order ID" has one), with every line a customer called "ID,customer".
    text = ("price,Date,qty,product_id,Order ID,customer\n9.50,2020-01-15 03:25:00,4,S0,1000,c0\n"
            "5.00,2020-01-16 03:25:00,1,S1,1000,c1,surplus\n7.25,2020-01-17 03:25:00,2,S2,1001,c2\n")
    table = ingest.import_paths(store, [write_file("orders.csv", text)]).tables[0]
    assert table.kind == "events" and table.columns["order_id"] == "Order ID"
    assert (table.accepted, table.rejected) == (2, 1)


def test_every_line_broken_in_a_delimited_file_is_not_read_as_spaces(store: Store,
                                                                      write_file) -> None:
    # Every data line one field short: the file was read as separated by spaces ("ORDER ID",
    # the dates' time) and every line became a customer named by half a header.
    text = ("CREATED_AT;ORDER ID;CUSTOMER_ID;QTY;PRICE;SKU\n2020-02-19 08:33:00;1000;c0;4;1214.04\n"
            "2022-10-19 03:25:00;1000;c0;5;-Infinity\n")
    with pytest.raises(IngestError, match="every one of its 2 lines was rejected"):
        ingest.import_paths(store, [write_file("orders.csv", text)])
    assert counts(store)["customers"] == 0


def test_a_known_layout_with_its_own_spelling_of_a_field_maps_it(store: Store,
                                                                 write_file) -> None:
    # UCI Online Retail's names but "qty": the layout matched, the quantity column stayed
    # unmapped, and every line was taken for one unit (revenue 135.16 where the file says 534.98).
    text = ("Customer ID|StockCode|qty|InvoiceNo|InvoiceDate|Unit Price\n"
            "c2|S00|2|1000|11/09/2021|2.83\nc4|S22|4|1001|05/16/2022|132.33\n")
    table = ingest.import_paths(store, [write_file("orders.csv", text)]).tables[0]
    assert table.columns["quantity"] == "qty"
    revenue = store.scalar("SELECT sum(quantity * unit_price) FROM events")
    assert abs(revenue - (2 * 2.83 + 4 * 132.33)) < 1e-9
