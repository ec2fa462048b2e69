"""The layout suite: export layouts written from shop platforms' public documentation.

Each fixture is generated from one seeded list of orders and written in a platform's own
columns and quirks (order fields on the first line only, currency signs, decimal commas,
Unix times, 12-hour clocks, YYYYMMDD dates, separate refund lines, no header, spaces between
columns). Its known totals (revenue, orders, customers, products) are computed from the
orders themselves, never from the file, so a test compares the import with the truth.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

TITLES = ["Stoneware Mug", "Linen Apron", "Oak Cutting Board", "Beeswax Candle", "Wool Throw",
          "Ceramic Vase", "Tea Towel Set", "Copper Kettle", "Glass Carafe", "Herb Planter",
          "Cotton Tote", "Brass Bottle Opener", "Walnut Tray", "Rattan Basket", "Soy Candle Duo"]


@dataclass
class Line:
    sku: str
    title: str
    qty: int
    price: float  # per unit
    discount: float = 0.0  # on the line

    @property
    def total(self) -> float:
        return round(self.qty * self.price - self.discount, 2)


@dataclass
class Order:
    number: int
    customer: str | None  # None: a guest
    email: str | None
    name: str
    country: str
    ts: datetime
    lines: list[Line]
    status: str = "paid"  # paid | cancelled

    @property
    def paid(self) -> bool:
        return self.status == "paid"


@dataclass
class Layout:
    name: str
    file: str
    data: bytes
    revenue: float
    orders: int
    customers: int
    products: int  # real products (a spend-only history has none)
    maps: list[str] = field(default_factory=list)  # --map options the import needs (goal: none)


def make_orders(seed: int, n: int = 60, cancelled: float = 0.0, guests: float = 0.0) -> list[Order]:
    rng = random.Random(seed)
    people = [(f"{1000 + i}", f"shopper{i}@example.com", f"Alex Example{i}",
               rng.choice(["DE", "FR", "US", "GB"])) for i in range(15)]
    prices = [round(rng.choice([4.5, 7.9, 12.5, 19.0, 24.95, 39.0, 58.5]) + j * 0.1, 2)
              for j in range(len(TITLES))]  # a product keeps its price
    start = datetime(2024, 1, 3, 9, 0)
    out = []
    for k in range(n):
        cid, email, name, country = rng.choice(people)
        guest = rng.random() < guests
        lines = []
        for j in rng.sample(range(len(TITLES)), rng.randint(1, 3)):
            price = prices[j]
            disc = round(price * 0.1, 2) if rng.random() < 0.2 else 0.0
            lines.append(Line(f"SKU-{100 + j}", TITLES[j], rng.randint(1, 4), price, disc))
        ts = start + timedelta(days=k * 5 + rng.randint(0, 3), hours=rng.randint(0, 9),
                               minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
        status = "cancelled" if rng.random() < cancelled else "paid"
        out.append(Order(1001 + k, None if guest else cid, None if guest else email, name,
                         country, ts, lines, status))
    return out


def _totals(name: str, file: str, data: bytes, orders: list[Order], by: Callable[[Line], float],
            maps: list[str] | None = None, spend_only: bool = False) -> Layout:
    paid = [o for o in orders if o.paid]
    revenue = round(sum(by(ln) for o in paid for ln in o.lines), 2)
    customers = len({o.customer for o in paid if o.customer})
    products = 0 if spend_only else len({ln.sku for o in orders for ln in o.lines})
    return Layout(name, file, data, revenue, len(paid), customers, products, maps or [])


def _csv(header: list[str], rows: list[list], delimiter: str = ",", crlf: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def shopify() -> Layout:
    """Shopify orders export: one row per line item; order fields on the first line only."""
    orders = make_orders(1, cancelled=0.1)
    head = ["Name", "Email", "Financial Status", "Paid at", "Fulfillment Status",
            "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
            "Discount Code", "Discount Amount", "Created at", "Lineitem quantity", "Lineitem name",
            "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Billing Name",
            "Billing City", "Billing Country", "Vendor", "Id", "Source"]
    rows = []
    for o in orders:
        status = "paid" if o.paid else "voided"
        for i, ln in enumerate(o.lines):
            first = i == 0
            sub = sum(x.qty * x.price for x in o.lines)
            stamp = o.ts.strftime("%Y-%m-%d %H:%M:%S +0100")
            rows.append([f"#{o.number}", o.email if first else "", status if first else "",
                         stamp if first and o.paid else "", "fulfilled" if first else "",
                         "yes" if first else "", "EUR" if first else "",
                         f"{sub:.2f}" if first else "", "4.90" if first else "",
                         "0.00" if first else "", f"{sub + 4.9:.2f}" if first else "", "", "",
                         stamp if first else "", ln.qty, ln.title, f"{ln.price:.2f}",
                         "", ln.sku, o.name if first else "", "Berlin" if first else "",
                         o.country if first else "", "Atelier", str(5000 + o.number) if first
                         else "", "web" if first else ""])
    return _totals("Shopify", "orders_export.csv", _csv(head, rows), orders,
                   lambda ln: ln.qty * ln.price)


def woocommerce() -> Layout:
    """WooCommerce line-item export: the order total repeated on every line; ISO dates."""
    orders = make_orders(2, cancelled=0.1)
    head = ["order_number", "order_date", "status", "customer_id", "billing_email",
            "billing_country", "line_item_product_id", "line_item_sku", "line_item_name",
            "line_item_quantity", "line_item_subtotal", "line_item_total", "cart_discount",
            "order_total"]
    rows = [[o.number, o.ts.strftime("%Y-%m-%dT%H:%M:%S"), "completed" if o.paid else "cancelled",
             o.customer, o.email, o.country, 700 + int(ln.sku[-3:]), ln.sku, ln.title, ln.qty,
             f"{ln.qty * ln.price:.2f}", f"{ln.total:.2f}", f"{sum(x.discount for x in o.lines):.2f}",
             f"{sum(x.total for x in o.lines):.2f}"] for o in orders for ln in o.lines]
    return _totals("WooCommerce", "wc-orders.csv", _csv(head, rows), orders, lambda ln: ln.total)


def bigcommerce() -> Layout:
    """BigCommerce orders export with products: "$" amounts, dates like 05 Mar 2024."""
    orders = make_orders(3, cancelled=0.1)
    head = ["Order ID", "Order Date", "Order Status", "Customer ID", "Customer Email",
            "Billing Country", "Product SKU", "Product Name", "Product Qty", "Product Unit Price",
            "Product Total Price", "Order Total (inc tax)", "Payment Method"]
    rows = [[o.number, o.ts.strftime("%d %b %Y"), "Completed" if o.paid else "Cancelled",
             o.customer, o.email, o.country, ln.sku, ln.title, ln.qty, f"${ln.price:,.2f}",
             f"${ln.total:,.2f}", f"${sum(x.total for x in o.lines):,.2f}", "Credit Card"]
            for o in orders for ln in o.lines]
    return _totals("BigCommerce", "orders-2024.csv", _csv(head, rows), orders,
                   lambda ln: ln.total)


def magento() -> Layout:
    """Magento / Adobe Commerce sales order items: qty as 2.0000, a multi-line quoted store."""
    orders = make_orders(4)
    head = ["increment_id", "created_at", "status", "customer_id", "customer_email",
            "customer_firstname", "sku", "name", "qty_ordered", "price", "row_total",
            "base_grand_total", "store_name"]
    rows = [[f"{o.number:09d}", o.ts.strftime("%Y-%m-%d %H:%M:%S"), "complete", o.customer,
             o.email, o.name.split()[0], ln.sku, ln.title, f"{ln.qty:.4f}", f"{ln.price:.4f}",
             f"{ln.total:.4f}", f"{sum(x.total for x in o.lines):.4f}",
             "Main Website\nMain Website Store\nDefault Store View"]
            for o in orders for ln in o.lines]
    return _totals("Magento", "sales_order_item.csv", _csv(head, rows), orders,
                   lambda ln: ln.total)


def prestashop() -> Layout:
    """PrestaShop SQL-manager export: semicolons, decimal commas, a UTF-8 BOM."""
    orders = make_orders(5)
    head = ["id_order", "reference", "id_customer", "email", "date_add", "product_reference",
            "product_name", "product_quantity", "unit_price_tax_incl", "total_price_tax_incl",
            "total_paid_tax_incl", "current_state"]
    rows = [[o.number, f"XKB{o.number}Q", o.customer, o.email, o.ts.strftime("%Y-%m-%d %H:%M:%S"),
             ln.sku, ln.title, ln.qty, f"{ln.price:.2f}".replace(".", ","),
             f"{ln.total:.2f}".replace(".", ","),
             f"{sum(x.total for x in o.lines):.2f}".replace(".", ","), 5]
            for o in orders for ln in o.lines]
    data = b"\xef\xbb\xbf" + _csv(head, rows, delimiter=";")
    return _totals("PrestaShop", "orders_prestashop.csv", data, orders, lambda ln: ln.total)


def square() -> Layout:
    """Square item sales: date and time apart, "$", walk-in guests, refunds as own lines."""
    orders = make_orders(6, guests=0.25)
    head = ["Date", "Time", "Time Zone", "Category", "Item", "Qty", "Price Point Name", "SKU",
            "Gross Sales", "Discounts", "Net Sales", "Tax", "Transaction ID", "Payment ID",
            "Device Name", "Event Type", "Location", "Customer ID", "Customer Name",
            "Customer Reference ID", "Count", "Channel"]
    rows, refunds = [], 0.0
    for o in orders:
        for ln in o.lines:
            rows.append([o.ts.strftime("%m/%d/%Y"), o.ts.strftime("%H:%M:%S"), "America/New_York",
                         "Home", ln.title, ln.qty, "Regular", ln.sku, f"${ln.qty * ln.price:,.2f}",
                         f"-${ln.discount:,.2f}", f"${ln.total:,.2f}", "$0.00", f"T{o.number}X",
                         f"P{o.number}", "Front Counter", "Payment", "Main St", o.customer or "",
                         o.name if o.customer else "", "", ln.qty, "Point of Sale"])
        if o.number % 9 == 0:  # a refund of the first line, a week later
            ln = o.lines[0]
            refunds += ln.total
            day = o.ts + timedelta(days=7)
            rows.append([day.strftime("%m/%d/%Y"), day.strftime("%H:%M:%S"), "America/New_York",
                         "Home", ln.title, -ln.qty, "Regular", ln.sku, f"-${ln.qty * ln.price:,.2f}",
                         f"${ln.discount:,.2f}", f"-${ln.total:,.2f}", "$0.00", f"T{o.number}X",
                         f"R{o.number}", "Front Counter", "Refund", "Main St", o.customer or "",
                         "", "", -ln.qty, "Point of Sale"])
    out = _totals("Square", "items-2024.csv", _csv(head, rows), orders, lambda ln: ln.total)
    out.revenue = round(out.revenue - refunds, 2)
    return out


def etsy() -> Layout:
    """Etsy sold order items: MM/DD/YY dates, a transaction id per line, SKUs mostly blank."""
    orders = make_orders(7)
    head = ["Sale Date", "Item Name", "Buyer", "Quantity", "Price", "Coupon Code",
            "Discount Amount", "Order Shipping", "Order Sales Tax", "Item Total", "Currency",
            "Transaction ID", "Listing ID", "Date Paid", "Date Shipped", "Ship Name", "Ship City",
            "Ship State", "Ship Country", "Order ID", "VAT Paid by Buyer", "SKU"]
    rows = [[o.ts.strftime("%m/%d/%y"), ln.title, f"buyer_{o.customer}", ln.qty, f"{ln.price:.2f}",
             "", "0", "3.50", "0.00", f"{ln.qty * ln.price:.2f}", "USD", f"{o.number}{i}77",
             f"11{ln.sku[-3:]}", o.ts.strftime("%m/%d/%y"), "", o.name, "Austin", "TX", o.country,
             f"30{o.number}", "0.00", ln.sku if i == 0 and o.number % 4 == 0 else ""]
            for o in orders for i, ln in enumerate(o.lines)]
    return _totals("Etsy", "EtsySoldOrderItems2024.csv", _csv(head, rows), orders,
                   lambda ln: ln.qty * ln.price)


def ecwid() -> Layout:
    """Ecwid orders export: semicolons, Unix times, upper-case payment states."""
    orders = make_orders(8, cancelled=0.1)
    head = ["order_number", "order_created_timestamp", "payment_status", "customer_email",
            "customer_name", "shipping_country", "item_sku", "item_name", "item_quantity",
            "item_price", "order_subtotal", "order_total"]
    rows = [[o.number, int(o.ts.timestamp()), "PAID" if o.paid else "CANCELLED",
             o.email, o.name, o.country, ln.sku, ln.title, ln.qty, f"{ln.price:.2f}",
             f"{sum(x.qty * x.price for x in o.lines):.2f}",
             f"{sum(x.qty * x.price for x in o.lines) + 5:.2f}"] for o in orders for ln in o.lines]
    return _totals("Ecwid", "ecwid_orders.csv", _csv(head, rows, delimiter=";"), orders,
                   lambda ln: ln.qty * ln.price)


def lightspeed() -> Layout:
    """Lightspeed Retail sales lines: 12-hour clock, customer names beside their ids."""
    orders = make_orders(9)
    head = ["Date", "Sale ID", "Customer", "Customer ID", "Item", "System ID", "Custom SKU", "Qty",
            "Unit Price", "Subtotal", "Discount", "Total", "Employee", "Shop", "Register"]
    rows = [[o.ts.strftime("%-m/%-d/%Y %-I:%M %p"), o.number, o.name, o.customer, ln.title,
             f"2100000{ln.sku[-3:]}", ln.sku, ln.qty, f"{ln.price:.2f}", f"{ln.qty * ln.price:.2f}",
             f"{ln.discount:.2f}", f"{ln.total:.2f}", "Sam Clerk", "Downtown", "Register 1"]
            for o in orders for ln in o.lines]
    return _totals("Lightspeed", "sales_lines.csv", _csv(head, rows), orders, lambda ln: ln.total)


def stripe() -> Layout:
    """Stripe payments (unified): one payment per line, no products, failed and refunded ones."""
    orders = make_orders(10, cancelled=0.15)
    head = ["id", "Created (UTC)", "Amount", "Amount Refunded", "Currency", "Captured",
            "Converted Amount", "Converted Currency", "Description", "Fee", "Refunded date",
            "Status", "Customer ID", "Customer Description", "Customer Email", "Card ID"]
    rows = []
    for o in orders:
        amount = sum(ln.total for ln in o.lines)
        rows.append([f"ch_3Mx{o.number}Qa", o.ts.strftime("%Y-%m-%d %H:%M"), f"{amount:.2f}",
                     "0.00", "usd", "true" if o.paid else "false", f"{amount:.2f}", "usd",
                     f"Order #{o.number}", f"{amount * 0.029 + 0.3:.2f}", "",
                     "Paid" if o.paid else "Failed", f"cus_{o.customer}", o.name, o.email,
                     f"card_{o.customer}"])
    return _totals("Stripe", "unified_payments.csv", _csv(head, rows), orders, lambda ln: ln.total,
                   spend_only=True)


def supermarket() -> Layout:
    """A supermarket's loyalty-card transactions (dunnhumby-like): YYYYMMDD dates, line totals
    in SPEND, fuel lines with quantities in the thousands, card-less baskets."""
    orders = make_orders(11, n=80, guests=0.2)
    for o in orders[::7]:  # fuel: quantity in millilitres, priced per litre
        o.lines.append(Line("PRD0900099", "Fuel", 40_000 + o.number * 10, 0.00165))
    head = ["SHOP_WEEK", "SHOP_DATE", "SHOP_WEEKDAY", "SHOP_HOUR", "QUANTITY", "SPEND",
            "PROD_CODE", "PROD_CODE_10", "CUST_CODE", "CUST_PRICE_SENSITIVITY", "CUST_LIFESTAGE",
            "BASKET_ID", "BASKET_SIZE", "BASKET_TYPE", "STORE_CODE", "STORE_FORMAT", "STORE_REGION"]
    rows = [[o.ts.strftime("%Y%W"), o.ts.strftime("%Y%m%d"), o.ts.isoweekday(), o.ts.hour, ln.qty,
             f"{ln.total:.2f}", ln.sku, "CL00" + ln.sku[-2:], f"CUST{o.customer}" if o.customer
             else "", "MM", "YA", f"99410010{o.number:07d}", "M", "Small Shop", "STORE00001",
             "LS", "E02"] for o in orders for ln in o.lines]
    return _totals("Supermarket loyalty card", "transactions_200804.csv", _csv(head, rows), orders,
                   lambda ln: ln.total)


def spend_only() -> Layout:
    """A plain order history (CDNOW-like): customer, YYYYMMDD, items, amount; spaces between
    columns, no header, CRLF line ends. Orders: one per customer and day, as documented."""
    orders = make_orders(12, n=90)
    lines = [f"{int(o.customer):05d} {o.ts:%Y%m%d} {sum(ln.qty for ln in o.lines):>3d} "
             f"{sum(ln.total for ln in o.lines):>8.2f}" for o in orders]
    data = ("\r\n".join(lines) + "\r\n").encode("ascii")
    out = _totals("Spend-only history", "CDNOW_sample.txt", data, orders, lambda ln: ln.total,
                  spend_only=True)
    out.orders = len({(o.customer, o.ts.date()) for o in orders})
    return out


def pos_fixed_width() -> Layout:
    """A till's fixed-width text report: columns at fixed positions, names with spaces."""
    orders = make_orders(13)
    fmt = "{:<10} {:<8} {:<8} {:<8} {:<20} {:>4} {:>9}"
    text = [fmt.format("DATE", "RECEIPT", "CUSTOMER", "SKU", "DESCRIPTION", "QTY", "AMOUNT")]
    text += [fmt.format(o.ts.strftime("%d.%m.%Y"), o.number, o.customer, ln.sku, ln.title, ln.qty,
                        f"{ln.total:.2f}") for o in orders for ln in o.lines]
    return _totals("Fixed-width till report", "till_report.txt",
                   ("\n".join(text) + "\n").encode(), orders, lambda ln: ln.total)


LAYOUTS: dict[str, Callable[[], Layout]] = {
    "shopify": shopify, "woocommerce": woocommerce, "bigcommerce": bigcommerce,
    "magento": magento, "prestashop": prestashop, "square": square, "etsy": etsy,
    "ecwid": ecwid, "lightspeed": lightspeed, "stripe": stripe, "supermarket": supermarket,
    "spend_only": spend_only, "pos_fixed_width": pos_fixed_width,
}
