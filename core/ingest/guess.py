"""Guessing an unknown layout: which column feeds each field, from names and from contents.

Each column of a sample (the file's first rows) gets a ``Profile``: how many of its values read
as dates, numbers, whole numbers, money (two decimals or a currency sign) or e-mails, and how
often a value repeats. Each (field, column) pair is scored from the column's name (an exact
synonym scores highest; a name made of the field's words, like ``CUST_CODE`` or ``Lineitem
quantity``, next) times how well the values fit the field (a "date" column whose values are not
dates scores low). A file without a header is guessed from contents alone. Fields get columns
best score first, one column each; each choice keeps its score as a confidence with a reason,
so the user knows which choices to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

# Exact spellings (normalised: lower case, letters and digits only): the strongest evidence.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ts": ("timestamp", "eventtime", "datetime", "date", "time", "orderdate", "createdat", "when",
           "invoicedate", "purchasedate", "reviewtime", "reviewdate", "eventdate", "ts",
           "saledate", "transactiondate", "shopdate", "created", "createdutc"),
    "product_id": ("productid", "sku", "itemid", "stockcode", "asin", "articleid", "variantsku",
                   "productcode", "prodcode", "itemsku", "productsku", "listingid", "upc", "ean"),
    "customer_id": ("customerid", "userid", "clientid", "customer", "reviewerid", "buyerid",
                    "email", "customeremail", "user", "custcode", "customercode", "buyer",
                    "memberid", "householdkey", "cardnumber", "loyaltycard", "customerno"),
    "event_type": ("eventtype", "event", "action", "eventname"),
    "quantity": ("quantity", "qty", "units", "count", "items", "qtyordered", "itemssold",
                 "numberofitems", "pieces"),
    "unit_price": ("unitprice", "price", "itemprice", "itemcost", "priceeach", "saleprice"),
    "line_total": ("linetotal", "spend", "salesvalue", "rowtotal", "itemtotal", "netsales",
                   "linevalue", "lineamount"),
    "order_id": ("orderid", "invoice", "invoiceno", "ordernumber", "transactionid", "order",
                 "basketid", "receiptnumber", "receiptno", "saleid", "incrementid", "orderno"),
    "session_id": ("sessionid", "session", "visitid"),
    "status": ("status", "orderstatus", "financialstatus", "paymentstatus"),
    "title": ("title", "productname", "name", "itemname", "summary", "product", "item"),
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
    "lat": ("lat", "latitude"), "lon": ("lon", "lng", "long", "longitude"),
    "first_seen": ("firstseen", "signupdate", "createdat", "registered", "since", "joined"),
    "consent_profiling": ("consentprofiling", "consent", "marketingconsent", "acceptsmarketing"),
    "age_band": ("ageband", "agegroup", "age"), "gender": ("gender", "sex"),
    "rating": ("rating", "stars", "score", "reviewscore", "overall"),
    "text": ("text", "reviewtext", "review", "comment", "body", "message"),
}

# Candidate date formats, tried on a sample first, then decided on the whole column.
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y/%m/%d", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M",
    "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%d-%m-%Y %H:%M", "%m-%d-%Y %H:%M", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%y %H:%M", "%m/%d/%y %H:%M",
    "%d/%m/%y", "%m/%d/%y", "%d %b %Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y",
    "%m/%d/%Y %I:%M %p", "%d/%m/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %I:%M %p",
    "%d %b %Y %H:%M", "%d %b %Y %H:%M:%S", "%a, %d %b %Y %H:%M:%S", "%Y%m%d", "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
)
EPOCH_S, EPOCH_MS = "epoch seconds", "epoch milliseconds"
# Trailing time-zone offsets and fractions of a second: local time of day is what we keep.
# (After a time of day only: in 10.01.2024 the '.2024' is the year.)
TS_SUFFIX = r"(:\d\d)(\.\d+)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"


def strip_ts(text: str) -> str:
    """Python's twin of ``ts_text``: a date-time 'T' separator, fractions, time zone removed."""
    return re.sub(TS_SUFFIX, r"\1", re.sub(r"(\d)T(\d)", r"\1 \2", text.strip()))

