"""The Olist multi-table layout: nine related CSV files imported as one shop.

Olist identifies a person by ``customer_unique_id`` (``customer_id`` is one per order), keeps
coordinates per zip prefix in a separate geolocation table, product categories in Portuguese
with an English translation table, one row per unit in ``order_items`` and review texts per
order. Each plan below joins what it needs and yields shoplens fields directly.
"""

from __future__ import annotations

from pathlib import Path

from core.ingest import readers
from core.ingest.plan import IngestError, TablePlan
from core.ingest.presets import Mapping
from core.store.store import Store

FILES = {
    "orders": "olist_orders_dataset", "customers": "olist_customers_dataset",
    "items": "olist_order_items_dataset", "products": "olist_products_dataset",
    "reviews": "olist_order_reviews_dataset", "geo": "olist_geolocation_dataset",
    "names": "product_category_name_translation",
}
REQUIRED = ("orders", "customers", "items")


def _find(folder: Path, stem: str) -> Path | None:
    hits = sorted(folder.glob(stem + "*.csv"))
    return hits[0] if hits else None


def is_olist_folder(folder: Path) -> bool:
    """True when the folder holds at least Olist's orders, customers and items files."""
    return all(_find(folder, FILES[k]) for k in REQUIRED)


def _read(path: Path, prefix: str, params: dict, sources: list, rejects: list) -> str:
    """A read_csv call for one file with parameter and reject-table names made unique."""
    src = readers.open_source(path)
    sql = src.relation
    for name in src.params:
        sql = sql.replace("$" + name, f"${prefix}_{name}")
        params[f"{prefix}_{name}"] = src.params[name]
    sql = sql.replace("'csv_rejects'", f"'{prefix}_rejects'").replace(
        "'csv_scans'", f"'{prefix}_scans'")
    sources.append(src)
    rejects.append(f"{prefix}_rejects")
    return sql


_CATEGORY = ("replace(coalesce(n.product_category_name_english, p.product_category_name, "
             "'product'), '_', ' ')")
_TITLE = f"upper(left({_CATEGORY}, 1)) || substr({_CATEGORY}, 2) || ' ' || left(p.product_id, 6)"


