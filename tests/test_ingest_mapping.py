"""The shoplens folder layout, and guessing an unknown layout's columns with the user's corrections."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from core.ingest import ingest, presets
from core.ingest.plan import IngestError
from core.store.store import Store

# -- the shoplens layout (a folder of four tables) ------------------------------------------------

NATIVE = {
    "products.csv": """product_id,title,category,brand,price,description,image_path,active
P1,Linen shirt,Clothing,Nordwear,49.00,Light linen shirt,img/p1.jpg,true
P2,Wool scarf,Accessories,Nordwear,25.50,,img/p2.jpg,yes
P3,Old hat,Accessories,Hatco,9.99,Discontinued,,false
""",
    "customers.csv": """customer_id,signup_date,country,region,city,lat,lon,age_band,gender,consent_profiling
u1,2023-01-05,DE,Berlin,Berlin,52.520008,13.404954,25-34,f,true
u2,2023-02-10,DE,Bayern,München,48.137154,11.576124,35-44,m,false
u3,2023-03-15,AT,Wien,Wien,48.208176,16.373819,45-54,,yes
""",
    "events.csv": """event_time,customer_id,session_id,event_type,product_id,quantity,unit_price,order_id,device,channel,region,country
2024-01-10 09:00:00,u1,s1,page_view,P1,,,,Smartphone,Email,Berlin,DE
2024-01-10 09:01:00,u1,s1,add_to_cart,P1,1,49.00,,Android,Email,Berlin,DE
2024-01-10 09:02:00,u1,s1,purchase,P1,1,49.00,o1,iOS,Email,Berlin,DE
2024-01-11 10:00:00,u2,s2,view,P2,1,,,desktop,organic,Bayern,DE
2024-01-12 11:00:00,u4,s3,purchase,P2,2,25.50,o2,tablet,ads,Wien,AT
2024-01-12 11:05:00,,s4,view,P3,1,,,mobile,,Wien,AT
2024-01-13 12:00:00,u1,s5,teleport,P1,1,49.00,o3,mobile,Email,Berlin,DE
""",  # noqa: E501
    "reviews.csv": """review_time,customer_id,product_id,rating,text
