"""Column mappings: what each kind of table needs, the known export layouts, and guessing.

A ``Mapping`` says which source column feeds each shoplens field of one kind of table
(events, products, customers, reviews) plus the retail rules of that export (how cancellations
are marked, which codes are not products). Presets are data: a signature of columns that
identifies the export and candidate spellings for each field. Anything else gets a generic
mapping guessed from common column names, which the user confirms or edits.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace

KINDS = ("events", "products", "customers", "reviews")

# field -> required?  (order matters: it is the order of the mapping editor)
FIELDS: dict[str, dict[str, bool]] = {
    "events": {
        "ts": True, "product_id": True, "customer_id": False, "event_type": False,
        "quantity": False, "unit_price": False, "order_id": False, "session_id": False,
        "status": False, "title": False, "category": False, "brand": False, "device": False,
        "channel": False, "region": False, "country": False, "city": False,
    },
    "products": {
        "product_id": True, "title": False, "category": False, "brand": False, "price": False,
        "description": False, "image_path": False, "active": False, "stock": False,
    },
    "customers": {
        "customer_id": True, "country": False, "region": False, "city": False, "lat": False,
        "lon": False, "first_seen": False, "consent_profiling": False, "age_band": False,
        "gender": False,
    },
    "reviews": {
        "product_id": True, "rating": True, "customer_id": False, "ts": False, "text": False,
        "title": False,
    },
}

FIELD_HELP = {
    "ts": "when it happened (date and time)", "product_id": "product code / SKU",
    "customer_id": "customer id or e-mail (pseudonymised on import)",
    "event_type": "view / cart / purchase / return (default: purchase)",
    "quantity": "units (default 1; negative = return)", "unit_price": "price per unit",
    "order_id": "order / invoice number", "session_id": "visit / session id",
    "status": "order status (cancelled or refunded orders are not sales)",
    "title": "product name", "category": "product category", "brand": "brand or vendor",
    "device": "mobile / desktop / tablet", "channel": "marketing channel or source",
    "region": "state / region", "country": "country", "city": "city", "price": "list price",
    "description": "product description", "image_path": "image file or URL",
    "active": "still sold? (true/false)",
    "stock": "units in stock (0 = sold out; no column or blank = not tracked)",
    "lat": "latitude", "lon": "longitude",
    "first_seen": "sign-up / first order date", "consent_profiling": "agrees to profiling",
    "age_band": "age group", "gender": "gender", "rating": "stars 1-5", "text": "review text",
}

# Generic guessing: common spellings for each field (normalised: lower case, no punctuation).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ts": ("timestamp", "eventtime", "datetime", "date", "time", "orderdate", "createdat", "when",
           "invoicedate", "purchasedate", "reviewtime", "reviewdate", "eventdate", "ts"),
    "product_id": ("productid", "sku", "itemid", "stockcode", "product", "asin", "articleid",
                   "variantsku", "productcode", "item"),
    "customer_id": ("customerid", "userid", "clientid", "customer", "reviewerid", "buyerid",
                    "email", "customeremail", "user"),
    "event_type": ("eventtype", "event", "type", "action", "eventname"),
    "quantity": ("quantity", "qty", "units", "amount", "count"),
    "unit_price": ("unitprice", "price", "itemprice", "itemcost", "priceeach", "saleprice"),
    "order_id": ("orderid", "invoice", "invoiceno", "ordernumber", "transactionid", "order"),
    "session_id": ("sessionid", "session", "visitid"),
    "status": ("status", "orderstatus", "financialstatus"),
    "title": ("title", "productname", "name", "description", "itemname", "summary", "product"),
    "category": ("category", "productcategory", "categoryname", "department", "producttype"),
    "brand": ("brand", "vendor", "manufacturer"),
    "device": ("device", "devicetype", "platform"),
    "channel": ("channel", "source", "utmsource", "medium", "trafficsource"),
    "region": ("region", "state", "province", "county"),
    "country": ("country", "countrycode"),
    "city": ("city", "town"),
    "price": ("price", "listprice", "unitprice", "retailprice"),
    "description": ("description", "productdescription", "details", "body"),
    "image_path": ("image", "imagepath", "imageurl", "imagesrc", "picture"),
    "active": ("active", "isactive", "published", "enabled", "status"),
    "stock": ("stock", "inventory", "inventoryquantity", "variantinventoryqty", "qtyavailable",
              "quantityavailable", "stocklevel", "onhand", "stockquantity", "inventoryqty"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "first_seen": ("firstseen", "signupdate", "createdat", "registered", "since", "joined"),
    "consent_profiling": ("consentprofiling", "consent", "marketingconsent", "acceptsmarketing"),
    "age_band": ("ageband", "agegroup", "age"),
    "gender": ("gender", "sex"),
    "rating": ("rating", "stars", "score", "reviewscore", "overall"),
    "text": ("text", "reviewtext", "review", "comment", "body", "message"),
}
KIND_HINTS = {
    "events": ("ts", "product_id"), "reviews": ("rating", "product_id"),
    "customers": ("customer_id",), "products": ("product_id",),
}

# Postage, fees and manual adjustments in UCI-style exports: kept out of the product catalog.
UCI_NON_PRODUCT = (
    r"^(POST|DOT|M|D|C2|C3|CRUK|PADS|S|B|BANK CHARGES|AMAZONFEE|ADJUST\d*|TEST\d*|"
    r"GIFT_\d+_\d+)$"
)
GENERIC_NON_PRODUCT_TITLE = r"(?i)^(postage|shipping|carriage|delivery|manual|discount|fee|bank charges)\b"


@dataclass(frozen=True)
class Mapping:
    """Which source column feeds each field of one kind of table, and the export's rules."""

    kind: str
    columns: dict[str, str]
    preset: str = "generic"
    constants: dict[str, str] = field(default_factory=dict)
    cancel_prefix: str | None = None  # order ids starting with this are cancellations
    non_product_pattern: str | None = None  # regex on product ids that are not products
    fill_by_order: bool = False  # order-level fields only on an order's first line
    date_format: str | None = None  # strptime format chosen by the user; else detected

    def missing_required(self) -> list[str]:
        """Required fields with no source column and no constant."""
        return [f for f, req in FIELDS[self.kind].items()
                if req and f not in self.columns and f not in self.constants]

    def with_columns(self, columns: dict[str, str]) -> Mapping:
        """A copy with another field -> column choice (empty choices dropped)."""
        unknown = sorted(set(columns) - set(FIELDS[self.kind]))
        if unknown:
            raise ValueError(f"A table of {self.kind} has no field {unknown[0]!r}; its fields "
                             f"are {', '.join(FIELDS[self.kind])}.")
        return replace(self, columns={f: c for f, c in columns.items() if c})


