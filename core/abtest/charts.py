"""Figures of a simulated A/B test: (report parts) -> go.Figure, no data access."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.shop.style import PALETTE, layout


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    return f"rgba({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)}, {alpha})"


def cumulative_lift(daily: pd.DataFrame, names: list[str], metric_label: str,
                    true_lift: dict[str, float] | None = None) -> go.Figure:
    """Relative lift of each arm over the control by day, with its 95% interval (dotted) and the
    always-valid band (shaded) that is safe to read every day; the world's true lift dashed."""
    fig = go.Figure()
    fig.add_hline(y=0, line=dict(color="#888", width=1))
    for a, name in enumerate(names[1:], start=1):
        color = PALETTE[(a - 1) % len(PALETTE)]
        d = daily[daily["arm"] == a].sort_values("day")
        x = d["day"].tolist()
        upper, lower = 100 * d["seq_high"], 100 * d["seq_low"]
        fig.add_scatter(x=x + x[::-1], y=upper.tolist() + lower.tolist()[::-1], fill="toself",
                        fillcolor=_rgba(color, 0.15), line=dict(width=0), hoverinfo="skip",
                        name=f"{name}: always-valid band")
        for col, show in (("low", True), ("high", False)):
            fig.add_scatter(x=x, y=100 * d[col], mode="lines", line=dict(color=color, width=1, dash="dot"),
                            name=f"{name}: 95% interval (one look)", showlegend=show, hoverinfo="skip")
        fig.add_scatter(x=x, y=100 * d["rel_lift"], mode="lines+markers", line=dict(color=color, width=2.5),
                        name=f"{name} vs {names[0]}",
                        hovertemplate="day %{x}: %{y:+.1f}%<extra>" + name + "</extra>")
        if true_lift and np.isfinite(true_lift.get(name, np.nan)):
            fig.add_hline(y=100 * true_lift[name], line=dict(color=color, width=1.5, dash="dash"),
                          annotation_text=f"true in the world: {100 * true_lift[name]:+.1f}%",
                          annotation_position="top left")
    later = daily[(daily["arm"] > 0) & (daily["day"] >= max(3, daily["day"].max() // 4))]
    bounds = 100 * later[["seq_low", "seq_high", "low", "high", "rel_lift"]].to_numpy(float)
    bounds = bounds[np.isfinite(bounds)]
    if len(bounds):  # the first days' bands are huge: frame the rest of the test
        truths = [100 * v for v in (true_lift or {}).values() if np.isfinite(v)]
        lo, hi = min(bounds.min(), *truths, 0.0), max(bounds.max(), *truths, 0.0)
        pad = 0.1 * (hi - lo) or 1.0
        fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_layout(xaxis_title="day of the test", yaxis_title=f"lift in {metric_label} (%)",
                      legend=dict(orientation="h", y=-0.25))
    return layout(fig, f"Cumulative lift in {metric_label}", height=420)


def lift_distribution(repeats: dict[str, list[float]], metric_label: str,
                      true_lift: dict[str, float] | None = None) -> go.Figure:
    """How the measured lift varied across repeated simulations of the same test."""
    fig = go.Figure()
    for a, (name, values) in enumerate(repeats.items()):
        v = 100 * np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
        color = PALETTE[a % len(PALETTE)]
        fig.add_histogram(x=v, name=name, marker_color=color, opacity=0.6, nbinsx=30,
                          hovertemplate="%{x:+.1f}%: %{y} runs<extra>" + name + "</extra>")
        if true_lift and np.isfinite(true_lift.get(name, np.nan)):
            fig.add_vline(x=100 * true_lift[name], line=dict(color=color, dash="dash"),
                          annotation_text=f"true {100 * true_lift[name]:+.1f}%")
    fig.add_vline(x=0, line=dict(color="#888", width=1))
    fig.update_layout(barmode="overlay", xaxis_title=f"measured lift in {metric_label} (%)",
                      yaxis_title="repeats", legend=dict(orientation="h", y=-0.25))
    return layout(fig, "The same test, repeated: how much the result varies", height=360)


def offpolicy_estimates(table: pd.DataFrame, truth: dict[str, float]) -> go.Figure:
    """Each arm's featured-slot click-through by estimator, with intervals and the world's truth."""
    fig = go.Figure()
    estimators = list(dict.fromkeys(table["estimator"]))
    for e, est in enumerate(estimators):
        d = table[table["estimator"] == est]
        fig.add_scatter(x=100 * d["value"], y=d["arm"], mode="markers", name=est,
                        marker=dict(size=10, color=PALETTE[e % len(PALETTE)], symbol=e),
                        error_x=dict(type="data", symmetric=False, array=100 * (d["high"] - d["value"]),
                                     arrayminus=100 * (d["value"] - d["low"])),
                        hovertemplate="%{y}: %{x:.2f}%<extra>" + est + "</extra>")
    fig.add_scatter(x=[100 * v for v in truth.values()], y=list(truth), mode="markers",
                    name="true in the world",
                    marker=dict(size=16, color="black", symbol="line-ns-open", line=dict(width=2)))
    fig.update_layout(xaxis_title="featured-slot click-through (%)", legend=dict(orientation="h", y=-0.3))
    return layout(fig, "Off-policy estimates from logged traffic", height=320)


__all__ = ["cumulative_lift", "lift_distribution", "offpolicy_estimates"]
