"""The Overview's numbers: KPIs with deltas, revenue over time, when and where the shop sells.

Revenue is net product revenue: purchases minus returns, guests included, postage and fees
(non-product lines) left out. Every function takes the same ``Filters`` and runs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from core.store.store import Store

DIMENSIONS = {"device": "device", "channel": "channel", "country": "country", "region": "region",
              "category": "category"}


@dataclass(frozen=True)
class Filters:
    """A date range [start, end] (inclusive days) and optional value filters."""

    start: date
    end: date
    devices: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        days = (self.end - self.start).days + 1
        return Filters(self.start - timedelta(days=days), self.start - timedelta(days=1),
                       self.devices, self.channels, self.countries, self.categories)


def _lines(f: Filters) -> tuple[str, dict[str, Any]]:
    """SQL of the sales lines (purchases and returns) that pass the filters."""
    params: dict[str, Any] = {
        "start": datetime.combine(f.start, datetime.min.time()),
        "end": datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
    }
    where = ["e.event_type IN ('purchase', 'return')", "e.ts >= $start", "e.ts < $end",
             "coalesce(p.is_product, true)"]
    for name, values, column in (("devices", f.devices, "e.device"),
                                 ("channels", f.channels, "e.channel"),
                                 ("countries", f.countries, "coalesce(e.country, c.country)"),
                                 ("categories", f.categories, "p.category")):
        if values:
            params[name] = list(values)
            where.append(f"list_contains(${name}, {column})")
    sql = (
        "SELECT e.*, p.title, coalesce(p.category, 'uncategorised') AS category, "
        "coalesce(e.country, c.country) AS country_any, c.lat, c.lon, "
        "CASE e.event_type WHEN 'return' THEN -1 ELSE 1 END * e.quantity * "
        "coalesce(e.unit_price, p.price, 0) AS net, coalesce(e.order_id, e.session_id) AS ord "
        "FROM events e LEFT JOIN products p USING (product_id) "
        "LEFT JOIN customers c USING (customer_key) WHERE " + " AND ".join(where)
    )
    return sql, params


def data_range(store: Store) -> tuple[date, date] | None:
    """First and last day with sales, or None for a shop without sales."""
    row = store.rows("SELECT min(ts), max(ts) FROM events WHERE event_type = 'purchase'")[0]
    if row[0] is None:
        return None
    return row[0].date(), row[1].date()


def filter_options(store: Store) -> dict[str, list[str]]:
    """Values offered by the filters (most frequent first)."""
    out = {}
    for name, sql in (
        ("devices", "SELECT device FROM events WHERE device IS NOT NULL GROUP BY 1 "
                    "ORDER BY count(*) DESC"),
        ("channels", "SELECT channel FROM events WHERE channel IS NOT NULL GROUP BY 1 "
                     "ORDER BY count(*) DESC"),
        ("countries", "SELECT coalesce(e.country, c.country) AS x FROM events e LEFT JOIN "
                      "customers c USING (customer_key) WHERE x IS NOT NULL GROUP BY 1 "
                      "ORDER BY count(*) DESC LIMIT 200"),
        ("categories", "SELECT category FROM products WHERE category IS NOT NULL GROUP BY 1 "
                       "ORDER BY count(*) DESC LIMIT 200"),
    ):
        out[name] = [r[0] for r in store.rows(sql)]
    return out


def kpis(store: Store, f: Filters) -> dict[str, dict[str, float | None]]:
    """Revenue, orders, customers, AOV and repeat rate, each with the previous period's value."""
    out: dict[str, dict[str, float | None]] = {}
    for label, flt in (("now", f), ("before", f.previous())):
        sql, params = _lines(flt)
        row = store.rows(
            "WITH l AS (" + sql + "), per AS (SELECT customer_key, count(DISTINCT ord) AS n "
            "FROM l WHERE event_type = 'purchase' AND customer_key IS NOT NULL GROUP BY 1) "
            "SELECT (SELECT sum(net) FROM l), (SELECT count(DISTINCT ord) FROM l WHERE "
            "event_type = 'purchase'), (SELECT count(*) FROM per), "
            "(SELECT avg(CAST(n >= 2 AS DOUBLE)) FROM per), "
            "(SELECT count(*) FILTER (WHERE event_type = 'return') / nullif(count(*), 0) FROM l)",
            params)[0]
        revenue, orders, customers, repeat, returns = row
        values = {"revenue": float(revenue or 0), "orders": float(orders or 0),
                  "customers": float(customers or 0),
                  "aov": float(revenue or 0) / orders if orders else None,
                  "repeat_rate": float(repeat) if repeat is not None else None,
                  "return_share": float(returns) if returns is not None else None}
        for k, v in values.items():
            out.setdefault(k, {})[label] = v
    return out


