"""The Customer page's figures: one customer's events over time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.shop import money
from core.shop.style import PALETTE, layout

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
