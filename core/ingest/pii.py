"""Personal data in a shop's exports: find it, keep it out of the store, scrub free text.

``detect`` looks at a table's column names and a sample of its values and says which columns
hold e-mail addresses, phone numbers, personal names, street addresses or exact coordinates.
``guard_plan`` runs it on a planned import: a personal column is dropped from the mapping (so
it is never read into any table, rejection or report) and the report says so, except the
customer id (stored only as a keyed hash) and latitude/longitude (rounded to 2 decimals).
``scrub_text`` (Python) and ``scrub_sql`` (the same patterns in DuckDB) replace e-mail
addresses and phone numbers inside free text, such as review texts, by ``[email]``/``[phone]``.
The patterns are written for both Python's ``re`` and DuckDB's RE2 (no look-arounds).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.store.store import Transaction, quote_ident

if TYPE_CHECKING:
    from core.ingest.plan import TablePlan, TableReport

log = logging.getLogger(__name__)

KINDS = ("email", "phone", "name", "address", "coordinates")
DESCRIBE = {"email": "e-mail addresses", "phone": "phone numbers", "name": "personal names",
            "address": "street addresses", "coordinates": "exact coordinates"}
SAMPLE_ROWS = 2000
CONTENT_VALUES = 300  # distinct values per column that content detection looks at
_CODES = {"product_id", "order_id", "session_id"}  # codes that may look like phone numbers
_NUMBERS = {"unit_price", "price", "quantity", "stock", "rating"}  # may have many decimals
TEXT_FIELDS = ("text", "title", "description")  # free text: kept, with contact details scrubbed
# short labels that could still carry a stray e-mail or phone number: scrubbed the same way
LABEL_FIELDS = ("region", "country", "city", "category", "brand")

EMAIL = r"""[^\s@<>(),;:"\[\]]+@[^\s@<>(),;:"\[\]]+\.[A-Za-z]{2,}"""
PHONE = "|".join((
    r"\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,5}",  # +44 7700 900123, +33 6 12 34 56 78
    r"\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,5}",  # (555) 123-4567
    r"\b(?:\d{1,3}[ .-])?\d{2,5}[ .-]\d{3,4}[ .-]\d{3,5}\b",  # 555-0100-777, 1-800-555-1234
    r"\b0\d{2,4}[ .-]\d{5,8}\b",  # 07700 900123, 0161-4960000
    r"\b0\d(?: \d{2}){4}\b", r"\b0\d(?:\.\d{2}){4}\b", r"\b0\d(?:-\d{2}){4}\b",  # 06 12 34 56 78
    r"\b0\d{9,10}\b",  # 07700900123
    r"\b\d{3}-\d{4}\b",  # 555-0100
))
_EMAIL_RE, _PHONE_RE = re.compile(EMAIL), re.compile(PHONE)

_STREET_AFTER = (r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
                 r"place|pl|square|sq|terrace|crescent|close|highway|hwy|parkway|pkwy|mews|"
                 r"rue|rua|avenida|calle|via|chemin|allée|allee|quai|impasse|platz|weg|gasse")
_STREET_BEFORE = (r"rue|rua|avenida|av|calle|carrer|via|viale|piazza|plaza|praça|praca|largo|"
                  r"travessa|alameda|estrada|rodovia|chemin|allée|quai|impasse|ulica|ul")
_ADDRESS_RE = re.compile("|".join((
    r"\b\d{1,5}[a-z]{0,2},?\s+(?:\S+\s+){0,4}(?:" + _STREET_AFTER + r")\b",  # 12 High Street
    r"\b(?:" + _STREET_BEFORE + r")\.?\s+\S.{0,60}?\b\d{1,5}[a-z]?\b",  # Rua Augusta, 123
    r"\w+(?:straße|strasse|str\.|weg|gasse|platz|allee|straat|laan)\s+\d{1,5}\b",  # Hauptstr. 5
    r"\bp\.?\s?o\.?\s+box\s+\d+",  # PO Box 12
)), re.I)
_COORD_RE = re.compile(r"-?\d{1,3}[.,](\d{4,})(?:\s*[,; ]\s*-?\d{1,3}[.,](\d{4,}))?")
_BOOLEANISH = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0", "on", "off", "none",
               "opt-in", "opt-out", "subscribed", "unsubscribed", "not_subscribed", "pending"}

_EMAIL_WORDS = {"email", "mail", "emailaddress", "emails"}
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "cellphone", "fax", "telefone",
                "telefono", "teléfono", "telefon", "handy", "whatsapp", "phonenumber", "telno"}
_ADDRESS_WORDS = {"address", "addr", "street", "streetaddress", "addressline", "housenumber",
                  "houseno", "apartment", "apt", "suite", "strasse", "straße", "endereco",
                  "endereço", "logradouro", "direccion", "dirección", "adresse", "indirizzo"}
_POSTCODE_WORDS = {"zip", "zipcode", "postcode", "postal", "postalcode", "plz", "cep"}
_COORD_WORDS = {"lat", "latitude", "lon", "lng", "long", "longitude", "coordinates", "coords",
                "geo", "gps", "geolocation", "location", "position"}
_NAME_WORDS = {"firstname", "lastname", "fullname", "surname", "forename", "givenname",
               "familyname", "middlename", "customername", "clientname", "buyername",
               "contactname", "recipientname", "reviewername", "username", "nickname",
               "billingname", "shippingname", "cardholder", "vorname", "nachname", "prenom",
               "prénom", "nome", "nombre"}
_NAME_QUALIFIERS = {"first", "last", "full", "given", "family", "middle", "sur", "fore",
                    "customer", "client", "buyer", "contact", "recipient", "reviewer", "billing",
                    "shipping", "user", "nick", "display", "account", "holder", "card", "sender",
                    "receiver", "person", "member", "owner", "profile", "delivery"}
_NAME_VETO = {"product", "item", "lineitem", "category", "brand", "vendor", "store", "shop",
              "company", "variant", "method", "file", "image", "campaign", "event", "page",
              "city", "country", "region", "state", "street", "town", "province", "sku", "tag",
              "tax", "discount", "collection", "option", "type"}
_VETO = {"marketing", "consent", "accepts", "accept", "optin", "opt", "subscribed", "subscriber",
         "subscription", "verified", "valid", "hash", "hashed", "sha256", "sha1", "md5", "domain",
         "count", "type", "status", "flag", "sent", "opened", "campaign", "country", "city",
         "state", "province", "region", "county", "town", "countrycode", "ip", "is", "has",
         "model"}


def scrub_text(text: str | None) -> str | None:
    """``text`` with e-mail addresses replaced by ``[email]`` and phone numbers by ``[phone]``."""
    if text is None:
        return None
    return _PHONE_RE.sub("[phone]", _EMAIL_RE.sub("[email]", text))


def _literal(pattern: str) -> str:
    return "'" + pattern.replace("'", "''") + "'"


def scrub_sql(expr: str) -> str:
    """SQL doing what ``scrub_text`` does to the text expression ``expr``."""
    inner = f"regexp_replace({expr}, {_literal(EMAIL)}, '[email]', 'g')"
    return f"regexp_replace({inner}, {_literal(PHONE)}, '[phone]', 'g')"


def shown_value_sql(field: str) -> str:
    """SQL: the raw text of a field as a rejected row shows it (``f_<field>``), coordinates
    cut to 2 decimals like the stored ones (a latitude out of range is often a longitude)."""
    if field in ("lat", "lon"):
        return f"regexp_replace(f_{field}, '(\\d+[.,]\\d{{2}})\\d+', '\\1', 'g')"
    return f"f_{field}"


def tokens(header: str) -> list[str]:
    """'billingAddress1' -> ['billing', 'address', '1']; 'E-mail (Billing)' -> ['e', 'mail', ...]."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))
    return re.findall(r"[^\W\d_]+|\d+", spaced.lower())


