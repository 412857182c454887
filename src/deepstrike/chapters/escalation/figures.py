"""Charts of the Escalation chapter: ladder against the background, timeline with step and
control windows, sabotage, tornado, Sobol, references, and the tables beside them."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepstrike.chapters.escalation.model import (
    PRIOR_NAMES,
    PRIORS,
    RUNG_LABELS,
    RUNGS,
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


def confidence_reason(basis: str, followed: float, n_steps: int) -> str:
    """The reason behind a rung's confidence, in words (for the chart's hover text)."""
    return {
        "few_steps": f"only {n_steps} Western steps with a closed window",
        "never_observed": "never observed after a past step: the number is a prior",
        "few_controls": "too few control windows to measure the background",
        "wide_interval": "the interval spans more than half the scale",
        "observed": f"observed after {followed:.0f} of {n_steps} past steps",
    }[basis]


def ladder(result: EscalationResult) -> go.Figure:
    """Per rung, lowest at the bottom: the forecast after this step (dot, with its interval;
    the colour is the analytic confidence) beside the background without a step (open
    circle, with its interval) and the range across the three stated priors (grey bar)."""
    table = result.ladder
    horizon_days, interval_pct = result.params.horizon_days, result.params.interval_pct
    n_steps = result.evidence.n_steps
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=table["prior_max"] - table["prior_min"],
            y=table["label"],
            base=table["prior_min"],
            orientation="h",
            marker={"color": "rgba(127,127,127,0.22)"},
            width=0.5,
            name="forecast across three priors",
            hovertext=[
                f"{html.escape(r.label)}: {_pct(r.prior_min)}–{_pct(r.prior_max)} across "
                + ", ".join(
                    f"{PRIOR_NAMES[n]} Beta({a:g}, {b:g}) {_pct(getattr(r, f'prior_{n}'))}"
                    for n, (a, b) in PRIORS.items()
                )
                for r in table.itertuples()
            ],
            hoverinfo="text",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=table["background"],
            y=table["label"],
            mode="markers",
            name="without a step (background)",
            marker={"symbol": "circle-open", "size": 12, "color": "#595959", "line": {"width": 2}},
            error_x={
                "type": "data",
                "array": table["background_high"] - table["background"],
                "arrayminus": table["background"] - table["background_low"],
                "thickness": 1,
                "width": 4,
                "color": "#8c8c8c",
            },
            hovertext=[
                f"<b>{html.escape(r.label)}</b><br>background {_pct(r.background)} "
                f"({interval_pct:g}% interval {_pct(r.background_low)}–{_pct(r.background_high)})"
                + (
                    f"<br>{100 * r.control_share:.0f}% of the control windows had one"
                    if r.control_share == r.control_share and r.control_share is not None
                    else "<br>no control window"
                )
                for r in table.itertuples()
            ],
            hoverinfo="text",
        )
    )
    for conf, colour in CONFIDENCE_COLOURS.items():
        part = table[table["confidence"] == conf]
        if part.empty:
            continue
        hover = [
            f"<b>{html.escape(r.label)}</b><br>"
            + (
                f"{html.escape(r.prior_words)} ({_pct(r.prior_min)}–{_pct(r.prior_max)}) "
                "across three priors: a prior, never observed after a step"
                if r.never_observed
                else f"{html.escape(r.word)} ({_pct(r.probability)})"
            )
            + f"<br>{interval_pct:g}% interval {_pct(r.low)}–{_pct(r.high)}"
            f"<br>this step adds {100 * r.effect:+.0f} points to the background"
            f"<br>followed {r.followed:.0f} of {r.steps:.0f} past steps"
            f"<br>confidence: {conf} "
            f"({html.escape(confidence_reason(r.confidence_basis, r.followed, n_steps))})"
            for r in part.itertuples()
        ]
        fig.add_trace(
            go.Scatter(
                x=part["probability"],
                y=part["label"],
                mode="markers+text",
                name=f"after this step ({conf} confidence)",
                marker={"color": colour, "size": 13},
                text=[
                    f"{r.prior_words} ({_pct(r.prior_min)}–{_pct(r.prior_max)})"
                    if r.never_observed
                    else f"{r.word} ({_pct(r.probability)})"
                    for r in part.itertuples()
                ],
                # labels of rungs near certainty would run off the right edge
                textposition=["top left" if p > 0.7 else "top right" for p in part["probability"]],
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
            "text": f"Russian response within {horizon_days} days of this step, and without a step",
            "x": 0,
        },
        height=190 + 66 * (len(labels) + 1),
        barmode="overlay",
        legend={"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        margin={"t": 110},
        xaxis={"range": [0, 1.02], "tickformat": ".0%", "title": "probability"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": [*labels, "Nuclear use"],
            "title": None,
            "automargin": True,
        },
    )
    return fig


def _runs(starts: pd.DatetimeIndex, horizon_days: int) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Stretches of time covered by control windows (first day, day after the last)."""
    if len(starts) == 0:
        return []
    s = pd.Series(starts)
    groups = (s.diff() != pd.Timedelta(days=1)).cumsum()
    return [
        (part.iloc[0], part.iloc[-1] + pd.Timedelta(days=horizon_days))
        for _, part in s.groupby(groups)
    ]