def plan_folder(store: Store, folder: Path) -> list[TablePlan]:
    """Plans for customers, products, order lines and reviews of an Olist folder."""
    paths = {k: _find(folder, stem) for k, stem in FILES.items()}
    missing = [FILES[k] + ".csv" for k in REQUIRED if paths[k] is None]
    if missing:
        raise IngestError(f"{folder}: the Olist layout needs {', '.join(missing)}.")
    plans: list[TablePlan] = []

    def plan(kind: str, label: str, body: str, params: dict, sources: list, rejects: list,
             fields: list[str]) -> None:
        mapping = Mapping(kind, {f: f for f in fields}, "olist")
        plans.append(TablePlan(kind, mapping, label, "(" + body + ")", params, fields, sources,
                               row_column="src_row", rejects_tables=rejects))

    # customers: one row per unique customer, coordinates averaged per zip prefix
    params, sources, rejects = {}, [], []
    cust = _read(paths["customers"], "c", params, sources, rejects)
    geo_join = ""
    geo_cols = "NULL AS lat, NULL AS lon"
    if paths["geo"]:
        geo = _read(paths["geo"], "g", params, sources, rejects)
        geo_join = (" LEFT JOIN (SELECT geolocation_zip_code_prefix AS zip, "
                    "avg(CAST(geolocation_lat AS DOUBLE)) AS lat, "
                    "avg(CAST(geolocation_lng AS DOUBLE)) AS lon FROM " + geo
                    + " GROUP BY 1) g ON c.customer_zip_code_prefix = g.zip")
        geo_cols = "CAST(any_value(g.lat) AS VARCHAR) AS lat, CAST(any_value(g.lon) AS VARCHAR) AS lon"
    plan("customers", paths["customers"].name,
         "SELECT min(c.src_row) AS src_row, c.customer_unique_id AS customer_id, "
         "any_value(c.customer_city) AS city, any_value(c.customer_state) AS region, "
         "'Brazil' AS country, " + geo_cols + " FROM (SELECT row_number() OVER () AS src_row, * "
         "FROM " + cust + ") c" + geo_join + " GROUP BY c.customer_unique_id",
         params, sources, rejects, ["customer_id", "city", "region", "country", "lat", "lon"])

    # products: category in English, a readable title, median selling price
    params, sources, rejects = {}, [], []
    names = ("(SELECT NULL::VARCHAR AS product_category_name, "
             "NULL::VARCHAR AS product_category_name_english)")
    if paths["names"]:
        names = _read(paths["names"], "n", params, sources, rejects)
    names_join = " LEFT JOIN " + names + " n USING (product_category_name)"
    if paths["products"]:
        prod = _read(paths["products"], "p", params, sources, rejects)
        items = _read(paths["items"], "i", params, sources, rejects)
        plan("products", paths["products"].name,
             "SELECT p.src_row, p.product_id, " + _TITLE + " AS title, coalesce("
             "n.product_category_name_english, p.product_category_name) AS category, "
             "CAST(pr.price AS VARCHAR) AS price, 'Weight ' || coalesce(p.product_weight_g, '?') "
             "|| ' g, ' || coalesce(p.product_photos_qty, '0') || ' photo(s)' AS description "
             "FROM (SELECT row_number() OVER () AS src_row, * FROM " + prod + ") p" + names_join
             + " LEFT JOIN (SELECT product_id, median(CAST(price AS DOUBLE)) AS price FROM "
             + items + " GROUP BY 1) pr USING (product_id)",
             params, sources, rejects, ["product_id", "title", "category", "price", "description"])

    # order lines: one row per (order, product) with the units counted
    params, sources, rejects = {}, [], []
    items = _read(paths["items"], "i", params, sources, rejects)
    orders = _read(paths["orders"], "o", params, sources, rejects)
    cust = _read(paths["customers"], "c", params, sources, rejects)
    plan("events", paths["items"].name,
         "SELECT min(i.src_row) AS src_row, any_value(o.order_purchase_timestamp) AS ts, "
         "any_value(c.customer_unique_id) AS customer_id, i.order_id, i.product_id, "
         "CAST(count(*) AS VARCHAR) AS quantity, CAST(avg(CAST(i.price AS DOUBLE)) AS VARCHAR) "
         "AS unit_price, any_value(o.order_status) AS status, any_value(c.customer_state) AS "
         "region, 'Brazil' AS country, any_value(c.customer_city) AS city, 'marketplace' AS "
         "channel FROM (SELECT row_number() OVER () AS src_row, * FROM " + items + ") i "
         "LEFT JOIN " + orders + " o USING (order_id) LEFT JOIN " + cust + " c USING "
         "(customer_id) GROUP BY i.order_id, i.product_id",
         params, sources, rejects,
         ["ts", "customer_id", "order_id", "product_id", "quantity", "unit_price", "status",
          "region", "country", "city", "channel"])

    if paths["reviews"]:
        params, sources, rejects = {}, [], []
        rev = _read(paths["reviews"], "r", params, sources, rejects)
        orders = _read(paths["orders"], "o", params, sources, rejects)
        cust = _read(paths["customers"], "c", params, sources, rejects)
        items = _read(paths["items"], "i", params, sources, rejects)
        plan("reviews", paths["reviews"].name,
             "SELECT r.src_row, c.customer_unique_id AS customer_id, fi.product_id, "
             "r.review_score AS rating, r.review_comment_title AS title, "
             "r.review_comment_message AS text, r.review_creation_date AS ts "
             "FROM (SELECT row_number() OVER () AS src_row, * FROM " + rev + ") r "
             "LEFT JOIN " + orders + " o USING (order_id) LEFT JOIN " + cust + " c USING "
             "(customer_id) LEFT JOIN (SELECT order_id, arg_min(product_id, CAST(order_item_id "
             "AS INTEGER)) AS product_id FROM " + items + " GROUP BY 1) fi USING (order_id)",
             params, sources, rejects,
             ["customer_id", "product_id", "rating", "title", "text", "ts"])
    return plans