def _digits(value: str) -> int:
    return sum(ch.isdigit() for ch in value)


def is_email(value: str) -> bool:
    """The value is (or holds) an e-mail address."""
    return bool(_EMAIL_RE.search(value))


def is_phone(value: str) -> bool:
    """The whole value is a phone number: 7 to 15 digits, written with '+' or separators.

    A bare run of digits is not enough: ISBNs, barcodes and order numbers look the same.
    """
    value = value.strip()
    return (7 <= _digits(value) <= 15 and not value.isdigit()
            and bool(_PHONE_RE.fullmatch(value)))


def is_address(value: str) -> bool:
    """The value looks like a street address ('12 High Street', 'Rua Augusta, 123')."""
    return bool(_ADDRESS_RE.search(value))


def is_exact_coordinate(value: str) -> bool:
    """A latitude/longitude (or a pair) with more than 3 decimals."""
    m = _COORD_RE.fullmatch(value.strip())
    if not m:
        return False
    numbers = re.findall(r"-?\d+[.,]\d+", value)
    if any(abs(float(n.replace(",", "."))) > 180 for n in numbers):
        return False
    return any(len(d.rstrip("0")) > 3 for d in m.groups() if d)


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array: a value
        return False


def _most(values: list[str], test: Any, share: float) -> bool:
    """At least ``share`` of ``values`` pass ``test`` (stops as soon as it is decided)."""
    need, hits, left = share * len(values), 0, len(values)
    for v in values:
        left -= 1
        hits += bool(test(v))
        if hits >= need:
            return True
        if hits + left < need:
            return False
    return False


