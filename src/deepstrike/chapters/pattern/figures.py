"""Charts of the Pattern chapter: the decision timeline and the delays between stages."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from deepstrike.chapters.pattern.model import DELAY_LABELS
from deepstrike.figures import PALETTE, STAGE_COLOURS


def _stage_label(stage: str) -> str:
    return stage.replace("_", " ")


def timeline(events: pd.DataFrame, systems: list[str]) -> go.Figure:
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
                x=xs,
                y=ys,
                mode="lines",
                name="date range",
                line={"color": "rgba(0,0,0,0.25)", "width": 8},
                hoverinfo="skip",
            )
        )
    for stage, colour in STAGE_COLOURS.items():
        part = shown[shown["event_type"] == stage]
        if part.empty:
            continue
        claim = part["claimed_by"].fillna("")
        hover = (
            "<b>"
            + part["system_name"].map(html.escape)
            + "</b> · "
            + _stage_label(stage)
            + "<br>"
            + part["date_central"].dt.strftime("%d %b %Y")
            + " (range "
            + part["date_low"].dt.strftime("%d %b %Y")
            + " – "
            + part["date_high"].dt.strftime("%d %b %Y")
            + ")<br>"
            + part["description"].map(lambda t: html.escape(t[:160]))
            + claim.map(lambda c: f"<br><i>claim by {html.escape(c)}</i>" if c else "")
        )
        fig.add_trace(
            go.Scatter(
                x=part["date_central"].dt.strftime("%Y-%m-%d"),
                y=part["system_name"],
                mode="markers",
                name=_stage_label(stage),
                marker={"color": colour, "size": 11, "line": {"color": "white", "width": 1}},
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title={"text": "Dated events per system", "x": 0},
        height=140 + 34 * len(names),
        yaxis={
            "categoryorder": "array",
            "categoryarray": names[::-1],
            "title": None,
            "automargin": True,
        },
        xaxis={"type": "date", "title": None},
    )
    return fig


def delay_chart(
    summary: pd.DataFrame, labels: dict[str, str], threshold_days: int, systems: list[str]
) -> go.Figure:
    """Median delay per system and stage pair, with its interval, on a log scale of days.

    Each system is a row; its delays sit side by side within the row (numeric y with small
    offsets) so that markers and intervals of different stages do not hide one another.
    """
    order = {s: i for i, s in enumerate(systems)}
    ranked = summary.assign(order=summary["system_id"].map(order)).sort_values("order")
    names = list(dict.fromkeys(ranked["system_name"]))
    row = {name: i for i, name in enumerate(names)}
    step = 0.8 / max(len(labels), 1)
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
            "<b>"
            + part["system_name"].map(html.escape)
            + "</b> · "
            + label
            + "<br>median "
            + part["median_days"].round().astype(int).astype(str)
            + " days (interval "
            + part["low_days"].round().astype(int).astype(str)
            + "–"
            + part["high_days"].round().astype(int).astype(str)
            + ")"
            + pd.Series(open_, index=part.index).map(
                lambda c: "<br>no approval by the as-of date: at least this long" if c else ""
            )
        )
        offset = (i - (len(labels) - 1) / 2) * step
        fig.add_trace(
            go.Scatter(
                x=med,
                y=part["system_name"].map(row) + offset,
                mode="markers",
                name=label,
                marker={
                    "color": PALETTE[i],
                    "size": 9,
                    "symbol": ["triangle-right-open" if c else "circle" for c in open_],
                },
                error_x={
                    "type": "data",
                    "array": hi - med,
                    "arrayminus": med - lo,
                    "thickness": 1.5,
                    "width": 0,
                },
                hovertext=hover,
                hoverinfo="text",
            )
        )
    # A trace, not add_vline: vline annotations are misplaced on log axes.
    fig.add_trace(
        go.Scatter(
            x=[threshold_days, threshold_days],
            y=[-0.5, len(names) - 0.5],
            mode="lines",
            name=f"threshold: {threshold_days} days",
            hoverinfo="skip",
            line={"dash": "dot", "color": "#c00000", "width": 1.5},
        )
    )
    fig.update_layout(
        title={
            "text": "Delays between stages: median and interval (open triangle: pending)",
            "x": 0,
        },
        height=160 + 40 * len(names),
        xaxis={"type": "log", "title": "days (log scale; under one day drawn at one)"},
        yaxis={
            "tickvals": list(range(len(names))),
            "ticktext": [html.escape(n) for n in names],
            "range": [len(names) - 0.5, -0.5],
            "showgrid": False,
            "zeroline": False,
            "title": None,
            "automargin": True,
        },
    )
    return fig


def refusal_table(result: Any) -> pd.DataFrame:
    """Refusal to approval per decision, longest first, for the chapter's table."""
    v = result.verdicts
    return v.assign(
        median=v["median_days"].round().astype(int),
        interval=v["low_days"].round().astype(int).astype(str)
        + "–"
        + v["high_days"].round().astype(int).astype(str),
        long=v["lasted_months"].map({True: "yes", False: "no"}),
        status=v["censored"].map({True: "no approval yet", False: "approved"}),
        basis=v["refusal_claimed_by"].map(lambda c: f"claim by {c}" if c else "public statement"),
    )[["system_name", "median", "interval", "long", "status", "basis"]].rename(
        columns={
            "system_name": "system",
            "median": "refusal, median days",
            "interval": f"{result.interval_pct:g}% interval, days",
            "long": f"{result.threshold_days} days or more",
            "basis": "first refusal date rests on",
        }
    )


def delays(result: Any) -> go.Figure:
    """The delay chart of a Pattern result."""
    return delay_chart(result.summary, DELAY_LABELS, result.threshold_days, result.systems)
