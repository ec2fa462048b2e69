"""The Fairness page's figures: a metric per customer group with its interval."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.shop.style import PALETTE, layout


def group_quality(groups: pd.DataFrame, metric: str, attribute: str) -> go.Figure:
    """One metric's mean per customer group with its 95% interval (a fairness audit's groups)."""
    d = groups[(groups["metric"] == metric) & (groups["attribute"] == attribute)].sort_values("value")
    err_hi = (d["high"] - d["value"]).fillna(0)
    err_lo = (d["value"] - d["low"]).fillna(0)
    fig = go.Figure(go.Bar(
        x=d["value"], y=d["group"].astype(str), orientation="h", marker_color=PALETTE[0],
        error_x=dict(type="data", symmetric=False, array=err_hi, arrayminus=err_lo, color="#555"),
        customdata=d["n"], hovertemplate="%{y}: %{x:.3f} (%{customdata:,} customers)<extra></extra>"))
    fig.update_layout(xaxis_title=metric, yaxis_title=None)
    return layout(fig, f"{metric} by {attribute}", height=max(220, 40 + 28 * len(d)))