@dataclass(frozen=True)
class Preset:
    """A known export layout of one kind of table."""

    name: str
    label: str
    kind: str
    signature: tuple[tuple[str, ...], ...]  # each entry: acceptable spellings of one column
    columns: dict[str, tuple[str, ...]]
    cancel_prefix: str | None = None
    non_product_pattern: str | None = None
    fill_by_order: bool = False
    constants: dict[str, str] = field(default_factory=dict)


_OR = ("InvoiceNo", "Invoice")
_ORD = dict(order_id=_OR, product_id=("StockCode",), title=("Description",),
            quantity=("Quantity",), ts=("InvoiceDate",), unit_price=("UnitPrice", "Price"),
            customer_id=("CustomerID", "Customer ID"), country=("Country",))

PRESETS: tuple[Preset, ...] = (
    Preset("online_retail_ii", "UCI Online Retail II (Invoice, Price, Customer ID)", "events",
           (("Invoice",), ("StockCode",), ("Price",), ("Customer ID",), ("InvoiceDate",)),
           _ORD, cancel_prefix="C", non_product_pattern=UCI_NON_PRODUCT),
    Preset("uci_online_retail", "UCI Online Retail (InvoiceNo, UnitPrice, CustomerID)", "events",
           (("InvoiceNo",), ("StockCode",), ("UnitPrice",), ("CustomerID",), ("InvoiceDate",)),
           _ORD, cancel_prefix="C", non_product_pattern=UCI_NON_PRODUCT),
    Preset("shopify_orders", "Shopify orders export", "events",
           (("Name",), ("Lineitem quantity",), ("Lineitem name",), ("Created at",)),
           dict(order_id=("Name",), customer_id=("Email",), ts=("Created at",),
                quantity=("Lineitem quantity",), title=("Lineitem name",),
                unit_price=("Lineitem price",), product_id=("Lineitem sku", "Lineitem name"),
                brand=("Vendor",), status=("Financial Status",),
                channel=("Source",), country=("Shipping Country", "Billing Country"),
                region=("Shipping Province", "Billing Province"),
                city=("Shipping City", "Billing City")),
           fill_by_order=True),
    Preset("woocommerce_orders", "WooCommerce orders export", "events",
           (("Order Number", "Order ID"), ("Order Date",), ("Item Name", "Product Name")),
           dict(order_id=("Order Number", "Order ID"), ts=("Order Date",),
                status=("Order Status",),
                customer_id=("Customer User ID", "Customer ID", "Email (Billing)",
                             "Billing Email"),
                product_id=("SKU", "Product ID", "Item #", "Item Name"),
                title=("Item Name", "Product Name"),
                quantity=("Quantity (- Refund)", "Quantity", "Qty"),
                unit_price=("Item Cost", "Item Price", "Product Price"),
                category=("Category", "Product Categories"),
                country=("Country Code (Billing)", "Billing Country"),
                region=("State Code (Billing)", "Billing State"),
                city=("City (Billing)", "Billing City")),
           fill_by_order=True),
    Preset("amazon_reviews", "Amazon reviews (reviewerID, asin, overall)", "reviews",
           (("reviewerID",), ("asin",), ("overall",)),
           dict(customer_id=("reviewerID",), product_id=("asin",), rating=("overall",),
                ts=("unixReviewTime",), text=("reviewText",), title=("summary",))),
    Preset("shoplens_events", "shoplens events", "events",
           (("event_time",), ("event_type",), ("product_id",), ("session_id",)),
           dict(ts=("event_time",), customer_id=("customer_id",), session_id=("session_id",),
                event_type=("event_type",), product_id=("product_id",),
                quantity=("quantity",), unit_price=("unit_price",), order_id=("order_id",),
                device=("device",), channel=("channel",), region=("region",),
                country=("country",))),
    Preset("shoplens_products", "shoplens products", "products",
           (("product_id",), ("title",), ("category",), ("brand",), ("price",)),
           {**{f: (f,) for f in FIELDS["products"]}, "stock": SYNONYMS["stock"]}),
    Preset("shoplens_customers", "shoplens customers", "customers",
           (("customer_id",), ("signup_date",), ("consent_profiling",)),
           {**{f: (f,) for f in FIELDS["customers"]}, "first_seen": ("signup_date",)}),
    Preset("shoplens_reviews", "shoplens reviews", "reviews",
           (("review_time",), ("customer_id",), ("product_id",), ("rating",)),
           dict(ts=("review_time",), customer_id=("customer_id",), product_id=("product_id",),
                rating=("rating",), text=("text",))),
)
PRESET_BY_NAME = {p.name: p for p in PRESETS}


