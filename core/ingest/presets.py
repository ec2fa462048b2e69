"""Column mappings: what each kind of table needs, the known export layouts, and guessing.

A ``Mapping`` says which source column feeds each shoplens field of one kind of table
(events, products, customers, reviews) plus the retail rules of that export (how cancellations
are marked, which codes are not products). Presets are data: a signature of columns that
identifies the export and candidate spellings for each field. Anything else gets a generic
mapping guessed from common column names, which the user confirms or edits.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace

from core.ingest import guess
from core.ingest.guess import SYNONYMS, Choice, Profile, norm

KINDS = ("events", "products", "customers", "reviews")
# A history without product ids (spend only): every line is one purchase of this product.
SPEND_ONLY_PRODUCT = "(all purchases)"
SPEND_ONLY_TITLE = "All purchases (no product column)"

# field -> required?  (order matters: it is the order of the mapping editor)
FIELDS: dict[str, dict[str, bool]] = {
    "events": {
        "ts": True, "customer_id": False, "order_id": False, "product_id": False,
        "quantity": False, "unit_price": False, "line_total": False, "event_type": False,
        "session_id": False,
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
    "ts": "when it happened (date and time)",
    "product_id": "product code / SKU (none: a spend-only history, one line = one purchase)",
    "customer_id": "customer id or e-mail (pseudonymised on import)",
    "event_type": "view / cart / purchase / return (default: purchase)",
    "quantity": "units (default 1; negative = return)", "unit_price": "price per unit",
    "line_total": "the line's total (quantity x unit price); unit price is derived from it",
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

# What a table of each kind cannot be without (events: a date and something bought).
KIND_HINTS = {
    "events": ("ts",), "reviews": ("rating", "product_id"),
    "customers": ("customer_id",), "products": ("product_id",),
}
EVENT_SUBSTANCE = ("product_id", "quantity", "unit_price", "line_total", "order_id")

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
    confidence: dict[str, Choice] = field(default_factory=dict)  # guessed fields: how sure

    def missing_required(self) -> list[str]:
        """Required fields with no source column and no constant."""
        return [f for f, req in FIELDS[self.kind].items()
                if req and f not in self.columns and f not in self.constants]

    def to_dict(self) -> dict:
        """What a remembered mapping keeps (JSON-ready; no confidence, no data)."""
        return {"kind": self.kind, "columns": dict(self.columns), "constants": dict(self.constants),
                "cancel_prefix": self.cancel_prefix, "fill_by_order": self.fill_by_order,
                "non_product_pattern": self.non_product_pattern, "date_format": self.date_format}

    @classmethod
    def from_dict(cls, data: dict, preset: str) -> Mapping:
        """The mapping ``to_dict`` wrote, under the name ``preset``."""
        return cls(data["kind"], dict(data["columns"]), preset, dict(data.get("constants") or {}),
                   data.get("cancel_prefix"), data.get("non_product_pattern"),
                   bool(data.get("fill_by_order")), data.get("date_format"))

    def with_columns(self, columns: dict[str, str]) -> Mapping:
        """A copy with another field -> column choice (empty choices dropped)."""
        unknown = sorted(set(columns) - set(FIELDS[self.kind]))
        if unknown:
            raise ValueError(f"A table of {self.kind} has no field {unknown[0]!r}; its fields "
                             f"are {', '.join(FIELDS[self.kind])}.")
        chosen = {f: c for f, c in columns.items() if c}
        kept = {f: c for f, c in self.confidence.items() if chosen.get(f) == c.column}
        return replace(self, columns=chosen, confidence=kept)


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


def _find(columns: list[str], spellings: tuple[str, ...]) -> str | None:
    by_norm = {norm(c): c for c in columns}
    for s in spellings:
        if norm(s) in by_norm:
            return by_norm[norm(s)]
    return None


def _from_preset(preset: Preset, columns: list[str]) -> Mapping:
    found = {f: c for f, sp in preset.columns.items() if (c := _find(columns, sp))}
    missing = [f for f in preset.columns if f not in found]
    if missing:  # a field this export spells its own way (UCI names with "qty"): by its name
        rest = [c for c in columns if c not in found.values()]
        found |= {f: ch.column for f, ch in guess.choose(missing, rest, {}).items()
                  if ch.score >= 1.0}
    return Mapping(preset.kind, found, preset.name,
                   dict(preset.constants), preset.cancel_prefix, preset.non_product_pattern,
                   preset.fill_by_order)


def guess_generic(columns: list[str], kind: str | None = None,
                  profiles: dict[str, Profile] | None = None) -> Mapping:
    """A mapping guessed from the columns' names and, given ``profiles``, their contents; the
    kind of table that explains the file best when ``kind`` is not given."""
    profiles = profiles or {}
    best: Mapping | None = None
    best_score: tuple[bool, float] = (False, -1.0)
    for k in [kind] if kind else list(KINDS):
        chosen = guess.choose(list(FIELDS[k]), columns, profiles)
        hints = all(f in chosen for f in KIND_HINTS[k])
        if k == "events":
            hints = hints and any(f in chosen for f in EVENT_SUBSTANCE)
        # The kind whose fields the file holds wins (an orders file without a date column is
        # still an orders file, and then gets a clear "no date column" error).
        score = (hints, sum(c.score for c in chosen.values()))
        if score > best_score:
            fill = k == "events" and _fills_by_order(chosen, profiles)
            best = Mapping(k, {f: c.column for f, c in chosen.items()}, "generic",
                           fill_by_order=fill, confidence=chosen)
            best_score = score
    assert best is not None
    return best


def _fills_by_order(chosen: dict[str, Choice], profiles: dict[str, Profile]) -> bool:
    """Order-level fields only on an order's first line (Shopify-like): the date column is
    blank on some lines of a file that has an order column."""
    if "order_id" not in chosen or "ts" not in chosen:
        return False
    ts = profiles.get(chosen["ts"].column)
    order = profiles.get(chosen["order_id"].column)
    return bool(ts and order and order.filled > 0.95 and 0 < ts.filled < 0.95)


def match(columns: list[str]) -> Mapping | None:
    """The known layout whose signature columns the file has, if any."""
    for p in PRESETS:
        if all(_find(columns, spellings) for spellings in p.signature):
            return _from_preset(p, columns)
    return None


def detect(columns: list[str], preset: str | None = None,
           profiles: dict[str, Profile] | None = None) -> Mapping:
    """The mapping of a file with these columns: the named preset, a matching one, or a guess
    (from the names, and the contents when ``profiles`` of a sample are given)."""
    if preset and preset != "generic":
        if preset not in PRESET_BY_NAME:
            known = ", ".join(sorted(PRESET_BY_NAME))
            raise ValueError(f"Unknown preset {preset!r}; known presets: {known}, generic.")
        return _from_preset(PRESET_BY_NAME[preset], columns)
    known = match(columns) if preset is None else None
    return known or guess_generic(columns, profiles=profiles)


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
