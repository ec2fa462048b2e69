"""Fuzzing the importer with Hypothesis: 500 small order files in random encodings, delimiters,
date and number formats, header spellings, with broken lines. Whatever comes in, the importer
either imports (and its report adds up with the file, and the store holds the revenue and the
orders of exactly the lines it accepted) or refuses with its own clear error, naming the file and
leaving the store as it was. Never another exception."""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.ingest import ingest
from core.ingest.plan import IngestError
from core.store import config
from core.store.store import Store

ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
DELIMITERS = [",", ";", "\t", "|"]
DATES = ["iso", "dmy", "mdy", "ymd8", "epoch"]
NUMBERS = ["plain", "comma", "thousands", "eu_thousands", "currency"]
HEADERS = {  # spellings the importer should know (by name, or from the contents)
    "order": ["order_id", "Order ID", "invoice", "InvoiceNo", "Order Number"],
    "date": ["order_date", "Date", "created_at", "InvoiceDate", "Order Date"],
    "sku": ["sku", "product_id", "StockCode", "SKU"],
    "qty": ["qty", "Quantity", "quantity"],
    "price": ["price", "Unit Price", "UnitPrice", "unit_price"],
    "customer": ["customer", "Customer ID", "CustomerID", "customer_id"],
}
BROKEN = ["extra_field", "missing_field", "stray_bytes"]
SPECIAL = ["NaN", "inf", "-Infinity", ""]
START = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class Row:
    order: str
    when: datetime
    sku: str
    qty: int
    cents: int | None  # None: a special value (NaN, inf, empty)
    special: str
    customer: str
    broken: str | None


rows_strategy = st.lists(
    st.tuples(  # day, minute, quantity, cents (None: a special amount), special, broken, customer
        st.integers(0, 1500), st.integers(0, 24 * 60 - 1), st.integers(1, 5),
        st.one_of(st.integers(1, 250_000), st.none()), st.sampled_from(SPECIAL),
        st.one_of(st.none(), st.none(), st.none(), st.sampled_from(BROKEN)),
        st.integers(0, 5)),
    min_size=1, max_size=12)


@st.composite
def export(draw: st.DrawFn) -> dict:
    raw = draw(rows_strategy)
    rows = [Row(f"{1000 + i // 2}", START + timedelta(days=d, minutes=m), f"S{i % 7}{i}", q,
                c, s if c is None else "", f"c{cu}", b)
            for i, (d, m, q, c, s, b, cu) in enumerate(raw)]
    return {
        "rows": rows,
        "encoding": draw(st.sampled_from(ENCODINGS)),
        "delimiter": draw(st.sampled_from(DELIMITERS)),
        "dates": draw(st.sampled_from(DATES)),
        "numbers": draw(st.sampled_from(NUMBERS)),
        "symbol": draw(st.sampled_from(["$", "€", "£"])),
        "names": {k: draw(st.sampled_from(v)) for k, v in HEADERS.items()},
        "case": draw(st.sampled_from(["same", "upper", "lower", "spaced"])),
        "order": draw(st.permutations(list(HEADERS))),
        "unclosed_quote_last": draw(st.integers(1, 10)) == 5,  # refused: one in ten
        "crlf": draw(st.booleans()),
    }


def _date(when: datetime, how: str) -> str:
    return {"iso": when.strftime("%Y-%m-%d %H:%M:%S"), "dmy": when.strftime("%d/%m/%Y"),
            "mdy": when.strftime("%m/%d/%Y"), "ymd8": when.strftime("%Y%m%d"),
            "epoch": str(int(when.timestamp()))}[how]


def _money(cents: int, how: str, symbol: str) -> str:
    units, rest = divmod(cents, 100)
    if how == "plain":
        return f"{units}.{rest:02d}"
    if how == "comma":
        return f"{units},{rest:02d}"
    if how == "thousands":
        return f"{units:,}.{rest:02d}"
    if how == "eu_thousands":
        return f"{units:,}".replace(",", ".") + f",{rest:02d}"
    return f"{symbol}{units:,}.{rest:02d}"


def _header(name: str, case: str) -> str:
    return {"same": name, "upper": name.upper(), "lower": name.lower(),
            "spaced": f" {name} "}[case]