def norm(name: str) -> str:
    """Normalise a column name for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find(columns: list[str], spellings: tuple[str, ...]) -> str | None:
    by_norm = {norm(c): c for c in columns}
    for s in spellings:
        if norm(s) in by_norm:
            return by_norm[norm(s)]
    return None


def _from_preset(preset: Preset, columns: list[str]) -> Mapping:
    found = {f: _find(columns, sp) for f, sp in preset.columns.items()}
    return Mapping(preset.kind, {f: c for f, c in found.items() if c}, preset.name,
                   dict(preset.constants), preset.cancel_prefix, preset.non_product_pattern,
                   preset.fill_by_order)


def guess_generic(columns: list[str], kind: str | None = None) -> Mapping:
    """A mapping from common column spellings; the kind with the best match if not given."""
    kinds = [kind] if kind else list(KINDS)
    best: Mapping | None = None
    best_score = (-1, -1)
    for k in kinds:
        used: set[str] = set()
        cols: dict[str, str] = {}
        for f in FIELDS[k]:
            col = _find([c for c in columns if c not in used], SYNONYMS.get(f, (f,)))
            if col:
                cols[f], _ = col, used.add(col)
        # The kind that explains the most columns wins (an orders file without a date column
        # is still an orders file, and then gets a clear "no date column" error).
        hints = sum(1 for f in KIND_HINTS[k] if f in cols)
        score = (len(cols), hints == len(KIND_HINTS[k]))
        if score > best_score:
            best, best_score = Mapping(k, cols, "generic",
                                       non_product_pattern=None), score
    assert best is not None
    return best


def detect(columns: list[str], preset: str | None = None) -> Mapping:
    """The mapping of a file with these columns: the named preset, a matching one, or a guess."""
    if preset and preset != "generic":
        if preset not in PRESET_BY_NAME:
            known = ", ".join(sorted(PRESET_BY_NAME))
            raise ValueError(f"Unknown preset {preset!r}; known presets: {known}, generic.")
        return _from_preset(PRESET_BY_NAME[preset], columns)
    if preset is None:
        for p in PRESETS:
            if all(_find(columns, spellings) for spellings in p.signature):
                return _from_preset(p, columns)
    return guess_generic(columns)


def suggest_columns(columns: list[str], field_name: str, n: int = 3) -> list[str]:
    """Source columns whose names look like ``field_name`` (for error messages)."""
    wanted = [norm(s) for s in SYNONYMS.get(field_name, (field_name,))]
    normed = {norm(c): c for c in columns}
    hits: list[str] = []
    for w in wanted:
        for m in difflib.get_close_matches(w, list(normed), n=n, cutoff=0.6):
            if normed[m] not in hits:
                hits.append(normed[m])
    return hits[:n]
