"""Charts of the Escalation chapter: ladder, timeline, sabotage, tornado, Sobol, references."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepstrike.chapters.escalation.model import (
    HISTORY_RUNGS,
    RUNG_LABELS,
    EscalationResult,
    focus_quantity,
)
from deepstrike.figures import PALETTE

CONFIDENCE_COLOURS = {"moderate": "#1f4e79", "low": "#c55a11"}
RUNG_COLOURS = {
    "rhetoric": "#7f7f7f",
    "nuclear_signalling": "#7030a0",
    "demonstrative_strike": "#c00000",
    "intensified_strikes": "#c55a11",
    "sabotage_europe": "#548235",
    "attack_nato": "#1f4e79",
    "nuclear_use": "#000000",
}


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%" if p >= 0.01 else f"{100 * p:.1f}%"


def confidence_reason(basis: str, followed: float, n_steps: int, year: int | None) -> str:
    """The reason behind a rung's confidence, in words (for the chart's hover text)."""
    return {
        "few_steps": f"only {n_steps} past steps with a closed window",
        "never_observed": "never observed after a past step: the number rests on the prior",
        "wide_interval": "the interval spans more than half the scale",
        "observed": f"observed after {followed:.0f} of {n_steps} past steps",
        "tally": f"rate from the {year} tally of attacks",
        "no_tally": "no tallied year public yet: the rate rests on the prior",
    }[basis]


def ladder(result: EscalationResult) -> go.Figure:
    """Probability per rung, lowest rung at the bottom: the dot is the predictive probability,
    the bar the interval over the priors; the colour is the analytic confidence."""
    table = result.ladder
    horizon_days, interval_pct = result.params.horizon_days, result.params.interval_pct
    n_steps, year = result.evidence.n_steps, result.evidence.sabotage_year
    fig = go.Figure()
    for conf, colour in CONFIDENCE_COLOURS.items():
        part = table[table["confidence"] == conf]
        if part.empty:
            continue
        reasons = [
            confidence_reason(r.confidence_basis, r.followed, n_steps, year)
            for r in part.itertuples()
        ]
        hover = [
            f"<b>{html.escape(r.label)}</b><br>{html.escape(r.word)} ({_pct(r.probability)})"
            f"<br>{interval_pct:g}% interval {_pct(r.low)}–{_pct(r.high)}"
            + (
                f"<br>followed {r.followed:.0f} of {r.steps:.0f} past steps"
                if r.steps == r.steps
                else ""
            )
            + f"<br>confidence: {conf} ({html.escape(reason)})"
            for r, reason in zip(part.itertuples(), reasons, strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=part["probability"],
                y=part["label"],
                mode="markers+text",
                name=f"{conf} confidence",
                marker={"color": colour, "size": 13},
                text=[
                    f"{w} ({_pct(p)})"
                    for w, p in zip(part["word"], part["probability"], strict=True)
                ],
                # labels of rungs near certainty would run off the right edge
                textposition=["top left" if p > 0.8 else "top center" for p in part["probability"]],
                error_x={
                    "type": "data",
                    "array": part["high"] - part["probability"],
                    "arrayminus": part["probability"] - part["low"],
                    "thickness": 2,
                    "width": 0,
                    "color": colour,
                },
                hovertext=hover,
                hoverinfo="text",
            )
        )
    labels = list(table.sort_values("level")["label"])
    fig.add_trace(
        go.Scatter(
            x=[0.5],
            y=["Nuclear use"],
            mode="text",
            text=["not modelled: beyond base rates (see reference estimates)"],
            showlegend=False,
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title={
            "text": f"Russian response within {horizon_days} days, by rung of the ladder",
            "x": 0,
        },
        height=150 + 62 * (len(labels) + 1),
        xaxis={"range": [0, 1.02], "tickformat": ".0%", "title": "probability"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": [*labels, "Nuclear use"],
            "title": None,
            "automargin": True,
        },
    )
    return fig


def timeline(result: EscalationResult) -> go.Figure:
    """Western steps (top row, with their response windows shaded) and Russian responses by rung."""
    steps, responses = result.evidence.steps, result.responses
    horizon_days = result.params.horizon_days
    rung_labels = RUNG_LABELS
    fig = go.Figure()
    step_row = "Western steps"
    rows = [step_row] + [rung_labels[r] for r in rung_labels if r in set(responses["rung"])]
    for step in steps.itertuples():
        end = step.date + pd.Timedelta(days=horizon_days)
        fig.add_vrect(
            x0=step.date.strftime("%Y-%m-%d"),
            x1=end.strftime("%Y-%m-%d"),
            fillcolor="rgba(31,78,121,0.07)",
            line_width=0,
            layer="below",
        )
    fig.add_trace(
        go.Scatter(
            x=steps["date"].dt.strftime("%Y-%m-%d"),
            y=[step_row] * len(steps),
            mode="markers",
            name="Western step",
            marker={"symbol": "diamond", "size": 12, "color": PALETTE[0]},
            hovertext=[
                f"<b>{html.escape(s.step_name)}</b> · {s.date:%d %b %Y}<br>"
                f"{html.escape(s.description[:180])}"
                for s in steps.itertuples()
            ],
            hoverinfo="text",
        )
    )
    for rung, label in rung_labels.items():
        part = responses[responses["rung"] == rung]
        if part.empty:
            continue
        claim = part["claimed_by"].fillna("")
        fig.add_trace(
            go.Scatter(
                x=part["date"].dt.strftime("%Y-%m-%d"),
                y=[label] * len(part),
                mode="markers",
                name=label,
                marker={
                    "size": 11,
                    "color": RUNG_COLOURS[rung],
                    "line": {"color": "white", "width": 1},
                },
                hovertext=[
                    f"<b>{html.escape(r.actor)}</b> · {r.date:%d %b %Y}<br>"
                    f"{html.escape(r.description[:180])}"
                    + (
                        f"<br>answering: {html.escape(r.reacting_to)}"
                        if isinstance(r.reacting_to, str) and r.reacting_to
                        else ""
                    )
                    + (f"<br><i>figures claimed by {html.escape(c)}</i>" if c else "")
                    for r, c in zip(part.itertuples(), claim, strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title={
            "text": f"Steps, {horizon_days}-day response windows (shaded) and Russian responses",
            "x": 0,
        },
        height=170 + 45 * len(rows),
        xaxis={"type": "date", "title": None},
        yaxis={
            "categoryorder": "array",
            "categoryarray": rows[::-1],
            "title": None,
            "automargin": True,
        },
        showlegend=False,
    )
    return fig


def sabotage(result: EscalationResult) -> go.Figure:
    """Annual tallies of attacks (bars, low–high whiskers) and the forecast over the horizon."""
    tallies, counts = result.tallies, result.simulation.sabotage_counts
    horizon_days, interval_pct = result.params.horizon_days, result.params.interval_pct
    fig = go.Figure()
    for i, (tally, part) in enumerate(tallies.groupby("tally", sort=True)):
        part = part.sort_values("period_end")
        fig.add_trace(
            go.Bar(
                x=part["period_end"].dt.year.astype(str),
                y=part["count_central"],
                name=f"{tally.upper()} tally, per year",
                marker_color=PALETTE[i],
                error_y={
                    "type": "data",
                    "array": part["count_high"] - part["count_central"],
                    "arrayminus": part["count_central"] - part["count_low"],
                },
                hovertext=[html.escape(d[:200]) for d in part["description"]],
                hoverinfo="text+y",
            )
        )
    tail = (100.0 - interval_pct) / 2.0
    lo, med, hi = np.percentile(counts, [tail, 50.0, 100.0 - tail])
    label = f"next {horizon_days} days (model)"
    fig.add_trace(
        go.Bar(
            x=[label],
            y=[med],
            name=f"forecast: median and {interval_pct:g}% interval",
            marker_color=PALETTE[2],
            error_y={"type": "data", "array": [hi - med], "arrayminus": [med - lo]},
            hovertext=[f"median {med:.0f}, interval {lo:.0f}–{hi:.0f} attacks"],
            hoverinfo="text",
        )
    )
    fig.update_layout(
        title={"text": "Russian sabotage attacks in Europe: tallies and forecast", "x": 0},
        barmode="group",
        height=420,
        yaxis={"title": "attacks"},
        xaxis={"title": None, "type": "category"},
    )
    return fig


def tornado(result: EscalationResult) -> go.Figure:
    """Swing of the focus quantity as each input moves from its low to its high value."""
    table = result.tornado
    rung_label = RUNG_LABELS[result.params.focus_rung]
    quantity = focus_quantity(result.params.focus_rung)
    as_pct = quantity == "probability"
    shown = table[table["swing"] > 0].iloc[::-1]
    centre = float(table["central"].iloc[0])
    fig = go.Figure()
    for col, name, colour in (
        ("at_low", "input low", PALETTE[5]),
        ("at_high", "input high", PALETTE[1]),
    ):
        fig.add_trace(
            go.Bar(
                y=shown["label"],
                x=shown[col] - centre,
                base=centre,
                orientation="h",
                name=name,
                marker_color=colour,
                hovertext=[
                    f"{html.escape(lab)}: {_pct(v) if as_pct else f'{v:.1f}'}"
                    for lab, v in zip(shown["label"], shown[col], strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title={"text": f"What moves the answer: {html.escape(rung_label)}", "x": 0},
        barmode="overlay",
        legend={"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        margin={"t": 90},
        height=140 + 48 * max(len(shown), 1),
        xaxis={
            "tickformat": ".0%" if as_pct else ",.0f",
            "title": f"{quantity} (other inputs at their medians)",
        },
        yaxis={"title": None, "automargin": True},
    )
    return fig


def sobol(result: EscalationResult) -> go.Figure:
    """First-order and total Sobol indices with bootstrap 95% intervals."""
    rung_label = RUNG_LABELS[result.params.focus_rung]
    shown = result.sobol.iloc[::-1]
    fig = go.Figure()
    for key, name, colour in (("s1", "first order", PALETTE[0]), ("st", "total", PALETTE[1])):
        fig.add_trace(
            go.Bar(
                y=shown["label"],
                x=shown[key].clip(lower=0),
                orientation="h",
                name=name,
                marker_color=colour,
                error_x={
                    "type": "data",
                    "array": (shown[f"{key}_high"] - shown[key]).clip(lower=0),
                    "arrayminus": (shown[key] - shown[f"{key}_low"]).clip(lower=0),
                },
            )
        )
    fig.update_layout(
        title={"text": f"Sobol indices: {html.escape(rung_label)}", "x": 0},
        barmode="group",
        height=160 + 40 * len(shown),
        xaxis={"range": [0, 1.1], "title": "share of variance"},
        yaxis={"title": None, "automargin": True},
    )
    return fig


def references(result: EscalationResult) -> go.Figure:
    """Published probability estimates (log scale) beside what the base rate alone would allow."""
    bound = result.nuclear
    shown = result.estimates.sort_values("date")
    if shown.empty:
        fig = go.Figure()
        fig.add_annotation(
            text="No published estimate is dated on or before the as-of date.",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        fig.update_layout(
            title={"text": "Published estimates (reference points, not model inputs)", "x": 0},
            height=220,
            xaxis={"visible": False},
            yaxis={"visible": False},
        )
        return fig
    short = [q if len(q) <= 70 else q[:69] + "…" for q in shown["question"]]
    names = [
        f"{html.escape(q)}<br><span style='font-size:11px'>{html.escape(f[:50])}, {d:%b %Y}</span>"
        for q, f, d in zip(short, shown["forecaster"], shown["date"], strict=True)
    ]
    fig = go.Figure(
        go.Scatter(
            x=shown["value_pct"],
            y=names,
            mode="markers",
            name="published estimate",
            marker={"size": 11, "color": [RUNG_COLOURS[r] for r in shown["rung"]]},
            error_x={
                "type": "data",
                "array": (shown["value_pct_high"] - shown["value_pct"]).fillna(0),
                "arrayminus": (shown["value_pct"] - shown["value_pct_low"]).fillna(0),
                "width": 0,
            },
            hovertext=[
                f"<b>{html.escape(q)}</b><br>{v:g}% · horizon {html.escape(h)}"
                for q, v, h in zip(
                    shown["question"], shown["value_pct"], shown["horizon"], strict=True
                )
            ],
            hoverinfo="text",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[100 * bound["posterior_mean"], 100 * bound["posterior_mean"]],
            y=[names[0], names[-1]],
            mode="lines",
            name="base rate alone (0 of the past steps)",
            line={"dash": "dot", "color": "#c00000"},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title={"text": "Published estimates (reference points, not model inputs)", "x": 0},
        height=180 + 52 * len(names),
        xaxis={
            "type": "log",
            "title": "probability, % (log scale)",
            "tickvals": [0.1, 0.3, 1, 3, 10, 30, 100],
            "ticktext": ["0.1", "0.3", "1", "3", "10", "30", "100"],
        },
        yaxis={"title": None, "automargin": True},
    )
    return fig


def step_table(result: EscalationResult) -> pd.DataFrame:
    """Closed steps, oldest first: was each followed by a response at each history rung?"""
    outcomes = result.evidence.outcomes
    columns = ["date", "step", *(RUNG_LABELS[r] for r in HISTORY_RUNGS)]
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    wide = (
        outcomes.pivot(index=["date", "step_name"], columns="rung", values="followed")
        .rename_axis(columns=None)
        .reset_index()
        .sort_values("date")
    )
    wide["date"] = wide["date"].dt.strftime("%Y-%m-%d")
    wide = wide[["date", "step_name", *HISTORY_RUNGS]].replace({True: "yes", False: "–"})
    return wide.rename(columns={"step_name": "step", **RUNG_LABELS})[columns]


def ladder_table(result: EscalationResult) -> pd.DataFrame:
    """Probability per rung with its interval, ICD 203 word and confidence."""
    table = result.ladder
    interval_pct = result.params.interval_pct
    return table.assign(
        probability=(100 * table["probability"]).round(1),
        interval=(100 * table["low"]).round().astype(int).astype(str)
        + "–"
        + (100 * table["high"]).round().astype(int).astype(str),
    )[["label", "probability", "interval", "word", "confidence"]].rename(
        columns={
            "label": "rung",
            "probability": "probability, %",
            "interval": f"{interval_pct:g}% interval, %",
        }
    )
