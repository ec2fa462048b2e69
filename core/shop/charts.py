"""Plotly figure builders: (DataFrame) -> go.Figure, no data access, testable without a browser."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
PALETTE = ["#2E6F95", "#E07A5F", "#3D9970", "#F2CC8F", "#81B29A", "#9C6ADE", "#F28482",
           "#5E548E", "#84A59D", "#B5838D"]


def _layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      template="plotly_white", colorway=PALETTE)
    return fig


def revenue_line(df: pd.DataFrame, currency: str = "") -> go.Figure:
    """Net revenue per period as a line, orders as bars on a second axis."""
    fig = go.Figure()
    fig.add_bar(x=df["period"], y=df["orders"], name="orders", yaxis="y2",
                marker_color="#D9E6EF", opacity=0.8)
    fig.add_scatter(x=df["period"], y=df["revenue"], name="net revenue", mode="lines",
                    line=dict(color=PALETTE[0], width=2.5))
    fig.update_layout(yaxis=dict(title=f"net revenue {currency}".strip()),
                      yaxis2=dict(title="orders", overlaying="y", side="right", showgrid=False),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"),
                      hovermode="x unified")
    return _layout(fig, "Revenue over time")


def hour_weekday_heatmap(df: pd.DataFrame) -> go.Figure:
    """Orders by weekday x hour of day."""
    grid = (df.pivot_table(index="weekday", columns="hour", values="orders", aggfunc="sum")
              .reindex(index=range(7), columns=range(24)).fillna(0))
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=[f"{h:02d}h" for h in range(24)], y=WEEKDAYS, colorscale="Blues",
        hovertemplate="%{y} %{x}: %{z:,.0f} orders<extra></extra>", colorbar=dict(title="orders")))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "When customers order (hour x weekday)")


def breakdown_bar(df: pd.DataFrame, dimension: str, top: int = 12) -> go.Figure:
    """Horizontal bars of revenue by one dimension (the rest grouped as 'other')."""
    df = df.sort_values("revenue", ascending=False)
    if len(df) > top:
        rest = pd.DataFrame([{"value": "other", "revenue": df["revenue"].iloc[top:].sum(),
                              "orders": df["orders"].iloc[top:].sum()}])
        df = pd.concat([df.head(top), rest], ignore_index=True)
    total = df["revenue"].sum() or 1.0
    fig = go.Figure(go.Bar(
        x=df["revenue"], y=df["value"].astype(str), orientation="h", marker_color=PALETTE[0],
        text=[f"{v / total:.0%}" for v in df["revenue"]], textposition="auto",
        customdata=df["orders"],
        hovertemplate="%{y}: %{x:,.0f} revenue, %{customdata:,} orders<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"Revenue by {dimension}", height=max(220, 26 * len(df) + 80))


def places_map(df: pd.DataFrame) -> go.Figure:
    """Customers' locations as bubbles on longitude/latitude (no map tiles: works offline)."""
    size = df["revenue"].clip(lower=0)
    scale = (size / size.max() * 40 + 4) if len(df) and size.max() > 0 else 6
    fig = go.Figure(go.Scattergl(
        x=df["lon"], y=df["lat"], mode="markers", text=df["country"],
        marker=dict(size=scale, color=PALETTE[1], opacity=0.55, line=dict(width=0)),
        customdata=df[["revenue", "customers"]].to_numpy(),
        hovertemplate=("%{text} (%{y:.1f}, %{x:.1f})<br>%{customdata[0]:,.0f} revenue, "
                       "%{customdata[1]:,} customers<extra></extra>")))
    fig.update_xaxes(title="longitude", zeroline=False)
    fig.update_yaxes(title="latitude", scaleanchor="x", scaleratio=1.3, zeroline=False)
    return _layout(fig, "Where revenue comes from (customer locations)", height=420)


def top_products_bar(df: pd.DataFrame) -> go.Figure:
    """Best sellers by net revenue, labelled with their category."""
    labels = [f"{str(t)[:40]}" for t in df["title"]]
    fig = go.Figure(go.Bar(
        x=df["revenue"], y=labels, orientation="h", marker_color=PALETTE[2],
        customdata=df[["category", "units"]].to_numpy(),
        hovertemplate="%{y}<br>%{customdata[0]}<br>%{x:,.0f} revenue, %{customdata[1]:,} units"
                      "<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Top products", height=max(260, 24 * len(df) + 80))


def training_curve(points: list[dict]) -> go.Figure:
    """Training loss and validation NDCG@10 per epoch, on two axes."""
    epochs = [p["epoch"] for p in points]
    fig = go.Figure()
    fig.add_scatter(x=epochs, y=[p["loss"] for p in points], name="training loss",
                    mode="lines+markers", line=dict(color=PALETTE[1]))
    fig.add_scatter(x=epochs, y=[p["valid_ndcg10"] for p in points], name="validation NDCG@10",
                    mode="lines+markers", yaxis="y2", line=dict(color=PALETTE[0]))
    fig.update_layout(xaxis=dict(title="epoch", dtick=1), yaxis=dict(title="loss"),
                      yaxis2=dict(title="NDCG@10", overlaying="y", side="right", showgrid=False),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return _layout(fig, "Training progress", height=300)


def model_comparison(table: pd.DataFrame, metric: str = "ndcg@10") -> go.Figure:
    """One bar per model on the same test baskets; neural models highlighted."""
    df = table.sort_values(metric)
    colors = [PALETTE[0] if k == "neural" else "#B8C4CE" for k in df["kind"]]
    fig = go.Figure(go.Bar(x=df[metric], y=df["label"], orientation="h", marker_color=colors,
                           text=[f"{v:.3f}" for v in df[metric]], textposition="auto",
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    return _layout(fig, f"Test {metric.upper()} by model (same baskets, whole catalog ranked)",
                   height=max(240, 30 * len(df) + 90))


EVENT_ROWS = {"view": "viewed", "cart": "added to basket", "purchase": "bought", "return": "returned"}


def customer_timeline(df: pd.DataFrame) -> go.Figure:
    """One customer's events over time: a row per event type, a colour per category."""
    fig = go.Figure()
    if df.empty:
        return _layout(fig, "No events yet", height=220)
    df = df.assign(row=df["event"].map(EVENT_ROWS).fillna(df["event"]),
                   category=df["category"].fillna("uncategorised"),
                   title=df["title"].fillna(df["product_id"]))
    for i, (category, part) in enumerate(df.groupby("category", sort=False)):
        fig.add_scatter(
            x=part["ts"], y=part["row"], mode="markers", name=str(category),
            marker=dict(size=9, color=PALETTE[i % len(PALETTE)], line=dict(width=0.5, color="white")),
            customdata=part[["title", "price"]].to_numpy(),
            hovertemplate="%{x|%Y-%m-%d %H:%M}<br>%{y}: %{customdata[0]}<br>price %{customdata[1]:,.2f}"
                          "<extra>%{fullData.name}</extra>")
    fig.update_yaxes(categoryorder="array", categoryarray=list(EVENT_ROWS.values())[::-1], title=None)
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0), hovermode="closest")
    return _layout(fig, f"{len(df):,} events, {df['ts'].min():%Y-%m-%d} to {df['ts'].max():%Y-%m-%d}",
                   height=300)
