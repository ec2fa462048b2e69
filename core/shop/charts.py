"""The Overview page's figures: (DataFrame) -> go.Figure, no data access, testable without a browser."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.shop import money
from core.shop.style import PALETTE, layout

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def revenue_line(df: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Net revenue per period as a line, orders as bars on a second axis."""
    fig = go.Figure()
    fig.add_bar(x=df["period"], y=df["orders"], name="orders", yaxis="y2",
                marker_color="#D9E6EF", opacity=0.8)
    fig.add_scatter(x=df["period"], y=df["revenue"], name="net revenue", mode="lines",
                    line=dict(color=PALETTE[0], width=2.5),
                    hovertemplate=money.hover("y", currency) + "<extra>net revenue</extra>")
    fig.update_layout(yaxis=dict(title=money.titled("net revenue", currency)),
                      yaxis2=dict(title="orders", overlaying="y", side="right", showgrid=False),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"),
                      hovermode="x unified")
    return layout(fig, "Revenue over time")


def hour_weekday_heatmap(df: pd.DataFrame) -> go.Figure:
    """Orders by weekday x hour of day."""
    grid = (df.pivot_table(index="weekday", columns="hour", values="orders", aggfunc="sum")
              .reindex(index=range(7), columns=range(24)).fillna(0))
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=[f"{h:02d}h" for h in range(24)], y=WEEKDAYS, colorscale="Blues",
        hovertemplate="%{y} %{x}: %{z:,.0f} orders<extra></extra>", colorbar=dict(title="orders")))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "When customers order (hour x weekday)")


def breakdown_bar(df: pd.DataFrame, dimension: str, top: int = 12,
                  currency: str | None = None) -> go.Figure:
    """Horizontal bars of revenue by one dimension (the rest grouped as 'other')."""
    df = df.sort_values("revenue", ascending=False)
    if len(df) > top:
        rest = pd.DataFrame([{"value": "other", "revenue": df["revenue"].iloc[top:].sum(),
                              "orders": df["orders"].iloc[top:].sum()}])
        df = pd.concat([df.head(top), rest], ignore_index=True)
    total = df["revenue"].sum() or 1.0
    fig = go.Figure(go.Bar(
        x=df["revenue"], y=[str(v) for v in df["value"]], orientation="h", marker_color=PALETTE[0],
        text=[f"{v / total:.0%}" for v in df["revenue"]], textposition="auto",
        customdata=df["orders"],
        hovertemplate="%{y}: " + money.hover("x", currency)
                      + " revenue, %{customdata:,} orders<extra></extra>"))
    fig.update_xaxes(title=money.titled("net revenue", currency))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, f"Revenue by {dimension}", height=max(220, 26 * len(df) + 80))


def places_map(df: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Customers' locations as bubbles on longitude/latitude (no map tiles: works offline)."""
    size = df["revenue"].clip(lower=0)
    scale = (size / size.max() * 40 + 4) if len(df) and size.max() > 0 else 6
    fig = go.Figure(go.Scattergl(
        x=df["lon"], y=df["lat"], mode="markers", text=[str(c) for c in df["country"]],
        marker=dict(size=scale, color=PALETTE[1], opacity=0.55, line=dict(width=0)),
        customdata=df[["revenue", "customers"]].to_numpy(),
        hovertemplate=("%{text} (%{y:.1f}, %{x:.1f})<br>" + money.hover("customdata[0]", currency)
                       + " revenue, %{customdata[1]:,} customers<extra></extra>")))
    fig.update_xaxes(title="longitude", zeroline=False)
    fig.update_yaxes(title="latitude", scaleanchor="x", scaleratio=1.3, zeroline=False)
    return layout(fig, "Where revenue comes from (customer locations)", height=420)


def product_labels(titles: pd.Series, ids: pd.Series, width: int = 40) -> list[str]:
    """Bar labels, one per product: the title cut to ``width``, and the product id beside the
    titles that repeat (two products sharing a title would otherwise be drawn as one bar)."""
    cut = [str(t)[:width] for t in titles]
    seen = pd.Series(cut).value_counts()
    return [f"{t} ({i})" if seen[t] > 1 else t for t, i in zip(cut, ids.astype(str), strict=True)]


def top_products_bar(df: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Best sellers by net revenue, labelled with their category."""
    labels = product_labels(df["title"], df["product_id"])
    categories = [str(c) for c in df["category"]]  # escaped with every label by layout()
    fig = go.Figure(go.Bar(
        x=df["revenue"], y=labels, orientation="h", marker_color=PALETTE[2],
        customdata=list(zip(categories, df["units"], strict=True)),
        hovertemplate="%{y}<br>%{customdata[0]}<br>" + money.hover("x", currency)
                      + " revenue, %{customdata[1]:,} units<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=money.titled("net revenue", currency))
    return layout(fig, "Top products", height=max(260, 24 * len(df) + 80))