def render(spec: dict) -> tuple[bytes, list[Row]]:
    """The file's bytes, and its data rows in line order (line k + 2 is rows[k])."""
    enc = spec["encoding"]
    symbol = spec["symbol"]
    try:
        symbol.encode(enc)
    except UnicodeEncodeError:
        symbol = "$"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=spec["delimiter"], lineterminator="\r\n" if spec["crlf"]
                        else "\n", quoting=csv.QUOTE_MINIMAL)
    keys = spec["order"]
    writer.writerow([_header(spec["names"][k], spec["case"]) for k in keys])
    lines = [out.getvalue().encode(enc)]  # the BOM (utf-8-sig, utf-16) once, at the start
    enc = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le"}.get(enc, enc)
    rows: list[Row] = spec["rows"]
    for n, row in enumerate(rows):
        values = {"order": row.order, "date": _date(row.when, spec["dates"]), "sku": row.sku,
                  "qty": str(row.qty), "customer": row.customer,
                  "price": row.special if row.cents is None else
                  _money(row.cents, spec["numbers"], symbol)}
        fields = [values[k] for k in keys]
        if row.broken == "extra_field":
            fields.append("surplus")
        elif row.broken == "missing_field":
            fields.pop()
        out = io.StringIO()
        csv.writer(out, delimiter=spec["delimiter"], lineterminator="\r\n" if spec["crlf"]
                   else "\n").writerow(fields)
        text = out.getvalue()
        if spec["unclosed_quote_last"] and n == len(rows) - 1:
            text = '"' + text
            row.broken = "unclosed_quote"
        data = text.encode(enc)
        if enc == "utf-16-le":
            if row.broken == "stray_bytes":
                row.broken = None  # a stray byte shifts every later UTF-16 character
        elif row.broken == "stray_bytes":
            cut = data.index(row.sku.encode(enc)) + len(row.sku)
            data = data[:cut] + b"\xff\x81" + data[cut:]
            row.sku += "?"  # whatever the byte reads as, the product is not S..
        lines.append(data)
    return b"".join(lines), rows


def _reset(shop: str) -> None:
    db = config.shop_db_path(shop)
    for path in (db, Path(str(db) + ".wal"), config.secrets_dir() / f"{shop}.key"):
        path.unlink(missing_ok=True)


SHOPS = itertools.count()


@pytest.fixture(scope="module")
def fuzz_home(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("fuzz_home")
    mp = pytest.MonkeyPatch()
    mp.setenv("SHOPLENS_HOME", str(home))
    yield home
    mp.undo()
    print(f"\nfuzz outcomes: {OUTCOMES}")  # shown with -s: how many imported, how many refused


def check_one(spec: dict, folder: Path) -> str:
    """Import one generated file into a fresh shop and check the property; the outcome."""
    data, rows = render(spec)
    path = folder / "orders-export.csv"
    path.write_bytes(data)
    shop = f"fuzz{next(SHOPS)}"
    store = Store.open(shop)
    try:
        try:
            report = ingest.import_paths(store, [path], where="cli")
        except IngestError as err:  # the importer's own refusal: clear, and nothing written
            assert "orders-export.csv" in str(err), str(err)
            assert "Traceback" not in str(err)
            assert sum(store.table_counts().values()) == 0
            assert store.scalar("SELECT count(*) FROM imports") == 0
            assert store.scalar("SELECT count(*) FROM rejections") == 0
            return "refused"
        (table,) = report.tables
        assert report.committed and table.reconciles(), table
        assert table.lines_read == len(rows), (table.lines_read, len(rows))
        rejected = {r.row for r in table.rejections}
        assert len(rejected) == table.rejected, table.rejections
        accepted = [row for k, row in enumerate(rows) if k + 2 not in rejected]
        assert len(accepted) == table.accepted
        for row in accepted:  # a broken line or a special amount is never taken for a sale
            # (a stray byte in a product code is one more character where the text is 8-bit)
            assert row.broken in (None, "stray_bytes") and row.special == "", (row, table.columns)
        revenue = store.scalar("SELECT coalesce(sum(quantity * unit_price), 0) FROM events "
                               "WHERE event_type = 'purchase'")
        expected = sum(row.qty * row.cents / 100 for row in accepted if row.cents is not None)
        assert math.isclose(revenue, expected, rel_tol=1e-9, abs_tol=1e-6), (revenue, expected,
                                                                           table.columns)
        orders = store.scalar("SELECT count(DISTINCT order_id) FROM events")
        assert orders == len({row.order for row in accepted}), table.columns
        return "imported"
    finally:
        store.close()
        _reset(shop)


OUTCOMES: dict[str, int] = {}


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "500")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(spec=export())
def test_the_importer_imports_or_refuses_clearly(spec: dict, fuzz_home: Path,
                                                tmp_path: Path) -> None:
    outcome = check_one(spec, tmp_path)
    OUTCOMES[outcome] = OUTCOMES.get(outcome, 0) + 1
