"""The look every shoplens figure shares: one palette and one layout (title, height, margins)."""

from __future__ import annotations

import plotly.graph_objects as go

from core.guard.plain import plain_figure

PALETTE = ["#2E6F95", "#E07A5F", "#3D9970", "#F2CC8F", "#81B29A", "#9C6ADE", "#F28482",
           "#5E548E", "#84A59D", "#B5838D"]


def layout(fig: go.Figure, title: str, height: int = 320) -> go.Figure:
    """Apply the house layout to ``fig`` and return it, with every label from the data escaped
    (``core.guard.plain.plain_figure``): imported labels are never drawn as HTML."""
    plain_figure(fig)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10),
                      template="plotly_white", colorway=PALETTE)
    return fig