def revenue_over_time(store: Store, f: Filters) -> pd.DataFrame:
    """Net revenue and orders per day (per week when the range exceeds 120 days)."""
    grain = "week" if (f.end - f.start).days > 120 else "day"
    sql, params = _lines(f)
    return store.df(
        "SELECT date_trunc('" + grain + "', ts) AS period, sum(net) AS revenue, "
        "count(DISTINCT ord) FILTER (WHERE event_type = 'purchase') AS orders FROM ("
        + sql + ") GROUP BY 1 ORDER BY 1", params)


def hour_weekday(store: Store, f: Filters) -> pd.DataFrame:
    """Orders by weekday (Mon=0) and hour of day."""
    sql, params = _lines(f)
    return store.df(
        "SELECT isodow(ts) - 1 AS weekday, hour(ts) AS hour, count(DISTINCT ord) AS orders "
        "FROM (" + sql + ") WHERE event_type = 'purchase' GROUP BY 1, 2", params)


def breakdown(store: Store, f: Filters, dimension: str) -> pd.DataFrame:
    """Revenue and orders by device, channel, country, region or category."""
    column = {"country": "country_any"}.get(dimension, DIMENSIONS[dimension])
    sql, params = _lines(f)
    return store.df(
        "SELECT coalesce(CAST(" + column + " AS VARCHAR), 'unknown') AS value, sum(net) AS "
        "revenue, count(DISTINCT ord) FILTER (WHERE event_type = 'purchase') AS orders FROM ("
        + sql + ") GROUP BY 1 ORDER BY revenue DESC", params)


def places(store: Store, f: Filters) -> pd.DataFrame:
    """Revenue and customers per rounded location (customers with coordinates only)."""
    sql, params = _lines(f)
    return store.df(
        "SELECT round(lat, 1) AS lat, round(lon, 1) AS lon, any_value(country_any) AS country, "
        "sum(net) AS revenue, count(DISTINCT customer_key) AS customers FROM (" + sql
        + ") WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY 1, 2 ORDER BY revenue DESC",
        params)


def top_products(store: Store, f: Filters, n: int = 15) -> pd.DataFrame:
    """Best-selling products by net revenue."""
    sql, params = _lines(f)
    return store.df(
        "SELECT product_id, coalesce(any_value(title), product_id) AS title, "
        "any_value(category) AS category, sum(net) AS revenue, sum(CASE WHEN event_type = "
        "'purchase' THEN quantity ELSE -quantity END) AS units, count(DISTINCT ord) FILTER "
        "(WHERE event_type = 'purchase') AS orders FROM (" + sql + ") GROUP BY product_id "
        "ORDER BY revenue DESC LIMIT " + str(int(n)), params)


def dataset_counts(store: Store) -> pd.DataFrame:
    """Rows per table, with what each holds."""
    counts = store.table_counts()
    extra = store.rows(
        "SELECT (SELECT count(*) FROM events WHERE customer_key IS NULL), "
        "(SELECT count(*) FROM products WHERE NOT is_product), "
        "(SELECT count(*) FROM customers WHERE NOT consent_profiling), "
        "(SELECT min(ts) FROM events), (SELECT max(ts) FROM events)")[0]
    notes = {
        "customers": f"{extra[2]:,} objected to profiling",
        "products": f"{extra[1]:,} non-product codes (postage, fees)",
        "events": f"{extra[0]:,} guest lines; {extra[3]:%Y-%m-%d} to {extra[4]:%Y-%m-%d}"
        if extra[3] else "no events yet",
        "reviews": "ratings and texts",
    }
    return pd.DataFrame([{"table": t, "rows": n, "notes": notes[t]} for t, n in counts.items()])


def imports(store: Store) -> pd.DataFrame:
    """The import history, newest first."""
    return store.df(
        "SELECT import_id, finished_at, source, preset, kind, lines_read, accepted, fixed, "
        "rejected, returns, inserted, duplicates AS already_present FROM imports "
        "ORDER BY import_id DESC")