def timeline(result: EscalationResult) -> go.Figure:
    """Steps (top rows: Western, Ukrainian) with their effective windows shaded, the time
    covered by control windows shaded green, and the Russian responses by rung: a filled
    marker is counted for a Western step, a cross for a Ukrainian act, an open one for none."""
    e, responses = result.evidence, result.responses
    horizon_days = result.params.horizon_days
    windows = e.windows
    fig = go.Figure()
    west_row, ua_row = "Western steps", "Ukrainian acts"
    present = [RUNG_LABELS[r] for r in RUNGS if r in set(responses["rung"])]
    rows = [west_row, *([ua_row] if (windows["step_class"] == "ukrainian").any() else []), *present]
    for first, end in _runs(e.starts, horizon_days):
        fig.add_vrect(
            x0=first.strftime("%Y-%m-%d"),
            x1=end.strftime("%Y-%m-%d"),
            fillcolor="rgba(84,130,53,0.12)",
            line_width=0,
            layer="below",
        )
    for w in windows.itertuples():
        end = w.date + pd.Timedelta(days=float(w.window_days))
        fig.add_vrect(
            x0=w.date.strftime("%Y-%m-%d"),
            x1=end.strftime("%Y-%m-%d"),
            fillcolor="rgba(31,78,121,0.10)" if w.step_class == "western" else "rgba(192,0,0,0.08)",
            line_width=0,
            layer="below",
        )
    for cls, row, colour in (("western", west_row, PALETTE[0]), ("ukrainian", ua_row, "#c00000")):
        part = windows[windows["step_class"] == cls]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["date"].dt.strftime("%Y-%m-%d"),
                y=[row] * len(part),
                mode="markers",
                name=row,
                marker={"symbol": "diamond", "size": 12, "color": colour},
                hovertext=[
                    f"<b>{html.escape(w.step_name)}</b> · {w.date:%d %b %Y}<br>"
                    f"window {w.window_days:.0f} of {horizon_days} days"
                    + (f" (cut short by {html.escape(str(w.cut_by))})" if w.cut_by else "")
                    + ("" if w.closed else "<br><i>window still open</i>")
                    for w in part.itertuples()
                ],
                hoverinfo="text",
            )
        )
    classes = windows.set_index("step_id")["step_class"].to_dict()
    for rung in RUNGS:
        part = responses[responses["rung"] == rung]
        if part.empty:
            continue
        owner = part["step_id"].map(lambda s: classes.get(s) if isinstance(s, str) else None)
        symbol = owner.map({"western": "circle", "ukrainian": "x"}).fillna("circle-open")
        claim = part["claimed_by"].fillna("")
        fig.add_trace(
            go.Scatter(
                x=part["date"].dt.strftime("%Y-%m-%d"),
                y=[RUNG_LABELS[rung]] * len(part),
                mode="markers",
                name=RUNG_LABELS[rung],
                marker={
                    "size": 11,
                    "color": RUNG_COLOURS[rung],
                    "symbol": symbol.tolist(),
                    "line": {"color": RUNG_COLOURS[rung], "width": 1.5},
                },
                hovertext=[
                    f"<b>{html.escape(r.actor)}</b> · {r.date:%d %b %Y}<br>"
                    f"{html.escape(r.description[:180])}"
                    + (
                        f"<br>counted for: {html.escape(r.step_id)} (day {r.lag_days:.0f})"
                        if isinstance(r.step_id, str)
                        else "<br>counted for no step"
                    )
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
            "text": f"Steps with their windows (blue, up to {horizon_days} days), control windows "
            "(green) and Russian responses",
            "x": 0,
        },
        height=190 + 45 * len(rows),
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
    """Attacks attributed to Russia per year in the record (as of the as-of date) beside the
    public tallies (bars with low–high whiskers), and the forecast over the horizon."""
    tallies, counts = result.tallies, result.simulation.sabotage_counts
    horizon_days, interval_pct = result.params.horizon_days, result.params.interval_pct
    on_rung = result.responses[result.responses["rung"] == "sabotage_europe"]
    fig = go.Figure()
    if not on_rung.empty:
        per_year = on_rung["date"].dt.year.value_counts().sort_index()
        fig.add_trace(
            go.Bar(
                x=per_year.index.astype(str),
                y=per_year.to_numpy(),
                name="attributed attacks in the record",
                marker_color=RUNG_COLOURS["sabotage_europe"],
                hovertext=[f"{n} attacks attributed by the as-of date" for n in per_year],
                hoverinfo="text",
            )
        )
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
        title={"text": "Russian sabotage attacks in Europe: record, tallies and forecast", "x": 0},
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
    """Closed steps, oldest first: class, effective window and responses counted per rung."""
    outcomes = result.evidence.outcomes
    columns = ["date", "step", "class", "window, days", *(RUNG_LABELS[r] for r in RUNGS)]
    if outcomes.empty:
        return pd.DataFrame(columns=columns)
    wide = (
        outcomes.pivot(
            index=["date", "step_name", "step_class", "window_days"], columns="rung", values="count"
        )
        .rename_axis(columns=None)
        .reset_index()
        .sort_values("date")
    )
    wide["date"] = wide["date"].dt.strftime("%Y-%m-%d")
    wide["window_days"] = wide["window_days"].round().astype(int)
    wide["step_class"] = wide["step_class"].map(
        {"western": "Western", "ukrainian": "Ukrainian act"}
    )
    for rung in RUNGS:
        wide[rung] = wide[rung].map(lambda n: str(int(n)) if n else "–")
    wide = wide[["date", "step_name", "step_class", "window_days", *RUNGS]]
    names = {"step_name": "step", "step_class": "class", "window_days": "window, days"}
    return wide.rename(columns={**names, **RUNG_LABELS})[columns]


def ladder_table(result: EscalationResult) -> pd.DataFrame:
    """Per rung: the record (after steps, in control windows), the model's background, what
    this step adds, the forecast with its interval and word, the three priors, confidence."""
    t = result.ladder
    pct = result.params.interval_pct

    def span(lo: pd.Series, hi: pd.Series) -> pd.Series:
        return (
            (100 * lo).round().astype(int).astype(str)
            + "–"
            + (100 * hi).round().astype(int).astype(str)
        )

    control = t["control_share"].map(lambda v: "–" if v is None or v != v else f"{100 * v:.0f}%")
    words = [f"{r.prior_words} (prior)" if r.never_observed else r.word for r in t.itertuples()]
    return pd.DataFrame(
        {
            "rung": t["label"],
            "after past steps": t["followed"].astype(int).astype(str)
            + " of "
            + t["steps"].astype(int).astype(str),
            "control windows with one": control,
            "background, %": (100 * t["background"]).round(1),
            "this step adds, points": (100 * t["effect"]).round(1),
            f"adds: {pct:g}% interval": span(t["effect_low"], t["effect_high"]),
            "forecast, %": (100 * t["probability"]).round(1),
            f"forecast: {pct:g}% interval": span(t["low"], t["high"]),
            "three priors, %": span(t["prior_min"], t["prior_max"]),
            "word": words,
            "after Ukrainian acts": t["ua_followed"].astype(int).astype(str)
            + " of "
            + t["ua_steps"].astype(int).astype(str),
            "Ukrainian acts: rate, %": (100 * t["ua_rate"]).round(0),
            "confidence": t["confidence"],
        }
    )
