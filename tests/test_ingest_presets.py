"""Known export layouts, detected from their columns, with the retail rules each one needs."""

from __future__ import annotations

import gzip
import json
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from core.ingest import ingest, presets
from core.ingest.plan import TableReport
from core.store import config
from core.store.schema import DATA_TABLES
from core.store.store import Store, quote_ident

UCI = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536366,POST,POSTAGE,3,12/1/2010 8:45,18.00,12583,France
536367,22752,SET 7 BABUSHKA NESTING BOXES,2,12/1/2010 9:00,7.65,,United Kingdom
536368,22633,HAND WARMER UNION JACK,6,12/1/2010 9:01,0,17850,United Kingdom
C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-2,12/13/2010 9:41,2.55,17850,United Kingdom
"""

RETAIL_II = """Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country
489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom
489434,79323P,PINK CHERRY LIGHTS,12,2009-12-01 07:45:00,6.75,13085.0,United Kingdom
489435,22350,CAT BOWL ,12,2009-12-01 07:46:00,2.55,,United Kingdom
489436,POST,POSTAGE,1,2009-12-01 09:06:00,18.00,12682.0,France
489437,M,Manual,1,2009-12-01 09:08:00,0.00,12682.0,France
C489449,22087,PAPER BUNTING WHITE LACE,-12,2009-12-01 10:33:00,2.95,16321.0,Australia
"""


def _import(store: Store, path: Path, **kw) -> TableReport:
    report = ingest.import_paths(store, [path], **kw)
    assert report.committed
    assert len(report.tables) == 1
    table = report.tables[0]
    assert table.reconciles(), table
    return table


def _all_text(store: Store) -> str:
    """Every value of every column of every table in the shop file, as one lower-case text."""
    parts = []
    for (table,) in store.rows("SELECT table_name FROM information_schema.tables"):
        cols = [c for (c,) in store.rows("SELECT column_name FROM (DESCRIBE " + quote_ident(table)
                                         + ")")]
        for col in cols:
            values = store.rows("SELECT CAST(" + quote_ident(col) + " AS VARCHAR) FROM "
                                + quote_ident(table) + " WHERE " + quote_ident(col)
                                + " IS NOT NULL")
            parts.extend(str(v) for (v,) in values)
    return "\n".join(parts).lower()


def _assert_no_personal_data(store: Store, secrets: list[str]) -> None:
    text = _all_text(store)
    assert len(text) > 1000  # the scan did see the data
    for secret in secrets:
        assert secret.lower() not in text, secret
    keys = [k for (k,) in store.rows("SELECT customer_key FROM customers")]
    keys += [k for (k,) in store.rows("SELECT customer_key FROM events WHERE customer_key "
                                      "IS NOT NULL")]
    assert keys and all(k.startswith("c_") and len(k) == 22 for k in keys)
    path = store.path
    store.close()  # checkpoint, then look at the raw bytes too
    raw = path.read_bytes() + (Path(str(path) + ".wal").read_bytes()
                               if Path(str(path) + ".wal").exists() else b"")
    for secret in secrets:
        assert secret.encode().lower() not in raw.lower(), secret


# -- UCI Online Retail --------------------------------------------------------------------------

def test_uci_online_retail(store: Store, write_file) -> None:
    table = _import(store, write_file("Online Retail.csv", UCI))
    assert table.preset == "uci_online_retail"
    assert table.kind == "events"
    assert table.lines_read == 6
    assert table.accepted == 5
    assert table.returns == 1
    assert table.rejected == 0
    assert table.free == 1  # the hand warmer at price 0: a free line, kept as a purchase
    assert table.guests == 1
    assert table.non_product == 1
    # one date with day 13 decides month/day order for the whole column
    assert table.date_format == "MM/DD/YYYY hh:mm"

    ret = store.rows("SELECT event_type, quantity, product_id, order_id, ts FROM events "
                     "WHERE order_id = 'C536379'")
    assert ret == [("return", 2, "85123A", "C536379", datetime(2010, 12, 13, 9, 41))]
    assert store.scalar("SELECT count(*) FROM events WHERE event_type = 'purchase'") == 5
    assert store.scalar("SELECT min(quantity) FROM events") > 0
    guest = store.rows("SELECT customer_key, product_id FROM events WHERE customer_key IS NULL")
    assert guest == [(None, "22752")]
    assert dict(store.rows("SELECT product_id, is_product FROM products")) == {
        "85123A": True, "71053": True, "POST": False, "22752": True, "22633": True}
    assert store.scalar("SELECT count(*) FROM customers") == 2  # 17850 and 12583; guests aren't
    assert store.rows("SELECT ts FROM events WHERE product_id = '71053'") == [
        (datetime(2010, 12, 1, 8, 26),)]
    assert store.scalar("SELECT c.country FROM customers c JOIN events e USING (customer_key) "
                        "WHERE e.product_id = 'POST'") == "France"
    recorded = store.rows("SELECT file, row_number, column_name, value, rule FROM rejections")
    assert recorded == []
    imports = store.rows("SELECT preset, lines_read, accepted, rejected, returns, inserted "
                         "FROM imports")
    assert imports == [("uci_online_retail", 6, 5, 0, 1, 6)]


def test_online_retail_ii_spelling(store: Store, write_file) -> None:
    table = _import(store, write_file("online_retail_II.csv", RETAIL_II))
    assert table.preset == "online_retail_ii"
    assert (table.lines_read, table.accepted, table.rejected, table.returns) == (6, 5, 0, 1)
    assert table.rejected_by_rule == {} and table.free == 1
    assert table.guests == 1
    assert table.non_product == 2  # POST and the zero-priced manual 'M' line, kept out of the catalog
    assert table.date_format == "YYYY-MM-DD hh:mm:ss"
    assert store.rows("SELECT event_type, quantity FROM events WHERE order_id = 'C489449'") == [
        ("return", 12)]
    assert store.scalar("SELECT is_product FROM products WHERE product_id = 'POST'") is False
    assert store.scalar("SELECT title FROM products WHERE product_id = '22350'") == "CAT BOWL"
    # '13085.0' (a float in the export) is the customer 13085
    assert store.scalar("SELECT count(*) FROM customers") == 3


def test_both_retail_spellings_share_customers(store: Store, write_file) -> None:
    first = UCI.replace("17850", "13085")
    _import(store, write_file("a.csv", first))
    _import(store, write_file("b.csv", RETAIL_II))
    # 13085 (a.csv), 12583, 13085.0 (b.csv: same person), 12682, 16321
    assert store.scalar("SELECT count(*) FROM customers") == 4
    n_13085 = store.scalar("SELECT count(DISTINCT customer_key) FROM events WHERE product_id IN "
                           "('85123A', '85048')")
    assert n_13085 == 1


def test_returns_are_not_sales_even_without_the_c_prefix(store: Store, write_file) -> None:
    text = UCI.splitlines()[0] + "\n536400,85123A,HEART,-3,12/2/2010 10:00,2.55,17850,UK\n" \
        "536401,85123A,HEART,5,12/14/2010 10:00,2.55,17850,UK\n"
    table = _import(store, write_file("neg.csv", text))
    assert (table.accepted, table.returns) == (1, 1)
    assert store.rows("SELECT event_type, quantity FROM events ORDER BY ts") == [
        ("return", 3), ("purchase", 5)]


# -- Shopify ------------------------------------------------------------------------------------

SHOPIFY_COLUMNS = ("Name,Email,Financial Status,Paid at,Fulfillment Status,Accepts Marketing,"
                   "Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
                   "Lineitem sku,Billing Name,Billing Address1,Billing City,Billing Phone,"
                   "Shipping Name,Shipping City,Shipping Province,Shipping Country,"
                   "Cancelled at,Vendor,Source,Phone")
SHOPIFY = SHOPIFY_COLUMNS + """
#1001,Jane.Doe@Example.com,paid,2024-03-05 14:25:00 +0100,fulfilled,yes,EUR,2024-03-05 14:22:10 +0100,2,Blue mug,12.00,MUG-BLUE,Jane Doe,12 Baker Street,London,+44 7700 900123,Jane Doe,London,ENG,GB,,Acme,web,+44 7700 900123
#1001,,,,,,,,1,Red mug,11.50,MUG-RED,,,,,,,,,,Acme,,
#1002,john.smith@example.org,refunded,2024-03-06 09:00:00 +0100,,no,EUR,2024-03-06 08:59:00 +0100,1,Green mug,10.00,MUG-GREEN,John Smith,1 High Road,Leeds,+44 7700 900456,John Smith,Leeds,ENG,GB,,Acme,pos,
#1003,ann.lee@example.net,voided,,,no,EUR,2024-03-07 10:00:00 +0100,1,Blue mug,12.00,MUG-BLUE,Ann Lee,99 Elm Street,Bristol,555-0100-777,Ann Lee,Bristol,ENG,GB,2024-03-07 11:00:00 +0100,Acme,web,
#1004,JANE.DOE@example.com,paid,2024-04-01 08:00:00 +0200,fulfilled,yes,EUR,2024-04-01 07:59:00 +0200,3,Blue mug,12.00,MUG-BLUE,Jane Doe,12 Baker Street,London,+44 7700 900123,Jane Doe,London,ENG,GB,,Acme,web,
"""  # noqa: E501 - a real export's lines are long
SHOPIFY_PII = ["jane.doe@example.com", "john.smith@example.org", "ann.lee@example.net",
               "Jane Doe", "John Smith", "Ann Lee", "7700 900123", "7700 900456",
               "555-0100-777", "Baker Street", "High Road", "Elm Street"]


def test_shopify_orders(store: Store, write_file) -> None:
    table = _import(store, write_file("orders_export_1.csv", SHOPIFY))
    assert table.preset == "shopify_orders"
    assert table.lines_read == 5
    assert table.accepted == 3  # #1001 (two lines) and #1004
    assert table.cancelled_orders == 2  # #1002 refunded, #1003 voided and cancelled
    assert table.returns == 2
    assert table.rejected == 0
    assert table.guests == 0
    events = store.df("SELECT order_id, product_id, event_type, quantity, unit_price, ts, "
                      "customer_key, channel, country, region FROM events ORDER BY order_id, "
                      "product_id")
    by_order = events.groupby("order_id")
    first = by_order.get_group("#1001")
    # the second line of #1001 has no e-mail and no date: both come from the order
    assert first["customer_key"].nunique() == 1 and first["customer_key"].notna().all()
    assert set(first["ts"]) == {datetime(2024, 3, 5, 14, 22, 10)}
    assert list(first["event_type"]) == ["purchase", "purchase"]
    assert list(first["unit_price"]) == [12.0, 11.5]
    assert set(first["channel"]) == {"web"}
    assert list(by_order.get_group("#1002")["event_type"]) == ["cart"]
    assert list(by_order.get_group("#1003")["event_type"]) == ["cart"]
    # e-mail is case-insensitive: #1004 is the same customer as #1001
    assert by_order.get_group("#1004")["customer_key"].iloc[0] == first["customer_key"].iloc[0]
    assert events["customer_key"].nunique() == 3
    assert store.rows("SELECT city, region, country FROM customers WHERE customer_key = ?",
                      [first["customer_key"].iloc[0]]) == [("London", "ENG", "GB")]
    assert dict(store.rows("SELECT product_id, title FROM products")) == {
        "MUG-BLUE": "Blue mug", "MUG-RED": "Red mug", "MUG-GREEN": "Green mug"}
    assert store.scalar("SELECT brand FROM products WHERE product_id = 'MUG-RED'") == "Acme"
    _assert_no_personal_data(store, SHOPIFY_PII)


def test_pseudonymisation_secret_is_private_and_per_shop(shoplens_home: Path, write_file) -> None:
    path = write_file("orders_export.csv", SHOPIFY)
    keys = {}
    for shop in ("one", "two"):
        with Store.open(shop) as st:
            _import(st, path)
            keys[shop] = {k for (k,) in st.rows("SELECT customer_key FROM customers")}
        secret = config.home() / "secrets" / f"{shop}.key"
        assert secret.exists()
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert len(keys["one"]) == 3 and not keys["one"] & keys["two"]


# -- WooCommerce --------------------------------------------------------------------------------

WOO = """Order Number,Order Status,Order Date,First Name (Billing),Last Name (Billing),Email (Billing),Phone (Billing),Address 1&2 (Billing),City (Billing),State Code (Billing),Postcode (Billing),Country Code (Billing),SKU,Item Name,Quantity (- Refund),Item Cost
5001,completed,2024-02-01 10:00,Marie,Curie,Marie.Curie@example.fr,+33 6 12 34 56 78,3 rue de la Paix,Paris,IDF,75002,FR,TSHIRT-S,Organic T-shirt,2,19.90
5001,completed,2024-02-01 10:00,Marie,Curie,Marie.Curie@example.fr,+33 6 12 34 56 78,3 rue de la Paix,Paris,IDF,75002,FR,CAP-1,Baseball cap,1,12.00
5002,cancelled,2024-02-02 11:00,Paul,Verlaine,paul.verlaine@example.fr,+33 6 98 76 54 32,8 avenue Foch,Lyon,ARA,69006,FR,CAP-1,Baseball cap,1,12.00
5003,processing,2024-02-03 12:30,Léa,Seydoux,lea.seydoux@example.fr,+33 7 11 22 33 44,1 place Bellecour,Lyon,ARA,69002,FR,TSHIRT-S,Organic T-shirt,1,19.90
5004,completed,2024-02-20 18:45,Marie,Curie,marie.curie@example.fr,+33 6 12 34 56 78,3 rue de la Paix,Paris,IDF,75002,FR,MUG-9,Café mug,4,"8,50"
"""  # noqa: E501 - a real export's lines are long
WOO_PII = ["marie.curie@example.fr", "paul.verlaine@example.fr", "lea.seydoux@example.fr",
           "Curie", "Verlaine", "Seydoux", "12 34 56 78", "98 76 54 32", "rue de la Paix",
           "avenue Foch", "place Bellecour"]


def test_woocommerce_orders(store: Store, write_file) -> None:
    table = _import(store, write_file("woo-orders.csv", WOO))
    assert table.preset == "woocommerce_orders"
    assert (table.lines_read, table.accepted, table.rejected) == (5, 4, 0)
    assert table.cancelled_orders == 1 and table.returns == 1
    assert table.fixes == {"unit_price_cleaned": 1}  # '8,50'
    rows = store.rows("SELECT order_id, product_id, event_type, quantity, unit_price, region, "
                      "country FROM events ORDER BY order_id, product_id")
    assert rows == [
        ("5001", "CAP-1", "purchase", 1, 12.0, "IDF", "FR"),
        ("5001", "TSHIRT-S", "purchase", 2, 19.9, "IDF", "FR"),
        ("5002", "CAP-1", "cart", 1, 12.0, "ARA", "FR"),
        ("5003", "TSHIRT-S", "purchase", 1, 19.9, "ARA", "FR"),
        ("5004", "MUG-9", "purchase", 4, 8.5, "IDF", "FR"),
    ]
    assert store.scalar("SELECT count(*) FROM customers") == 3  # Marie's e-mail in two cases
    assert store.scalar("SELECT title FROM products WHERE product_id = 'MUG-9'") == "Café mug"
    assert sorted(c for (c,) in store.rows("SELECT city FROM customers")) == ["Lyon", "Lyon",
                                                                               "Paris"]
    _assert_no_personal_data(store, WOO_PII)


# -- Amazon reviews -----------------------------------------------------------------------------

AMAZON = [
    {"reviewerID": "A2SUAM1J3GNN3B", "asin": "0000013714", "overall": 5.0, "verified": True,
     "reviewText": "Great for the price.", "summary": "Five Stars", "unixReviewTime": 1388534400,
     "reviewTime": "01 1, 2014"},
    {"reviewerID": "A14VAT5EAX3D9S", "asin": "0000013714", "overall": 2.0,
     "reviewText": "Broke after a week.", "summary": "Meh", "unixReviewTime": 1391212800,
     "reviewTime": "02 1, 2014"},
    {"reviewerID": "A2SUAM1J3GNN3B", "asin": "B00005N7P0", "overall": 4.0,
     "reviewText": "Good.", "unixReviewTime": 1393632000, "reviewTime": "03 1, 2014"},
    {"reviewerID": "A3AF8FFZAZYNE5", "asin": "B00005N7P0", "overall": 0.0,
     "reviewText": "no stars?", "summary": "x", "unixReviewTime": 1393632000,
     "reviewTime": "03 1, 2014"},
]


@pytest.mark.parametrize("gz", [False, True])
def test_amazon_reviews_json_lines(store: Store, write_file, gz: bool) -> None:
    text = "".join(json.dumps(r) + "\n" for r in AMAZON).encode()
    path = write_file("Beauty_5.json.gz" if gz else "Beauty_5.json",
                      gzip.compress(text) if gz else text)
    table = _import(store, path)
    assert table.preset == "amazon_reviews"
    assert table.kind == "reviews"
    assert (table.lines_read, table.accepted, table.rejected) == (4, 3, 1)
    assert table.rejected_by_rule == {"bad_rating": 1}
    assert table.rejections[0].row == 5 and table.rejections[0].column == "overall"
    assert table.date_format == "epoch seconds"
    rows = store.rows("SELECT product_id, ts, rating, text FROM reviews ORDER BY ts")
    assert rows == [
        ("0000013714", datetime(2014, 1, 1), 5, "Five Stars. Great for the price."),
        ("0000013714", datetime(2014, 2, 1), 2, "Meh. Broke after a week."),
        ("B00005N7P0", datetime(2014, 3, 1), 4, "Good."),
    ]
    assert store.scalar("SELECT count(*) FROM customers") == 2
    assert {p for (p,) in store.rows("SELECT product_id FROM products")} == {"0000013714",
                                                                              "B00005N7P0"}
    assert store.scalar("SELECT count(*) FROM events") == 0



def test_named_preset_is_used_and_unknown_preset_refused(store: Store, write_file) -> None:
    path = write_file("lower.csv", UCI.replace("InvoiceNo,StockCode", "invoice_no,stock_code"))
    plans = ingest.plan_paths(store, [path])
    assert plans[0].mapping.preset == "uci_online_retail"  # spelling is normalised
    forced = ingest.plan_paths(store, [path], preset="online_retail_ii")
    assert forced[0].mapping.preset == "online_retail_ii"
    assert forced[0].mapping.columns["unit_price"] == "UnitPrice"
    with pytest.raises(ValueError, match="Unknown preset 'nope'"):
        ingest.plan_paths(store, [path], preset="nope")


@pytest.mark.parametrize("columns, preset", [
    (UCI.splitlines()[0].split(","), "uci_online_retail"),
    (RETAIL_II.splitlines()[0].split(","), "online_retail_ii"),
    (SHOPIFY_COLUMNS.split(","), "shopify_orders"),
    (WOO.splitlines()[0].split(","), "woocommerce_orders"),
    (list(AMAZON[0]), "amazon_reviews"),
])
def test_detect_presets(columns: list[str], preset: str) -> None:
    mapping = presets.detect(columns)
    assert mapping.preset == preset
    assert mapping.missing_required() == []


def test_every_table_is_empty_after_a_dry_run(store: Store, write_file) -> None:
    report = ingest.import_paths(store, [write_file("orders.csv", UCI)], dry_run=True)
    assert report.dry_run and not report.committed
    assert report.tables[0].accepted == 5
    assert store.table_counts() == dict.fromkeys(DATA_TABLES, 0)
    assert store.scalar("SELECT count(*) FROM imports") == 0
    assert store.scalar("SELECT count(*) FROM rejections") == 0


def test_row_numbers_survive_filling_order_fields(store: Store, write_file) -> None:
    """Order-level fields are filled per order; rejected rows still name their own line."""
    lines = WOO.splitlines()
    bad_qty = lines[2].replace(",1,12.00", ",lots,12.00")  # line 3: 5001's second line
    bad_date = lines[4].replace("2024-02-03 12:30", "someday")  # line 5
    text = "\n".join([lines[0], lines[5], bad_qty, lines[3], bad_date, lines[1]]) + "\n"
    table = _import(store, write_file("woo.csv", text))
    assert table.preset == "woocommerce_orders"
    assert [(r.row, r.column, r.value, r.rule) for r in table.rejections] == [
        (3, "Quantity (- Refund)", "lots", "bad_quantity"),
        (5, "Order Date", "someday", "bad_ts"),
    ]
    shop = SHOPIFY.splitlines()
    bad_price = shop[2].replace(",11.50,", ",-11.50,")  # the second line of #1001
    text = "\n".join([shop[0], shop[3], shop[1], shop[4], bad_price, shop[5]]) + "\n"
    table = _import(store, write_file("shopify.csv", text))
    assert [(r.row, r.column, r.rule) for r in table.rejections] == [
        (5, "Lineitem price", "negative_unit_price")]