def _person_name_column(values: list[str], column: str, table: str | None,
                        frame: pd.DataFrame | None, product_column: str | None) -> bool:
    """Whether a column called just 'name' holds people's names in this kind of table."""
    if table == "products":
        return False
    if _most(values, lambda v: any(ch.isdigit() for ch in v) or v[:1] == "#", 0.5):
        return False  # order numbers ('#1001'), codes: not names
    if table != "events" or frame is None or not product_column or product_column not in frame:
        return True
    # An order table's 'name' may be the product's: then each product has a single name.
    pairs = frame[[product_column, column]].dropna()
    per_product = pairs.groupby(product_column)[column].agg(["nunique", "size"])
    repeated = per_product[per_product["size"] > 1]
    return repeated.empty or bool((repeated["nunique"] > 1).any())


def _by_header(column: str, values: list[str], table: str | None, frame: pd.DataFrame | None,
               product_column: str | None) -> str | None:
    toks = tokens(column)
    words, joined = set(toks), "".join(toks)
    if values and all(v.strip().lower() in _BOOLEANISH for v in values):
        return None  # 'Accepts Email Marketing': yes/no
    vetoed = bool(words & _VETO)
    if not vetoed and (words & _EMAIL_WORDS or "email" in joined):
        if not values or any("@" in v for v in values):
            return "email"
    if not vetoed and (words & _PHONE_WORDS or "phone" in joined):
        if not values or any(_digits(v) >= 7 for v in values):
            return "phone"
    if not words & _NAME_VETO:
        if words & _NAME_WORDS or joined in _NAME_WORDS or (
                "name" in words and words & _NAME_QUALIFIERS):
            return "name"
        if toks == ["name"] and _person_name_column(values, column, table, frame, product_column):
            return "name"
    if not vetoed and (words & _ADDRESS_WORDS or "address" in joined or "street" in joined):
        return "address"
    if words & _COORD_WORDS and _most(values, is_exact_coordinate, 0.5):
        return "coordinates"
    return None


