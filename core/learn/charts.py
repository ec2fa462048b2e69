"""The Model page's figures: training progress and the model comparison."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.shop.style import PALETTE, layout


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
    return layout(fig, "Training progress", height=300)


def model_comparison(table: pd.DataFrame, metric: str = "ndcg@10") -> go.Figure:
    """One bar per model on the same test baskets; neural models highlighted."""
    df = table.sort_values(metric)
    colors = [PALETTE[0] if k == "neural" else "#B8C4CE" for k in df["kind"]]
    fig = go.Figure(go.Bar(x=df[metric], y=df["label"], orientation="h", marker_color=colors,
                           text=[f"{v:.3f}" for v in df[metric]], textposition="auto",
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    return layout(fig, f"Test {metric.upper()} by model (same baskets, whole catalog ranked)",
                   height=max(240, 30 * len(df) + 90))