_ID = {"id", "code", "no", "nr", "num", "number", "key", "ref", "reference", "hash"}
_LINE = {"line", "lineitem", "item", "items", "product", "row", "article"}
_TAX = {"inc", "incl", "excl", "ex", "tax", "vat"}
# field -> (words that name it, other words allowed beside them, words that rule it out)
_WORDS: dict[str, tuple[set[str], set[str], set[str]]] = {
    "ts": ({"date", "time", "datetime", "timestamp", "created", "placed", "when"},
           {"order", "sale", "purchase", "transaction", "invoice", "shop", "event", "at", "utc",
            "local", "of", "on", "gmt", "add"}, {"time" + "zone", "zone", "week", "weekday", "hour",
                                          "due", "shipped", "refunded", "birth", "birthday"}),
    "customer_id": ({"customer", "cust", "client", "member", "household", "shopper", "buyer",
                     "user", "account", "patron", "loyalty", "card", "reviewer", "email"},
                    _ID | {"billing", "e", "mail", "loyalty"},
                    {"name", "type", "since", "sensitivity", "lifestage", "segment", "group",
                     "description", "note", "first", "last", "phone", "address", "count"}),
    "order_id": ({"order", "invoice", "receipt", "basket", "transaction", "txn", "ticket",
                  "sale", "bill", "checkout", "increment", "purchase"}, _ID | {"sales"},
                 {"date", "time", "total", "status", "value", "amount", "type", "size", "note",
                  "price", "sensitivity", "mission", "tax", "discount", "count", "created"}),
    "product_id": ({"sku", "product", "item", "article", "stockcode", "asin", "upc", "ean", "plu",
                    "gtin", "listing", "prod", "variant", "barcode"}, _ID | _LINE,
                   {"name", "title", "description", "qty", "quantity", "price", "total", "type",
                    "category", "count", "sold", "details", "cost"}),
    "quantity": ({"qty", "quantity", "units", "items", "pieces", "pcs", "count"},
                 _LINE | {"ordered", "sold", "of", "number", "purchased", "total"},
                 {"refunded", "returned", "available", "stock", "inventory", "shipped"}),
    "unit_price": ({"price", "cost", "each", "rate"}, _LINE | _TAX | {"unit", "per", "sale",
                                                                     "selling", "retail", "gross",
                                                                     "net", "actual"},
                   {"compare", "list", "shipping", "total", "order", "discount", "original"}),
    "line_total": ({"total", "spend", "sales", "amount", "revenue", "value", "subtotal", "sum"},
                   _LINE | _TAX | {"net", "gross", "price"},
                   {"order", "grand", "shipping", "discount", "fee", "fees", "refunded", "basket",
                    "invoice", "cart", "coupon", "tax", "taxes", "vat", "converted", "balance"}),
    "title": ({"title", "name", "description"}, _LINE | {"listing", "variant"},
              {"customer", "ship", "shipping", "billing", "first", "last", "full", "buyer", "user",
               "store", "shop", "file", "device", "employee", "category", "brand", "vendor",
               "price", "point"}),
    "category": ({"category", "department", "class", "family"}, _LINE | {"main", "sub", "name"},
                 {"customer"}),
    "brand": ({"brand", "vendor", "manufacturer", "maker"}, _LINE | {"name"}, set()),
    "status": ({"status"}, {"order", "financial", "payment", "sale", "transaction"},
               {"fulfillment", "fulfilment", "shipping", "delivery"}),
    "event_type": ({"event", "action"}, {"type", "name"}, set()),
    "device": ({"device", "platform"}, {"type", "name", "category"}, set()),
    "channel": ({"channel", "source", "medium", "utm", "referrer", "attribution"},
                {"sales", "order", "marketing", "traffic", "utm"}, set()),
    "country": ({"country", "nation"}, {"billing", "shipping", "ship", "customer", "code",
                                        "iso"}, set()),
    "region": ({"region", "state", "province", "county", "territory"},
               {"billing", "shipping", "ship", "code", "customer"}, {"store"}),
    "city": ({"city", "town"}, {"billing", "shipping", "ship", "customer"}, set()),
    "session_id": ({"session", "visit"}, _ID, set()),
    "first_seen": ({"signup", "registered", "joined", "since", "first"},
                   {"date", "seen", "at", "customer", "order", "on"}, set()),
    "rating": ({"rating", "stars", "score"}, {"review", "star", "overall"}, set()),
    "text": ({"review", "comment", "text", "body", "message", "feedback"},
             {"text", "body", "review"}, {"title", "date", "id", "rating", "score"}),
}
_SAME_RULES = {"price": "unit_price"}  # a product's list price reads like a unit price
_GENERIC_NAME = re.compile(r"^(column|col|field|var|v|x)?_?\d+$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_MONEY = re.compile(r"[$€£¥₹]|\b(usd|eur|gbp|chf|cad|aud|sek|nok|dkk|pln|jpy)\b", re.IGNORECASE)
_NUMBER = re.compile(r"^[-+]?[$€£¥₹]?\s?[-+]?(\d{1,3}([ ,.]\d{3})+|\d+)([.,]\d+)?\s?[$€£¥₹]?"
                     r"(\s?[A-Z]{3})?$")


@dataclass(frozen=True)
class Profile:
    """What a sample of one column looks like (shares are of its non-blank values)."""

    name: str
    filled: float = 0.0
    distinct: float = 0.0  # distinct values / non-blank values (1.0: every value unique)
    numeric: float = 0.0
    integer: float = 0.0
    two_decimals: float = 0.0
    money_sign: float = 0.0
    dates: float = 0.0
    email: float = 0.0
    letters: float = 0.0
    hash_numbers: float = 0.0  # '#1001'
    median: float | None = None
    lowest: float | None = None


@dataclass(frozen=True)
class Choice:
    """One field's column, how sure the guess is, and why."""

    column: str
    score: float
    reason: str

    @property
    def confidence(self) -> str:
        return "high" if self.score >= 0.7 else "medium" if self.score >= 0.45 else "low"


def words(name: str) -> list[str]:
    """'CUST_CODE' -> ['cust', 'code']; 'LineitemQty' -> ['lineitem', 'qty']."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def norm(name: str) -> str:
    """A column name for matching: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _number(text: str) -> float | None:
    if not _NUMBER.match(text):
        return None
    digits = re.sub(r"[^0-9,.\-]", "", text)
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?|-?\d+,\d{1,2}", digits):
        digits = digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", "")
    try:
        return float(digits)
    except ValueError:
        return None


def _is_date(text: str) -> bool:
    if len(text) < 6 or len(text) > 40 or sum(ch.isdigit() for ch in text) < 4:
        return False
    cleaned = strip_ts(text)
    if re.fullmatch(r"\d{9,10}|\d{12,13}", cleaned):
        return 946_684_800 <= int(cleaned[:10]) <= 2_000_000_000  # Unix time, 2000 to 2033
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        return 1990 <= parsed.year <= 2100
    return False


def looks_like_value(text: str) -> bool:
    """A number or a date (what a header cell rarely is)."""
    text = text.strip()
    return bool(text) and (_number(text) is not None or _is_date(text))


def profile(name: str, values: pd.Series) -> Profile:
    """The profile of one column from a sample of its values (as text)."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return Profile(name)
    sample = text.head(300)
    nums = [_number(v) for v in sample]
    found = [x for x in nums if x is not None]
    n = len(sample)
    share = lambda hits: hits / n  # noqa: E731 - a local shorthand
    return Profile(
        name=name, filled=len(text) / max(len(values), 1), distinct=text.nunique() / len(text),
        numeric=share(len(found)), integer=share(sum(1 for x in found if float(x).is_integer())),
        two_decimals=share(sum(1 for v in sample if re.search(r"[.,]\d{2}(\D*)$", v))),
        money_sign=share(sum(1 for v in sample if _MONEY.search(v))),
        dates=sum(1 for v in sample.head(60) if _is_date(v)) / min(n, 60),
        email=share(sum(1 for v in sample if _EMAIL.match(v))),
        letters=share(sum(1 for v in sample if re.search(r"[A-Za-z]", v))),
        hash_numbers=share(sum(1 for v in sample if re.fullmatch(r"#\d+", v))),
        median=float(pd.Series(found).median()) if found else None,
        lowest=min(found) if found else None,
    )


def name_score(field: str, column: str) -> tuple[float, str]:
    """How much the column's name says it is ``field`` (0 to 1), and why."""
    rule = _SAME_RULES.get(field, field)
    if norm(column) in SYNONYMS.get(field, ()) or norm(column) == norm(field):
        return 1.0, f"its name '{column}'"
    if rule not in _WORDS:
        return 0.0, ""
    heads, allowed, banned = _WORDS[rule]
    ws = words(column)
    if {"inc", "incl", "excl", "ex"} & set(ws):
        banned = banned - _TAX  # "total_price_tax_incl" is a price, "Sales Tax" is not
    if not ws or not heads & set(ws) or banned & set(ws):
        return 0.0, ""
    extra = [w for w in ws if w not in heads and w not in allowed]
    # After discounts ("net") is what was paid; a subtotal or a gross amount is before them.
    bonus = 0.05 if "net" in ws else -0.05 if {"gross", "subtotal"} & set(ws) else 0.0
    return (0.75 + bonus if not extra else 0.4), f"the words of its name '{column}'"


def content_fit(field: str, p: Profile) -> float:
    """How well a column's values fit ``field`` (0.1: they do not; 1: they do)."""
    f = _SAME_RULES.get(field, field)
    if f in ("ts", "first_seen"):
        return 1.0 if p.dates >= 0.8 else 0.1
    if f == "quantity":
        if p.numeric < 0.9 or p.dates > 0.5:
            return 0.1
        return 1.0 if p.integer >= 0.9 else 0.7
    if f in ("unit_price", "line_total") and p.filled < 0.9:
        return 0.2  # on an order's first line only: an order's amount, not a line's
    if f in ("unit_price", "line_total", "lat", "lon"):
        return 1.0 if p.numeric >= 0.9 and p.dates < 0.5 else 0.1
    if f in ("customer_id", "order_id", "product_id", "session_id"):
        if p.dates >= 0.8 or (p.two_decimals >= 0.8 and p.integer < 0.5):
            return 0.1  # dates and money are not ids
        if f == "product_id" and p.filled < 0.9:
            return 0.5  # a code many lines leave blank (an optional SKU)
        if f == "order_id" and p.distinct >= 0.999:
            return 0.85  # unique per line: a line id, or one line per order
        return 1.0
    if f == "rating":
        return 1.0 if p.numeric >= 0.9 and p.median is not None and 1 <= p.median <= 5 else 0.1
    if f in ("title", "category", "brand", "country", "region", "city", "text", "device",
             "channel", "status", "event_type"):
        return 1.0 if p.letters >= 0.5 else 0.3
    return 1.0


def content_score(field: str, p: Profile) -> tuple[float, str]:
    """A guess from the values alone, for a column whose name says nothing (no header)."""
    if field == "ts" and p.dates >= 0.95:
        return 0.6, f"{p.dates:.0%} of its values read as dates"
    if field == "line_total" and p.numeric >= 0.95 and p.two_decimals >= 0.5:
        return 0.55, "its values look like amounts of money"
    if field == "quantity" and p.integer >= 0.95 and p.median is not None and p.median <= 20 \
            and (p.lowest or 0) >= -1000:
        return 0.5, "its values are small whole numbers"
    if field == "customer_id" and p.distinct < 0.9 and p.dates < 0.5 and p.two_decimals < 0.5:
        return 0.45, "its values repeat like customer ids"
    if field == "order_id" and p.hash_numbers >= 0.9:
        return 0.55, "its values are order numbers like #1001"
    if field == "order_id" and norm(p.name) == "id" and p.distinct >= 0.999 and p.filled >= 0.95:
        return 0.45, "a unique id on every line: each line is one order"
    if field == "customer_id" and p.email >= 0.8:
        return 0.6, "its values are e-mail addresses"
    return 0.0, ""


def choose(fields: list[str], columns: list[str], profiles: dict[str, Profile]) -> dict[str, Choice]:
    """Each field's best column (one column per field), best scores first."""
    headerless = all(_GENERIC_NAME.match(c) for c in columns)
    candidates: list[tuple[float, int, str, str, str]] = []
    for i, f in enumerate(fields):
        for c in columns:
            p = profiles.get(c, Profile(c))
            score, why = name_score(f, c)
            if score and p.filled:
                fit = content_fit(f, p)
                if score >= 1.0:  # the field's own name: bad values are rejected row by row
                    fit = max(fit, 0.6)
                score, why = score * fit, why + ("" if fit >= 0.7 else ", though its values do not fit")
            elif p.filled and (headerless or f in ("ts", "customer_id", "order_id")):
                score, why = content_score(f, p)
                if not headerless:
                    score *= 0.8  # a named column wins over contents alone
            if score >= 0.3:
                candidates.append((score, -i, f, c, why))
    chosen: dict[str, Choice] = {}
    used: set[str] = set()
    for score, _, f, c, why in sorted(candidates, reverse=True):
        if f in chosen or c in used:
            continue
        chosen[f], _ = Choice(c, round(score, 2), why), used.add(c)
    if "title" in chosen and "product_id" not in chosen and "description" in words(
            chosen["title"].column):
        del chosen["title"]  # a payment's description ("Order #1001") is not a product
    return chosen
