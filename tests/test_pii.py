"""Personal data at import: detected by column name and content, never stored in clear.

Unit tests of ``core.ingest.pii.detect`` and ``scrub_text`` (what must be found, and what must not),
then the privacy promise end to end: after importing orders, customers and reviews full of
e-mails, phone numbers, names, street addresses and exact coordinates (with bad rows, so that
rejections are stored too), no table, column or file in the data folder holds any of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from core.ingest import ingest, pii, readers
from core.ingest.plan import IngestError
from core.store import config
from core.store.store import Store, quote_ident

# -- detect: what is personal ------------------------------------------------------------------


@pytest.mark.parametrize("column, values, kind", [
    ("email", ["jane.doe@example.com", "bob@example.org"], "email"),
    ("E-mail (Billing)", ["jane.doe@example.com", ""], "email"),
    ("Contact", ["jane.doe@example.com", "ann@example.net", None], "email"),
    ("Phone", ["+44 7700 900123", "555-0100-777"], "phone"),
    ("Billing Phone", [], "phone"),
    ("tel", ["+33 6 12 34 56 78"], "phone"),
    ("contact", ["+49 151 12345678", "(555) 123-4567", "06 12 34 56 78"], "phone"),
    ("first_name", ["Jane", "Bob"], "name"),
    ("Last Name (Billing)", ["Doe", "Smith"], "name"),
    ("Full Name", ["Jane Doe"], "name"),
    ("customer_name", ["Jane Doe"], "name"),
    ("Shipping Name", ["Jane Doe"], "name"),
    ("reviewerName", ["J. Doe"], "name"),
    ("address", ["anything at all"], "address"),
    ("Billing Address1", ["12 Baker Street"], "address"),
    ("street", ["Main"], "address"),
    ("where", ["12 High Street", "221B Baker St.", "3 rue de la Paix"], "address"),
    ("where", ["Rua Augusta, 123", "Hauptstraße 5", "1 place Bellecour"], "address"),
    ("latitude", ["51.507351", "48.856614"], "coordinates"),
    ("position", ["51.507351, -0.127758"], "coordinates"),
    ("x", ["-23.5505199", "-22.9068467", "-19.9166813"], "coordinates"),
])
def test_personal_columns_are_found(column: str, values: list, kind: str) -> None:
    assert pii.detect({column: values}) == {column: kind}


@pytest.mark.parametrize("column, values", [
    ("title", ["WHITE HANGING HEART T-LIGHT HOLDER", "SET 7 BABUSHKA NESTING BOXES",
               "15CM CHRISTMAS GLASS BALL 20 LIGHTS", "Blue mug", "Street Fighter 2"]),
    ("Lineitem name", ["Blue mug", "Red mug"]),
    ("Product Name", ["Organic T-shirt", "Café mug"]),
    ("category", ["Kitchen", "Home & Garden", "Road bikes", "health_beauty"]),
    ("price", ["2.55", "3.39", "18.00", "1,234.50", "3,50 €"]),
    ("unit_price", ["12.0000", "8.5000"]),
    ("order_id", ["536365", "C536379", "#1001", "489434"]),
    ("Name", ["#1001", "#1002", "#1003"]),  # Shopify's order number
    ("asin", ["0000013714", "B00005N7P0", "0000013714"]),
    ("customer_id", ["17850", "13085.0", "C000001", "1234567890"]),
    ("order_date", ["2024-03-05", "2024-03-05 14:22:10", "12/1/2010 8:26", "05.03.2024 10:30",
                    "2024-03-05T10:00:00+01:00"]),
    ("unixReviewTime", ["1388534400", "1391212800"]),
    ("country", ["United Kingdom", "France", "Brazil", "EIRE"]),
    ("lat", ["51.51", "48.86", "-23.55"]),  # already coarse
    ("zip", ["75002", "SW1A 1AA"]),  # a postcode alone: no street next to it
    ("device", ["mobile", "desktop"]),
    ("Accepts Email Marketing", ["yes", "no"]),
    ("Shipping City", ["London", "Leeds"]),
    ("Shipping Address Country", ["GB", "FR"]),
    ("qty", ["1", "-12", "6"]),
    ("text", ["Great mug, call me never.", "Broke after a week."]),
])
def test_ordinary_columns_are_not_flagged(column: str, values: list) -> None:
    assert pii.detect({column: values}) == {}


def test_name_depends_on_the_kind_of_table() -> None:
    frame = pd.DataFrame({"sku": ["A", "A", "B"], "name": ["Lamp", "Lamp", "Desk"]})
    assert pii.detect(frame, "products") == {}
    assert pii.detect(frame, "events", product_column="sku") == {}  # one name per product
    people = frame.assign(name=["Jane Doe", "Bob Stone", "Ann Lee"])
    assert pii.detect(people, "events", product_column="sku") == {"name": "name"}
    assert pii.detect(people, "reviews") == {"name": "name"}
    assert pii.detect(people, "customers") == {"name": "name"}


def test_a_postcode_is_personal_next_to_a_street() -> None:
    frame = pd.DataFrame({"Address 1&2": ["3 rue de la Paix"], "Postcode": ["75002"],
                          "City": ["Paris"]})
    assert pii.detect(frame) == {"Address 1&2": "address", "Postcode": "address"}


# -- scrub_text: e-mails and phones inside free text -------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Write to Jane.Doe@Example.com!", "Write to [email]!"),
    ("call +44 7700 900123 or 555-0100-777", "call [phone] or [phone]"),
    ("(555) 123-4567 / 06 12 34 56 78 / 07700900123", "[phone] / [phone] / [phone]"),
    ("mail léa.o'neil@exemple.fr, tel 0161-4960000.", "mail [email], tel [phone]."),
    ("Bought 2024-03-05 10:30 (order 536365), 3 for 12.50 on 05.03.2024.",
     "Bought 2024-03-05 10:30 (order 536365), 3 for 12.50 on 05.03.2024."),
    ("Five stars.", "Five stars."),
])
def test_scrub_text(text: str, expected: str) -> None:
    assert pii.scrub_text(text) == expected
    assert pii.scrub_text(None) is None


def test_scrub_sql_matches_scrub_text(store: Store) -> None:
    texts = ["Write to Jane.Doe@Example.com!", "call +44 7700 900123 or 555-0100-777",
             "(555) 123-4567 / 06 12 34 56 78 / 07700900123", "mail a.b@c.co.uk, 0161-4960000.",
             "Bought 2024-03-05 10:30 (order 536365) for 12.50 on 05.03.2024."]
    for text in texts:
        assert store.scalar("SELECT " + pii.scrub_sql("?"), [text]) == pii.scrub_text(text)


# -- end to end: nothing personal in the store or the data folder ------------------------------

ORDERS = """invoice,date,sku,product,qty,price,customer_email,full_name,phone,street_address,city,country,latitude,longitude
A-1,2024-03-05 10:00,MUG-1,Blue mug,2,12.00,Wilhelmina.Quackenbush@example.com,Wilhelmina Quackenbush,+44 7700 900461,12 Tadpole Lane,London,United Kingdom,51.5073519,-0.1277583
A-1,2024-03-05 10:00,MUG-2,Red mug,1,11.50,Wilhelmina.Quackenbush@example.com,Wilhelmina Quackenbush,+44 7700 900461,12 Tadpole Lane,London,United Kingdom,51.5073519,-0.1277583
A-2,2024-03-06 09:30,MUG-1,Blue mug,1,12.00,bartholomew.ogunleye@example.org,Bartholomew Ogunleye,555-0100-777,221B Baker Street,London,United Kingdom,51.5237629,-0.1584743
A-3,2024-03-07 18:45,TEA-9,Green tea,abc,4.50,bartholomew.ogunleye@example.org,Bartholomew Ogunleye,555-0100-777,221B Baker Street,London,United Kingdom,51.5237629,-0.1584743
A-4,2024-03-08 08:15,TEA-9,Green tea,3,free,zelda.fitzwilliam@example.net,Zelda Fitzwilliam,(020) 7946 0958,Rua Augusta 123,Lisboa,Portugal,38.7107836,-9.1365917
A-5,zelda.fitzwilliam@example.net,TEA-9,Green tea,1,4.50,zelda.fitzwilliam@example.net,Zelda Fitzwilliam,(020) 7946 0958,Rua Augusta 123,Lisboa,Portugal,38.7107836,-9.1365917
A-6,2024-03-09 12:00,MUG-2,Red mug,1,11.50,WILHELMINA.QUACKENBUSH@EXAMPLE.COM,Wilhelmina Quackenbush,+44 7700 900461,12 Tadpole Lane,London,United Kingdom,51.5073519,-0.1277583,zelda.fitzwilliam@example.net
A-2,2024-03-06 09:30,MUG-1,Blue mug,1,12.00,bartholomew.ogunleye@example.org,Bartholomew Ogunleye,555-0100-777,221B Baker Street,London,United Kingdom,51.5237629,-0.1584743
A-7,2024-03-10 16:20,MUG-1,Blue mug,1,12.00,zelda.fitzwilliam@example.net,Zelda Fitzwilliam,(020) 7946 0958,Rua Augusta 123,Lisboa,Portugal,38.7107836,-9.1365917
"""  # noqa: E501 - an export's lines are long
CUSTOMERS = """customer_email,first_name,last_name,phone,address1,postcode,city,country,lat,lon,signup_date,consent
wilhelmina.quackenbush@example.com,Wilhelmina,Quackenbush,+44 7700 900461,12 Tadpole Lane,SW1A 1AA,London,United Kingdom,51.5073519,-0.1277583,2024-01-02,yes
bartholomew.ogunleye@example.org,Bartholomew,Ogunleye,555-0100-777,221B Baker Street,NW1 6XE,London,United Kingdom,151.2093456,-0.1584743,2024-01-03,yes
zelda.fitzwilliam@example.net,Zelda,Fitzwilliam,(020) 7946 0958,Rua Augusta 123,1100-048,Lisboa,Portugal,38.7107836,-9.1365917,2024-01-04,no
"""  # noqa: E501
REVIEWS = """review_date,customer_email,sku,rating,name,review
2024-03-12,wilhelmina.quackenbush@example.com,MUG-1,5,Wilhelmina Quackenbush,"Lovely mug! Questions? write to wilhelmina.quackenbush@example.com or call +44 7700 900461."
2024-03-13,bartholomew.ogunleye@example.org,MUG-1,9,Bartholomew Ogunleye,Too big
2024-03-14,zelda.fitzwilliam@example.net,TEA-9,4,Zelda Fitzwilliam,Nice tea. Ring me on (020) 7946 0958.
"""  # noqa: E501
PERSONAL = [
    "wilhelmina.quackenbush@example.com", "bartholomew.ogunleye@example.org",
    "zelda.fitzwilliam@example.net", "Wilhelmina", "Quackenbush", "Bartholomew", "Ogunleye",
    "Zelda", "Fitzwilliam", "7700 900461", "555-0100-777", "7946 0958", "Tadpole Lane",
    "Baker Street", "Rua Augusta", "SW1A 1AA", "NW1 6XE", "1100-048", "51.5073", "51.5237",
    "38.7107", "-0.1277", "-0.1584", "-9.1365", "151.2093", "51.507", "38.710",
]


def _db_text(store: Store) -> str:
    """Every value of every column of every table of the shop, as one lower-case text."""
    parts = []
    columns = store.rows("SELECT table_schema, table_name, column_name FROM "
                         "information_schema.columns ORDER BY ALL")
    assert len(columns) > 40
    for schema, table, column in columns:
        name = quote_ident(schema) + "." + quote_ident(table)
        parts += [str(v) for (v,) in store.rows(
            "SELECT CAST(" + quote_ident(column) + " AS VARCHAR) FROM " + name)]
    return "\n".join(parts).lower()


def _files(home: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes().lower() for p in home.rglob("*") if p.is_file()}


def _paths(write_file: Callable[..., Path]) -> list[Path]:
    return [write_file("orders.csv", ORDERS), write_file("customers.csv", CUSTOMERS),
            write_file("reviews.csv", REVIEWS)]


def test_personal_data_is_never_stored(store: Store, shoplens_home: Path, write_file) -> None:
    report = ingest.import_paths(store, _paths(write_file))
    assert report.committed
    tables = {t.file: t for t in report.tables}
    assert all(t.reconciles() for t in report.tables)
    orders, customers, reviews = tables["orders.csv"], tables["customers.csv"], tables["reviews.csv"]

    # what landed: every good line, pseudonymised, with coarse coordinates and scrubbed text
    assert (orders.lines_read, orders.accepted, orders.rejected) == (9, 4, 5)
    assert orders.rejected_by_rule == {"bad_quantity": 1, "bad_unit_price": 1, "bad_ts": 1,
                                       "duplicate_row": 1, "malformed_line": 1}
    assert (customers.accepted, customers.rejected) == (2, 1)
    assert customers.rejected_by_rule == {"bad_lat": 1}
    assert (reviews.accepted, reviews.rejected) == (2, 1)
    assert store.scalar("SELECT count(*) FROM customers") == 3
    assert sorted(store.rows("SELECT lat, lon FROM customers WHERE lat IS NOT NULL")) == [
        (38.71, -9.14), (51.51, -0.13)]
    texts = sorted(t for (t,) in store.rows("SELECT text FROM reviews"))
    assert texts == ["Lovely mug! Questions? write to [email] or call [phone].",
                     "Nice tea. Ring me on [phone]."]
    assert reviews.fixes == {"text_contact_details_hidden": 2}
    bad_lat = store.scalar("SELECT value FROM rejections WHERE rule = 'bad_lat'")
    assert bad_lat == "151.20"  # a rejected coordinate is cut to 2 decimals too
    assert store.scalar("SELECT value FROM rejections WHERE rule = 'bad_ts'") == "[email]"

    # the report says what was found and what was done
    assert orders.personal_data == {"customer_email": "email", "full_name": "name",
                                    "phone": "phone", "street_address": "address",
                                    "latitude": "coordinates", "longitude": "coordinates"}
    assert "Column 'phone' holds phone numbers: not stored." in orders.warnings
    assert ("Column 'customer_email' holds e-mail addresses: used as the customer id, stored "
            "only as a keyed hash.") in orders.warnings
    assert customers.personal_data == {
        "customer_email": "email", "first_name": "name", "last_name": "name", "phone": "phone",
        "address1": "address", "postcode": "address", "lat": "coordinates", "lon": "coordinates"}
    assert "Column 'lat' holds exact coordinates: rounded to 2 decimals (about 1 km)." in \
        customers.warnings
    assert reviews.personal_data == {"customer_email": "email", "name": "name"}
    assert "Column 'name' holds personal names: not stored, so not used as title." in \
        reviews.warnings
    stored = store.scalar("SELECT report FROM imports")
    assert "holds phone numbers" in stored and '"personal_data"' in stored

    # importing the same files again adds nothing
    counts = store.table_counts()
    again = ingest.import_paths(store, _paths(write_file))
    assert sum(t.inserted for t in again.tables) == 0
    assert store.table_counts() == counts

    # the scan: every column of every table, then every file of the data folder
    text = _db_text(store)
    assert "c_" in text and "blue mug" in text  # the scan does see the data
    for value in PERSONAL:
        assert value.lower() not in text, value
    store.close()  # checkpoint: the file holds everything now
    files = _files(config.home())
    assert any(p.suffix == ".duckdb" for p in files)
    assert not [p for p in files if "tmp" in p.relative_to(config.home()).parts]
    for path, data in files.items():
        for value in PERSONAL:
            assert value.lower().encode() not in data, (value, path)


def test_excel_import_leaves_no_copy_in_the_data_folder(store: Store, write_file,
                                                        tmp_path: Path) -> None:
    frame = pd.read_csv(write_file("customers.csv", CUSTOMERS), dtype=str)
    path = tmp_path / "customers.xlsx"
    frame.to_excel(path, index=False)
    report = ingest.import_paths(store, [path])
    assert report.tables[0].accepted == 2
    assert report.tables[0].personal_data["phone"] == "phone"
    store.close()
    for file, data in _files(config.home()).items():
        assert file.suffix in (".duckdb", ".wal", ".key"), file  # no converted copy is left
        for value in PERSONAL:
            assert value.lower().encode() not in data, (value, file)


def test_a_personal_column_mapped_by_hand_is_left_out(store: Store, write_file) -> None:
    plan = ingest.plan_paths(store, [write_file("orders.csv", ORDERS)])[0]
    plan = ingest.remap(plan, columns={**plan.mapping.columns, "channel": "phone",
                                       "region": "street_address"})
    table = ingest.run_import(store, [plan]).tables[0]
    assert "Column 'phone' holds phone numbers: not stored, so not used as channel." in \
        table.warnings
    assert store.scalar("SELECT count(*) FROM events WHERE channel IS NOT NULL "
                        "OR region IS NOT NULL") == 0


def test_converted_copies_do_not_outlive_a_failed_plan_or_a_day(store: Store, write_file,
                                                                shoplens_home: Path) -> None:
    cp1252 = write_file("customers_cp1252.csv", CUSTOMERS.replace("Lisboa", "Lisboa é"),
                        encoding="cp1252")
    with pytest.raises(IngestError, match="does not exist"):
        ingest.plan_paths(store, [cp1252, shoplens_home / "missing.csv"])
    tmp = config.home() / "tmp"
    assert not list(tmp.glob("*"))  # the converted copy of the first file went with the error
    stale = tmp / "tmpold.csv"
    stale.write_text(CUSTOMERS)
    os.utime(stale, (0, 0))
    source = readers.open_source(cp1252)  # any new copy sweeps copies older than a day
    assert not stale.exists() and source.temp_files
    source.cleanup()
