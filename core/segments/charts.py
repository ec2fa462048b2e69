"""Plotly figures of the Segments page: (DataFrame) -> go.Figure, no data access."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from core.shop import money
from core.shop.style import PALETTE, layout

UNASSIGNED_COLOUR = "#C8C8C8"
# distinct at a glance; D3's grey is left out, grey means "unassigned"
SEGMENT_COLOURS = [c for c in qualitative.D3 if c != "#7F7F7F"] + list(qualitative.Dark24)


def segment_colour(segment: int) -> str:
    return UNASSIGNED_COLOUR if segment < 0 else SEGMENT_COLOURS[segment % len(SEGMENT_COLOURS)]


def segment_map(points: pd.DataFrame, colour: str = "segment", title: str = "Customer map",
                currency: str | None = None) -> go.Figure:
    """WebGL scatter of the map. ``points`` has x, y, segment, segment_name, customer_key and the
    hover figures (recency_days, frequency, monetary); ``colour`` is "segment" or a numeric column.
    Every point carries its customer key as ``customdata[0]`` so selections can be mapped back."""
    hover = ("<b>%{customdata[1]}</b><br>customer %{customdata[0]}<br>orders %{customdata[2]:.0f}"
             "<br>spent " + money.hover("customdata[3]", currency)
             + "<br>last order %{customdata[4]:.0f} days ago<extra></extra>")
    cols = ["customer_key", "segment_name", "frequency", "monetary", "recency_days"]
    fig = go.Figure()
    if colour == "segment":
        for seg, part in points.groupby("segment", sort=True):
            name = str(part["segment_name"].iloc[0])
            fig.add_trace(go.Scattergl(
                x=part["x"], y=part["y"], mode="markers", name=name if seg >= 0 else "unassigned",
                marker=dict(size=4 if len(points) > 20000 else 6, color=segment_colour(int(seg)),
                            opacity=0.75),
                customdata=part[cols].to_numpy(object), hovertemplate=hover))
    else:
        values = pd.to_numeric(points[colour], errors="coerce")
        fig.add_trace(go.Scattergl(
            x=points["x"], y=points["y"], mode="markers", name=colour,
            marker=dict(size=4 if len(points) > 20000 else 6, color=values, colorscale="Viridis",
                        showscale=True, colorbar=dict(title=colour.replace("_", " ")), opacity=0.8),
            customdata=points[cols].to_numpy(object), hovertemplate=hover))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_layout(dragmode="lasso", legend=dict(itemsizing="constant", orientation="h", y=-0.02,
                                                    yanchor="top", x=0, font=dict(size=12)))
    return layout(fig, title, height=560)


def lift_bars(table: pd.DataFrame, label: str, title: str, top: int = 8) -> go.Figure:
    """Horizontal bars of the highest lifts (``table`` has ``label``, share, shop, lift)."""
    t = table[table["lift"] > 0].sort_values("lift", ascending=False).head(top).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=t["lift"], y=t[label].astype(str), orientation="h", marker_color=PALETTE[0],
        customdata=np.c_[t["share"], t["shop"]],
        hovertemplate="%{y}: %{x:.1f}x the shop<br>%{customdata[0]:.0%} here vs "
                      "%{customdata[1]:.0%} in the shop<extra></extra>"))
    fig.add_vline(x=1.0, line_dash="dot", line_color="#888")
    fig.update_xaxes(title="lift over the shop average (1 = same as everyone)")
    return layout(fig, title, height=max(220, 40 + 28 * len(t)))


def sizes_over_time(long: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """Buying customers per segment per month (``long``: month, segment, customers)."""
    fig = go.Figure()
    for seg, part in long.groupby("segment", sort=True):
        fig.add_scatter(x=part["month"], y=part["customers"], mode="lines+markers",
                        name=names.get(int(seg), "unassigned"),
                        line=dict(color=segment_colour(int(seg))))
    fig.update_yaxes(title="customers buying")
    fig.update_layout(hovermode="x unified")
    return layout(fig, "Segment sizes month by month", height=360)


def rfm_crosswalk(cross: pd.DataFrame) -> go.Figure:
    """Heatmap: share of each segment (rows) in each classic RFM group (columns)."""
    fig = go.Figure(go.Heatmap(
        z=cross.to_numpy(float), x=[str(c) for c in cross.columns], y=[str(i) for i in cross.index],
        colorscale="Blues", zmin=0, zmax=1, colorbar=dict(title="share"),
        hovertemplate="%{y}<br>%{x}: %{z:.0%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "Segments against the classic RFM groups", height=max(260, 60 + 32 * len(cross)))


def hierarchy(tree: pd.DataFrame, names: dict[int, str], leaf_ids: dict[int, int]) -> go.Figure:
    """Icicle of HDBSCAN's cluster hierarchy (clusters only, sized by customers).

    ``leaf_ids`` maps a tree node to its segment number for the selected (leaf) clusters."""
    clusters = tree[tree["child_size"] > 1]
    if clusters.empty:
        return layout(go.Figure(), "Segment hierarchy (one level)", height=200)
    root = int(tree["parent"].min())
    everyone = int(tree.loc[tree["parent"] == root, "child_size"].sum())
    ids, parents, values, labels = [str(root)], [""], [everyone], ["all customers"]
    colours = ["#F2F2F2"]
    for row in clusters.itertuples():
        node = int(row.child)
        ids.append(str(node))
        parents.append(str(int(row.parent)))
        values.append(int(row.child_size))
        seg = leaf_ids.get(node)
        group = f"group of {int(row.child_size):,}"
        labels.append(names.get(seg, f"segment {seg}") if seg is not None else group)
        colours.append(segment_colour(seg) if seg is not None else "#DADADA")
    fig = go.Figure(go.Icicle(ids=ids, parents=parents, values=values, labels=labels, branchvalues="total",
                              marker=dict(colors=colours),
                              hovertemplate="%{label}<br>%{value:,} customers<extra></extra>",
                              tiling=dict(orientation="v")))
    return layout(fig, "How segments split from the whole (HDBSCAN hierarchy)", height=420)