def _by_content(values: list[str]) -> str | None:
    # Distinct values, a few hundred at most; cheap tests first (a regex only where it may hit).
    values = list(dict.fromkeys(values))[:CONTENT_VALUES]
    if not values:
        return None
    if _most(values, is_exact_coordinate, 0.8):
        return "coordinates"
    if _most(values, lambda v: "@" in v and is_email(v), 0.5):
        return "email"
    if _most(values, lambda v: _digits(v) >= 7 and is_phone(v), 0.5):
        return "phone"
    if _most(values, lambda v: any(ch.isdigit() for ch in v) and is_address(v), 0.5):
        return "address"
    return None


def detect(samples: pd.DataFrame | Mapping[str, Iterable[Any]], table: str | None = None,
           product_column: str | None = None) -> dict[str, str]:
    """Columns holding personal data -> their kind (one of ``KINDS``), in column order.

    ``samples`` is a DataFrame or ``{column: sample values}``. ``table`` is the kind of table
    (events, customers, products, reviews): a column called just 'name' is a person's name in
    customers and reviews, a product's in products, and in events (orders) a person's unless
    every product in the sample has a single value (``product_column`` names its column).
    Postcodes count as addresses only next to a street-address column.
    """
    frame = samples if isinstance(samples, pd.DataFrame) else None
    data = ({c: samples[c].tolist() for c in samples.columns} if frame is not None
            else {c: list(v) for c, v in samples.items()})
    found: dict[str, str] = {}
    for column, raw in data.items():
        values = [str(v).strip() for v in raw if not _missing(v)]
        values = [v for v in values if v]
        kind = _by_header(str(column), values, table, frame, product_column) or _by_content(values)
        if kind:
            found[str(column)] = kind
    if "address" in found.values():
        for column in data:
            if set(tokens(str(column))) & _POSTCODE_WORDS and str(column) not in found:
                found[str(column)] = "address"
    order = [str(c) for c in data]
    return dict(sorted(found.items(), key=lambda kv: order.index(kv[0])))


# -- the importer's guard -------------------------------------------------------------------

def sample(tx: Transaction, plan: TablePlan, n: int = SAMPLE_ROWS) -> pd.DataFrame:
    """The first ``n`` rows of a planned table, every column as text."""
    cols = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}"
                     for c in plan.columns)
    return tx.df("SELECT " + cols + " FROM " + plan.relation + " LIMIT " + str(int(n)),
                 plan.params)


def guard_plan(tx: Transaction, plan: TablePlan, report: TableReport) -> TablePlan:
    """``plan`` without its personal columns; each one found is noted in ``report``.

    The customer id stays (it is pseudonymised), so do latitude/longitude (rounded to 2
    decimals); free-text fields stay too (their e-mails and phone numbers are scrubbed).
    """
    m = plan.mapping
    found = detect(sample(tx, plan), plan.kind, m.columns.get("product_id"))
    columns = dict(m.columns)
    for column, kind in found.items():
        fields = sorted(f for f, c in m.columns.items() if c == column)
        kept = [f for f in fields if f == "customer_id" or (kind == "coordinates" and (
            f in ("lat", "lon") or f in _NUMBERS)) or (kind == "phone" and f in _CODES)]
        dropped = [f for f in fields if f not in kept]
        if kept and not dropped and "customer_id" not in kept and not {"lat", "lon"} & set(kept):
            continue  # a price with many decimals, a product code like 555-0100: not personal
        done = []
        if "customer_id" in kept:
            done.append("used as the customer id, stored only as a keyed hash")
        if {"lat", "lon"} & set(kept):
            done.append("rounded to 2 decimals (about 1 km)")
        if dropped or not kept:
            done.append("not stored" + (f", so not used as {' or '.join(dropped)}" if dropped else ""))
        for f in dropped:
            columns.pop(f)
        report.personal_data[column] = kind
        report.warnings.append(f"Column '{column}' holds {DESCRIBE[kind]}: {'; '.join(done)}.")
    if columns == m.columns:
        return plan
    log.info("%s: personal columns left out of the import: %s", plan.label,
             sorted(set(m.columns.values()) - set(columns.values())))
    return replace(plan, mapping=replace(m, columns=columns))
