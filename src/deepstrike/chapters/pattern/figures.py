"""Charts and tables of the Pattern chapter: the survival of refusals, the audited record, the
timeline of events and the delays after approval."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepstrike.chapters.pattern.model import (
    DELAY_LABELS,
    GROUP_LABELS,
    GROUPS,
    STAGES,
    VARIANT_LABELS,
)
from deepstrike.figures import PALETTE, STAGE_COLOURS

GROUP_COLOURS = {"US": PALETTE[0], "allies": PALETTE[1]}
# Hesitations share the refusal stage; a lighter red keeps them apart on the timeline.
EVENT_COLOURS = {**STAGE_COLOURS, "hesitation": "#ff7c80"}
EVENT_ORDER = ("request", "refusal", "hesitation", "approval", "delivery", "first_use")


def _label(stage: str) -> str:
    return stage.replace("_", " ")


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _day(value: Any) -> str:
    return pd.Timestamp(value).strftime("%d %b %Y")


def _when(row: Any) -> str:
    """A date as the record knows it: a day, a bounded range, or an approximate range."""
    if row.date_basis == "day":
        return _day(row.date_central)
    span = f"{_day(row.date_low)} – {_day(row.date_high)}"
    return f"{span} (no day published)" if row.date_basis == "approximate" else span


def survival_chart(result: Any) -> go.Figure:
    """Kaplan–Meier curves of 'still refused' against days since the first public refusal,
    US and allies, each with its confidence band and the spread over the date draws."""
    fig = go.Figure()
    for group in GROUPS:
        c = result.curves.get(group)
        if c is None:
            continue
        colour = GROUP_COLOURS[group]
        name = f"{GROUP_LABELS[group]} (n = {c['n']})"
        x = c["grid"]
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([x, x[::-1]]),
                y=np.concatenate([c["s_high"], c["s_low"][::-1]]),
                fill="toself",
                fillcolor=_rgba(colour, 0.12),
                line={"width": 0, "shape": "hv"},
                hoverinfo="skip",
                name=f"{GROUP_LABELS[group]}: {result.interval_pct:g}% confidence band",
                legendgroup=group,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=np.concatenate([x, x[::-1]]),
                y=np.concatenate([c["s_date_high"], c["s_date_low"][::-1]]),
                fill="toself",
                fillcolor=_rgba(colour, 0.35),
                line={"width": 0, "shape": "hv"},
                hoverinfo="skip",
                name=f"{GROUP_LABELS[group]}: spread over date draws",
                legendgroup=group,
                showlegend=bool(np.any(c["s_date_high"] > c["s_date_low"])),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=c["s"],
                mode="lines",
                line={"color": colour, "width": 2.5, "shape": "hv"},
                name=name,
                legendgroup=group,
                hovertemplate="%{x:.0f} days: %{y:.0%} still refused<extra>"
                + html.escape(GROUP_LABELS[group])
                + "</extra>",
            )
        )
        cens = result.decisions[(result.decisions["group"] == group) & result.decisions["censored"]]
        if len(cens):
            at = np.interp(cens["median_days"], x, c["s"])
            fig.add_trace(
                go.Scatter(
                    x=cens["median_days"],
                    y=at,
                    mode="markers",
                    marker={"symbol": "line-ns-open", "size": 14, "color": colour},
                    name=f"{GROUP_LABELS[group]}: not approved by the as-of date",
                    legendgroup=group,
                    hovertext=cens["system_name"].map(html.escape)
                    + ": still refused after "
                    + cens["median_days"].round().astype(int).astype(str)
                    + " days",
                    hoverinfo="text",
                )
            )
    for days in (result.threshold_days, result.long_threshold_days):
        fig.add_vline(
            x=days,
            line={"dash": "dot", "color": "#888", "width": 1},
            annotation_text=f"{days} days",
            annotation_position="top right",
            annotation_font={"size": 11, "color": "#666"},
        )
    fig.update_layout(
        title={"text": "Still refused: share of decisions not yet approved", "x": 0},
        height=460,
        xaxis={"title": "days since the first public refusal or hesitation", "rangemode": "tozero"},
        yaxis={"title": "still refused", "tickformat": ".0%", "range": [0, 1.04]},
    )
    return fig


def decision_table(result: Any) -> pd.DataFrame:
    """Refusal to approval per decision, US first, longest first within each group."""
    d = result.decisions.copy()
    if d.empty:
        return pd.DataFrame()
    d["order"] = d["group"].map({g: i for i, g in enumerate(GROUPS)})
    d = d.sort_values(["order", "median_days"], ascending=[True, False])
    first = [
        f"{_day(lo)}" if lo == hi else f"{_day(lo)} – {_day(hi)}"
        for lo, hi in zip(d["first_refusal_low"], d["first_refusal_high"], strict=True)
    ]
    rng = (
        d["low_days"].round().astype(int).astype(str)
        + "–"
        + d["high_days"].round().astype(int).astype(str)
    )
    return pd.DataFrame(
        {
            "decision": d["system_name"],
            "group": d["group"].map(GROUP_LABELS),
            "first public refusal": first,
            "it was a": d["first_refusal_type"]
            + np.where(d["first_refusal_scope"] == "class", " (of the class)", ""),
            "later refusals": d["n_refusals"] - 1,
            "days refused": d["median_days"].round().astype(int).astype(str)
            + np.where(d["low_days"] < d["high_days"], " (" + rng + ")", "")
            + np.where(d["censored"], "+", ""),
            "status": d["censored"].map({True: "not approved: censored", False: "approved"}),
        }
    )


def record_table(result: Any) -> pd.DataFrame:
    """The audited record: per decision, the date of each stage as the sources give it."""
    ev = result.events
    rows = []
    for system in result.systems:
        part = ev[ev["system_id"] == system]
        row: dict[str, Any] = {
            "decision": part["system_name"].iloc[0],
            "decider": part["decider"].iloc[0],
        }
        for stage in STAGES:
            rows_ = part[(part["stage"] == stage) & part["counted"]].sort_values(
                ["date_low", "date_high"]
            )
            if rows_.empty:
                row[_label(stage)] = "not found"
                continue
            first = rows_.iloc[0]
            text = _when(first)
            if first["implied"]:
                text += " (implied by first use)"
            if pd.notna(first["claimed_by"]):
                text += f" (claim: {first['claimed_by']})"
            if stage == "refusal" and len(rows_) > 1:
                text += "; later: " + ", ".join(_when(r) for r in rows_.iloc[1:].itertuples())
            row[_label(stage)] = text
        excluded = part[~part["counted"]]
        row["not counted"] = "; ".join(
            f"{r.event_type} {_when(r)}: {r.exclusion}" for r in excluded.itertuples()
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _pct(share: float | None) -> str:
    return "not yet measurable" if share is None else f"{100 * share:.0f}%"


def variants_table(result: Any) -> pd.DataFrame:
    """The US verdict under each coding rule: how much the answer rests on the coding."""
    rows = []
    for name, c in result.variants.items():
        if c is None:
            continue
        short, long_ = c["shares"]
        rows.append(
            {
                "which refusals count": VARIANT_LABELS[name],
                "US decisions": c["n"],
                "median days refused": "not reached" if c["median"] is None else round(c["median"]),
                f"refused {short['days']} days or more": _pct(short["share"]),
                f"refused {long_['days']} days or more": _pct(long_["share"]),
            }
        )
    return pd.DataFrame(rows)


def timeline(events: pd.DataFrame, systems: list[str]) -> go.Figure:
    """Every dated event per decision; a bar spans a range, hollow where no day is published."""
    shown = events[events["system_id"].isin(systems)].copy()
    shown["order"] = shown["system_id"].map({s: i for i, s in enumerate(systems)})
    shown = shown.sort_values(["order", "date_low"])
    names = list(dict.fromkeys(shown["system_name"]))
    fig = go.Figure()
    for kind in EVENT_ORDER:
        part = shown[shown["event_type"] == kind]
        if part.empty:
            continue
        colour = EVENT_COLOURS[kind]
        hover = (
            "<b>"
            + part["system_name"].map(html.escape)
            + "</b> · "
            + _label(kind)
            + "<br>"
            + pd.Series([_when(r) for r in part.itertuples()], index=part.index)
            + "<br>"
            + part["description"].map(lambda t: html.escape(t[:160]))
            + part["claimed_by"].map(
                lambda c: f"<br><i>claim by {html.escape(c)}</i>" if isinstance(c, str) else ""
            )
            + part["exclusion"].map(
                lambda e: f"<br><i>not counted: {html.escape(e)}</i>" if e else ""
            )
        )
        ranged = part[part["date_low"] < part["date_high"]]
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
                    line={"color": _rgba(colour, 0.45), "width": 8},
                    hoverinfo="skip",
                    legendgroup=kind,
                    showlegend=False,
                )
            )
        # A marker at a day only where a source gives that day (no marker inside a bare range).
        dated = part["date_basis"] != "approximate"
        fig.add_trace(
            go.Scatter(
                x=np.where(
                    dated,
                    part["date_central"].dt.strftime("%Y-%m-%d"),
                    part["date_low"].dt.strftime("%Y-%m-%d"),
                ),
                y=part["system_name"],
                mode="markers",
                name=_label(kind),
                legendgroup=kind,
                marker={
                    "color": colour,
                    "size": 11,
                    "symbol": ["circle" if d else "triangle-right-open" for d in dated],
                    "opacity": [1.0 if c else 0.35 for c in part["counted"]],
                    "line": {"color": "white", "width": 1},
                },
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title={"text": "Dated events per decision (faint: in the record, not counted)", "x": 0},
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


def delay_chart(result: Any, delays: tuple[str, ...] = ("approval_to_first_use",)) -> go.Figure:
    """Delays after approval per decision: median over the date draws and its interval, on a
    log scale of days (a delay under one day is drawn at one)."""
    summary = result.summary
    order = {s: i for i, s in enumerate(result.systems)}
    shown = summary[summary["delay"].isin(delays)]
    ranked = shown.assign(order=shown["system_id"].map(order)).sort_values("order")
    names = list(dict.fromkeys(ranked["system_name"]))
    row = {name: i for i, name in enumerate(names)}
    step = 0.6 / max(len(delays), 1)
    fig = go.Figure()
    for i, delay in enumerate(delays):
        part = ranked[ranked["delay"] == delay]
        if part.empty:
            continue
        for group in GROUPS:
            sub = part[part["group"] == group]
            if sub.empty:
                continue
            med = sub["median_days"].clip(lower=1)
            lo = sub["low_days"].clip(lower=1)
            hi = sub["high_days"].clip(lower=1)
            hover = (
                "<b>"
                + sub["system_name"].map(html.escape)
                + "</b> · "
                + DELAY_LABELS[delay]
                + "<br>"
                + sub["median_days"].round().astype(int).astype(str)
                + " days (range over date draws "
                + sub["low_days"].round().astype(int).astype(str)
                + "–"
                + sub["high_days"].round().astype(int).astype(str)
                + ")"
            )
            fig.add_trace(
                go.Scatter(
                    x=med,
                    y=sub["system_name"].map(row) + (i - (len(delays) - 1) / 2) * step,
                    mode="markers",
                    name=f"{DELAY_LABELS[delay]}: {GROUP_LABELS[group]}",
                    marker={
                        "color": GROUP_COLOURS[group],
                        "size": 9,
                        "symbol": "circle" if i == 0 else "diamond",
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
    fig.update_layout(
        title={"text": "After approval: days to first delivery and first use", "x": 0},
        height=160 + 36 * len(names),
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


def survival(result: Any) -> go.Figure:
    return survival_chart(result)


def after_approval(result: Any) -> go.Figure:
    return delay_chart(result, ("approval_to_delivery", "approval_to_first_use"))
