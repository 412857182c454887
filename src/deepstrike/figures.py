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
    return f'<div class="{FIGURE_CLASS}" data-figure="{figure_id}">{div}</div>'


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
        body = body.replace(
            '<table border="0" class="dataframe ds-table">',
            f'<table class="dataframe ds-table"><caption>{html.escape(caption)}</caption>',
            1,
        )
    return body


def table(frame: pd.DataFrame, caption: str = "") -> None:
    from IPython.display import HTML, display

    display(HTML(table_html(frame, caption)))


def empty_note(what: str) -> Any:
    from IPython.display import HTML, display

    display(HTML(f'<p class="ds-note">{html.escape(what)}</p>'))


def _stage_label(stage: str) -> str:
    return stage.replace("_", " ")


def pattern_timeline(events: pd.DataFrame, systems: list[str]) -> go.Figure:
    """Every dated event per system; a bar spans the range where a date is approximate."""
    shown = events[events["system_id"].isin(systems)].copy()
    order = {s: i for i, s in enumerate(systems)}
    shown["order"] = shown["system_id"].map(order)
    shown = shown.sort_values(["order", "date_central"])
    names = list(dict.fromkeys(shown["system_name"]))
    fig = go.Figure()
    ranged = shown[shown["date_low"] < shown["date_high"]]
    xs: list[Any] = []
    ys: list[Any] = []
    for row in ranged.itertuples():
        xs += [row.date_low.date().isoformat(), row.date_high.date().isoformat(), None]
        ys += [row.system_name, row.system_name, None]
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="lines", name="date range",
                line={"color": "rgba(0,0,0,0.25)", "width": 8}, hoverinfo="skip",
            )
        )
    for stage, colour in STAGE_COLOURS.items():
        part = shown[shown["event_type"] == stage]
        if part.empty:
            continue
        claim = part["claimed_by"].fillna("")
        hover = (
            "<b>" + part["system_name"].map(html.escape) + "</b> · " + _stage_label(stage)
            + "<br>" + part["date_central"].dt.strftime("%d %b %Y")
            + " (range " + part["date_low"].dt.strftime("%d %b %Y") + " – "
            + part["date_high"].dt.strftime("%d %b %Y") + ")<br>"
            + part["description"].map(lambda t: html.escape(t[:160]))
            + claim.map(lambda c: f"<br><i>claim by {html.escape(c)}</i>" if c else "")
        )
        fig.add_trace(
            go.Scatter(
                x=part["date_central"].dt.strftime("%Y-%m-%d"), y=part["system_name"],
                mode="markers", name=_stage_label(stage),
                marker={"color": colour, "size": 11, "line": {"color": "white", "width": 1}},
                hovertext=hover, hoverinfo="text",
            )
        )
    fig.update_layout(
        title="Dated events per system",
        height=140 + 34 * len(names),
        yaxis={"categoryorder": "array", "categoryarray": names[::-1], "title": None},
        xaxis={"type": "date", "title": None},
    )
    return fig


def delay_chart(summary: pd.DataFrame, labels: dict[str, str], threshold_days: int) -> go.Figure:
    """Median delay per system and stage pair, with its interval, on a log scale of days."""
    names = list(dict.fromkeys(summary["system_name"]))
    fig = go.Figure()
    for i, (delay, label) in enumerate(labels.items()):
        part = summary[summary["delay"] == delay]
        if part.empty:
            continue
        # A log axis cannot show zero: delays under a day are drawn at one day.
        med = part["median_days"].clip(lower=1)
        lo = part["low_days"].clip(lower=1)
        hi = part["high_days"].clip(lower=1)
        open_ = part["censored"].to_numpy()
        hover = (
            "<b>" + part["system_name"].map(html.escape) + "</b> · " + label + "<br>median "
            + part["median_days"].round().astype(int).astype(str) + " days (interval "
            + part["low_days"].round().astype(int).astype(str) + "–"
            + part["high_days"].round().astype(int).astype(str) + ")"
            + pd.Series(open_, index=part.index).map(
                lambda c: "<br>no approval by the as-of date: at least this long" if c else ""
            )
        )
        fig.add_trace(
            go.Scatter(
                x=med, y=part["system_name"], mode="markers", name=label,
                marker={
                    "color": PALETTE[i], "size": 10,
                    "symbol": ["triangle-right-open" if c else "circle" for c in open_],
                },
                error_x={"type": "data", "array": hi - med, "arrayminus": med - lo,
                         "thickness": 1.5, "width": 0},
                hovertext=hover, hoverinfo="text",
            )
        )
    fig.add_vline(
        x=threshold_days, line={"dash": "dot", "color": "#c00000"},
        annotation_text=f"{threshold_days} days", annotation_position="top",
    )
    fig.update_layout(
        title="Delays between stages (median and interval; open triangles: still pending)",
        height=160 + 34 * len(names),
        xaxis={"type": "log", "title": "days (log scale)"},
        yaxis={"categoryorder": "array", "categoryarray": names[::-1], "title": None},
    )
    return fig