2024-01-20 08:00:00,u1,P1,5,"Lovely shirt, fits well"
2024-01-21 08:00:00,u4,P2,4,Warm
""",
}


def test_shoplens_native_folder(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for name, text in NATIVE.items():
        (folder / name).write_text(text, encoding="utf-8")
    plans = ingest.plan_paths(store, [folder])
    assert [(p.kind, p.mapping.preset) for p in plans] == [
        ("products", "shoplens_products"), ("customers", "shoplens_customers"),
        ("events", "shoplens_events"), ("reviews", "shoplens_reviews")]
    report = ingest.run_import(store, plans)
    assert report.committed
    by_kind = {t.kind: t for t in report.tables}
    assert all(t.reconciles() for t in report.tables)
    assert (by_kind["products"].accepted, by_kind["customers"].accepted) == (3, 3)
    assert (by_kind["events"].accepted, by_kind["events"].rejected) == (6, 1)
    assert by_kind["events"].rejected_by_rule == {"unknown_event_type": 1}
    assert by_kind["events"].guests == 1
    assert by_kind["reviews"].accepted == 2
    assert store.scalar("SELECT count(DISTINCT import_id) FROM imports") == 1
    assert store.table_counts() == {"customers": 4, "products": 3, "events": 6, "reviews": 2}

    events = store.rows("SELECT session_id, event_type, quantity, device, channel FROM events "
                        "ORDER BY ts")
    assert events[:3] == [("s1", "view", 1, "mobile", "email"), ("s1", "cart", 1, "mobile", "email"),
                          ("s1", "purchase", 1, "mobile", "email")]
    assert dict(store.rows("SELECT product_id, active FROM products")) == {"P1": True, "P2": True,
                                                                          "P3": False}
    consent = store.rows("SELECT city, consent_profiling, lat, lon, first_seen FROM customers "
                         "WHERE city IS NOT NULL ORDER BY first_seen")
    assert consent == [
        ("Berlin", True, 52.52, 13.4, datetime(2023, 1, 5)),
        ("München", False, 48.14, 11.58, datetime(2023, 2, 10)),
        ("Wien", True, 48.21, 16.37, datetime(2023, 3, 15)),
    ]
    # u4 appears only in events and reviews: known from the first time seen
    assert store.scalar("SELECT first_seen FROM customers WHERE city IS NULL") == datetime(
        2024, 1, 12, 11, 0)
    assert store.scalar("SELECT text FROM reviews WHERE rating = 5") == "Lovely shirt, fits well"


# -- generic guessing and the user's corrections -------------------------------------------------

ODD = """Transaction ID,Event-Time,Placed,SKU,Product Name,user id,QTY,Price (each),Platform,utm_source
T1,2024-06-03 08:00,01.06.2024 10:00,A-1,Lamp,s1,2,10.00,Phone,Newsletter
T2,2024-06-04 09:00,02.06.2024 11:00,A-2,Desk,s2,1,120.00,PC,Ads
T3,2024-06-05 10:00,15.06.2024 12:00,A-1,Lamp,s1,1,10.00,iPad,
"""


def test_generic_mapping_guesses_odd_names(store: Store, write_file) -> None:
    plan = ingest.plan_paths(store, [write_file("odd.csv", ODD)])[0]
    assert plan.mapping.preset == "generic"
    assert plan.kind == "events"
    assert plan.mapping.columns == {
        "ts": "Event-Time", "product_id": "SKU", "customer_id": "user id", "quantity": "QTY",
        "unit_price": "Price (each)", "order_id": "Transaction ID", "title": "Product Name",
        "device": "Platform", "channel": "utm_source"}
    table = ingest.run_import(store, [plan]).tables[0]
    assert (table.accepted, table.rejected) == (3, 0)
    rows = store.rows("SELECT order_id, ts, product_id, quantity, device, channel FROM events "
                      "ORDER BY order_id")
    assert rows == [("T1", datetime(2024, 6, 3, 8), "A-1", 2, "mobile", "newsletter"),
                    ("T2", datetime(2024, 6, 4, 9), "A-2", 1, "desktop", "ads"),
                    ("T3", datetime(2024, 6, 5, 10), "A-1", 1, "tablet", None)]
    assert store.scalar("SELECT count(*) FROM customers") == 2


def test_remap_overrides_the_guess(store: Store, write_file) -> None:
    plan = ingest.plan_paths(store, [write_file("odd.csv", ODD)])[0]
    plan = ingest.remap(plan, columns={**plan.mapping.columns, "ts": "Placed", "device": ""})
    assert plan.mapping.columns["ts"] == "Placed"
    assert "device" not in plan.mapping.columns  # an empty choice unmaps the field
    table = ingest.run_import(store, [plan]).tables[0]
    assert (table.accepted, table.rejected) == (3, 0)
    assert table.date_format == "DD.MM.YYYY hh:mm"
    rows = store.rows("SELECT order_id, ts, device FROM events ORDER BY order_id")
    assert rows == [("T1", datetime(2024, 6, 1, 10), None),
                    ("T2", datetime(2024, 6, 2, 11), None),
                    ("T3", datetime(2024, 6, 15, 12), None)]
    assert dict(store.rows("SELECT product_id, title FROM products")) == {"A-1": "Lamp",
                                                                          "A-2": "Desk"}


def test_remap_date_format_and_kind(store: Store, write_file) -> None:
    text = "when,sku,qty\n03/04/2024,A,1\n05/06/2024,B,2\n"
    plan = ingest.plan_paths(store, [write_file("w.csv", text)])[0]
    plan = ingest.remap(plan, kind="events")
    assert plan.kind == "events"
    plan = ingest.remap(plan, columns={**plan.mapping.columns, "ts": "when"},
                        date_format="%m/%d/%Y")
    table = ingest.run_import(store, [plan]).tables[0]
    assert table.accepted == 2
    # The user's format: no guessing, no warning about dates; only the derived orders are said.
    assert [w.split(":")[0] for w in table.warnings] == ["No order column"]
    assert dict(store.rows("SELECT product_id, ts FROM events")) == {
        "A": datetime(2024, 3, 4), "B": datetime(2024, 5, 6)}


def test_remap_to_a_missing_column_is_refused(store: Store, write_file) -> None:
    plan = ingest.plan_paths(store, [write_file("odd.csv", ODD)])[0]
    with pytest.raises(IngestError, match="odd.csv has no column 'Nope'"):
        ingest.remap(plan, columns={"ts": "Nope"})



@pytest.mark.parametrize("name", sorted(NATIVE))
def test_detect_native_presets(name: str) -> None:
    mapping = presets.detect(NATIVE[name].splitlines()[0].split(","))
    assert mapping.preset == "shoplens_" + name.removesuffix(".csv")
    assert mapping.missing_required() == []
