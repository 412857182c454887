"""One plotly theme and the helpers that display figures and tables in a notebook."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

FIGURE_MIME = "application/vnd.plotly.v1+json"
FIGURE_CLASS = "ds-figure"

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#a5a5a5"]
STAGE_COLOURS = {
    "request": "#7f7f7f",
    "refusal": "#c00000",
    "approval": "#1f4e79",
    "delivery": "#548235",
    "first_use": "#c55a11",
}

pio.templates["deepstrike"] = go.layout.Template(
    layout=go.Layout(
        font={"family": "Helvetica, Arial, sans-serif", "size": 13, "color": "#222"},
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        xaxis={"gridcolor": "#e5e5e5", "zeroline": False, "linecolor": "#999"},
        yaxis={"gridcolor": "#e5e5e5", "zeroline": False, "linecolor": "#999"},
        legend={"orientation": "h", "y": -0.18},
        hoverlabel={"font": {"size": 12}},
    )
)
pio.templates.default = "deepstrike"

_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def figure_html(fig: go.Figure, figure_id: str) -> str:
    """The figure as a div plus a Plotly.newPlot call; plotly.js itself is added once per page."""
    if not _ID.match(figure_id):
        raise ValueError(f"figure id {figure_id!r} must be lower-case letters, digits and -")
    div = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=f"fig-{figure_id}",
        config={"displaylogo": False, "responsive": True},
    )
    geo = geo_topojson_name(fig)
    marker = f' data-geo="{geo}"' if geo else ""
    return f'<div class="{FIGURE_CLASS}" data-figure="{figure_id}"{marker}>{div}</div>'


def geo_topojson_name(fig: go.Figure) -> str | None:
    """The topojson plotly.js needs for a map (scope_resolution), or None for other charts.

    The renderer embeds it as window.PlotlyGeoAssets so the map draws without the network.
    """
    if not any(t.type in {"scattergeo", "choropleth"} for t in fig.data):
        return None
    scope = fig.layout.geo.scope or "world"
    resolution = int(fig.layout.geo.resolution or 110)
    return f"{scope}_{resolution}m"


def show(fig: go.Figure, figure_id: str) -> None:
    """Display a figure: plotly JSON for JupyterLab, an HTML div for the rendered briefing.

    Under papermill plotly's default renderer emits only the plotly mime type, which
    nbconvert drops; emitting both keeps the chart in JupyterLab and in the HTML.
    """
    from IPython.display import display

    bundle = {
        FIGURE_MIME: json.loads(pio.to_json(fig)),
        "text/html": figure_html(fig, figure_id),
        "text/plain": f"<figure {figure_id}>",
    }
    display(bundle, raw=True)


def table_html(frame: pd.DataFrame, caption: str = "") -> str:
    """An escaped HTML table (data text may hold anything, including markup)."""
    body = frame.to_html(index=False, escape=True, border=0, classes="ds-table", na_rep="–")
    if caption:
        body = re.sub(
            r"<table[^>]*>",
            lambda m: f"{m.group(0)}<caption>{html.escape(caption)}</caption>",
            body,
            count=1,
        )
    return body


def table(frame: pd.DataFrame, caption: str = "") -> None:
    from IPython.display import HTML, display

    display(HTML(table_html(frame, caption)))


def empty_note(what: str) -> Any:
    from IPython.display import HTML, display

    display(HTML(f'<p class="ds-note">{html.escape(what)}</p>'))
