"""One customer, as the Customer page shows them: who they are, what they did, when.

``find`` turns what a merchant types (their own customer id, or the stored key) into the
stored key. ``card`` gathers the figures of the customer card from the profiles already
computed for segments; a customer who objected to profiling gets no profile figures, only
their consent state. ``timeline`` lists their events for the purchase timeline, and
``customer_timeline`` draws it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.segments.profiles import CustomerData
from core.shop import money
from core.shop.style import PALETTE, layout
from core.store import pseudonym
from core.store.store import Store


def find(store: Store, given: str) -> str | None:
    """The stored key of a customer given by the shop's own id or by the key (None: unknown)."""
    given = given.strip()
    if not given:
        return None
    candidates = [given] if pseudonym.is_key(given) else []
    candidates.append(pseudonym.pseudonymize(store, [given])[0])
    for key in candidates:
        if store.scalar("SELECT count(*) FROM customers WHERE customer_key = ?", [key]):
            return key
    return None


def card(store: Store, key: str, data: CustomerData | None, segment: str | None) -> dict[str, Any]:
    """The customer card: consent, region, first seen, orders and spend, and - only for
    customers who may be profiled - segment, RFM group, predicted value and churn risk."""
    row = store.df("""
        SELECT c.consent_profiling AS consent, coalesce(c.region, c.country) AS region,
               c.first_seen, count(DISTINCT e.order_id) FILTER (WHERE e.event_type = 'purchase') AS orders,
               sum(e.quantity * e.unit_price) FILTER (WHERE e.event_type = 'purchase') AS spend,
               count(e.ts) AS events, max(e.ts) AS last_seen
        FROM customers c LEFT JOIN events e USING (customer_key)
        WHERE c.customer_key = ? GROUP BY ALL""", [key])
    if row.empty:
        return {"known": False, "consent": True}
    r = row.iloc[0]
    out: dict[str, Any] = {"known": True, "consent": bool(r["consent"]), "region": r["region"],
                           "first_seen": r["first_seen"], "last_seen": r["last_seen"],
                           "orders": int(r["orders"] or 0), "spend": _num(r["spend"]),
                           "events": int(r["events"] or 0)}
    if not out["consent"] or data is None or key not in data.numeric.index:
        return out
    num = data.numeric.loc[key]
    out.update(segment=segment, rfm_group=num.get("rfm_group"), value_12m=_num(num.get("value_12m")),
               churn_risk=_num(num.get("churn_risk")), recency_days=_num(num.get("recency_days")))
    return out


def _num(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def timeline(store: Store, key: str, limit: int = 2000) -> pd.DataFrame:
    """The customer's most recent events (ts, event, product, title, category, price, device)."""
    df = store.df("""
        SELECT e.ts, e.event_type AS event, e.product_id, p.title, p.category,
               coalesce(e.unit_price, p.price) AS price, e.quantity, e.device, e.channel
        FROM events e LEFT JOIN products p USING (product_id)
        WHERE e.customer_key = ? ORDER BY e.ts DESC LIMIT ?""", [key, limit])
    return df.sort_values("ts").reset_index(drop=True)


def marked(picks: pd.DataFrame, hits: list[str] | None) -> pd.DataFrame:
    """A list's table with a 'next basket' column when evaluating against a held-out basket."""
    if hits is None:
        return picks
    out = picks.copy()
    out["next basket"] = np.where(out["product_id"].isin(hits), "hit", "miss")
    return out


EVENT_ROWS = {"view": "viewed", "cart": "added to basket", "purchase": "bought", "return": "returned"}


def customer_timeline(df: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """One customer's events over time: a row per event type, a colour per category."""
    fig = go.Figure()
    if df.empty:
        return layout(fig, "No events yet", height=220)
    df = df.assign(row=df["event"].map(EVENT_ROWS).fillna(df["event"]),
                   category=df["category"].fillna("uncategorised"),
                   title=df["title"].fillna(df["product_id"]))
    for i, (category, part) in enumerate(df.groupby("category", sort=False)):
        fig.add_scatter(
            x=part["ts"], y=part["row"], mode="markers", name=str(category),
            marker=dict(size=9, color=PALETTE[i % len(PALETTE)], line=dict(width=0.5, color="white")),
            customdata=part[["title", "price"]].to_numpy(),
            hovertemplate="%{x|%Y-%m-%d %H:%M}<br>%{y}: %{customdata[0]}<br>price "
                          + money.hover("customdata[1]", currency, 2) + "<extra>%{fullData.name}</extra>")
    fig.update_yaxes(categoryorder="array", categoryarray=list(EVENT_ROWS.values())[::-1], title=None)
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0), hovermode="closest")
    return layout(fig, f"{len(df):,} events, {df['ts'].min():%Y-%m-%d} to {df['ts'].max():%Y-%m-%d}",
                   height=300)
