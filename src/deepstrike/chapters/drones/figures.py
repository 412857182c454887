"""Charts of the Drone chapter: cost per hit, saturation, reach, budget mix, refineries."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from deepstrike.chapters.drones.model import BAND_LABELS
from deepstrike.figures import PALETTE

HARDNESS_COLOURS = {"soft": PALETTE[0], "hard": PALETTE[1]}
TYPE_COLOURS = {
    "all": "#222222",
    "airbase": PALETTE[0],
    "airport": PALETTE[2],
    "refinery": PALETTE[1],
}


def _usd(v: float) -> str:
    return f"${v / 1e6:,.2f} m" if v >= 1e6 else f"${v / 1e3:,.0f}k"


def _note_if_empty(fig: go.Figure, empty: bool, what: str) -> go.Figure:
    """An empty chart says why it is empty (nothing public on or before the as-of date)."""
    if empty:
        fig.add_annotation(
            text=html.escape(f"No {what} on or before the as-of date"),
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.5,
            showarrow=False,
            font={"size": 14, "color": "#777"},
        )
    return fig


def cpeh_chart(cpeh: pd.DataFrame) -> go.Figure:
    """Median cost per effective hit with its interval, per system, soft and hard targets (log)."""
    names = list(dict.fromkeys(cpeh["system_name"]))
    fig = go.Figure()
    for hardness, colour in HARDNESS_COLOURS.items():
        part = cpeh[cpeh["hardness"] == hardness]
        hover = [
            f"<b>{html.escape(r.system_name)}</b> · {hardness} target<br>"
            f"median {_usd(r.median_usd)} (interval {_usd(r.low_usd)}–{_usd(r.high_usd)})<br>"
            f"unit cost {_usd(r.unit_cost_usd)} ({html.escape(r.cost_from)}); "
            f"P(arrive) {r.p_arrive:.2f}, P(hit) {r.p_hit:.2f}, P(effect) {r.p_effect:.2f}"
            for r in part.itertuples()
        ]
        fig.add_trace(
            go.Scatter(
                x=part["median_usd"],
                y=part["system_name"],
                mode="markers",
                name=f"{hardness} target",
                marker={
                    "color": colour,
                    "size": 10,
                    "symbol": [
                        "circle" if c == "data" else "circle-open" for c in part["cost_from"]
                    ],
                },
                error_x={
                    "type": "data",
                    "array": part["high_usd"] - part["median_usd"],
                    "arrayminus": part["median_usd"] - part["low_usd"],
                    "thickness": 1.5,
                    "width": 0,
                },
                hovertext=hover,
                hoverinfo="text",
                offsetgroup=hardness,
            )
        )
    fig.update_layout(
        title={
            "text": "Cost per effective hit: median and interval (open: unit cost from the prior)",
            "x": 0,
        },
        scattermode="group",
        height=170 + 40 * len(names),
        xaxis={"type": "log", "title": "US dollars per effective hit (log scale)"},
        yaxis={
            "categoryorder": "array",
            "categoryarray": names[::-1],
            "automargin": True,
            "title": None,
        },
    )
    return fig


def saturation_chart(curve: pd.DataFrame, record: pd.DataFrame, raid_size: int) -> go.Figure:
    """Share of a drone raid getting through against raid size: the fitted (or prior) model
    with its interval, the uncalibrated priors, and the recorded raids (an analogue)."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(curve["raid_size"]) + list(curve["raid_size"][::-1]),
            y=list(100 * curve["high"]) + list(100 * curve["low"][::-1]),
            fill="toself",
            fillcolor="rgba(31,78,121,0.15)",
            line={"width": 0},
            name="interval of the draws",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=curve["raid_size"],
            y=100 * curve["p_arrive"],
            mode="lines",
            name="median of the draws",
            line={"color": PALETTE[0], "width": 2.5},
            hovertemplate="raid of %{x} drones: %{y:.0f}% get through<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=curve["raid_size"],
            y=100 * curve["prior"],
            mode="lines",
            name="uncalibrated priors (median)",
            line={"color": PALETTE[3], "width": 1.5, "dash": "dash"},
            hovertemplate="priors, raid of %{x}: %{y:.0f}% get through<extra></extra>",
        )
    )
    if len(record):
        fig.add_trace(
            go.Scatter(
                x=record["n"],
                y=100 * record["share_through"],
                mode="markers",
                name="recorded raids (Russian drones over Ukraine: an analogue)",
                marker={"color": PALETTE[1], "size": 9, "symbol": "diamond"},
                hovertext=[
                    html.escape(f"{d:%d %b %Y}: {n} drones, {s} shot down, {lo} lost to EW")
                    for d, n, s, lo in zip(
                        record["date"], record["n"], record["downed"], record["lost"], strict=True
                    )
                ],
                hovertemplate="%{hovertext}<br>%{y:.0f}% got through<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[raid_size, raid_size],
            y=[0, 100],
            mode="lines",
            name=f"raid size assumed: {raid_size}",
            line={"dash": "dot", "color": "#c00000", "width": 1.5},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title={"text": "Saturation: share of a drone raid that gets through", "x": 0},
        height=420,
        legend={"y": -0.3},
        margin={"b": 130},
        xaxis={"type": "log", "title": "drones in one raid (log scale)"},
        yaxis={"title": "% getting through", "range": [0, 100]},
    )
    return fig


def band_chart(bands: pd.DataFrame, cpeh: pd.DataFrame, hardness: str = "soft") -> go.Figure:
    """Cost per effective hit per depth band: every system that reaches the band (log scale)."""
    soft = cpeh[cpeh["hardness"] == hardness].set_index("system_id")
    fig = go.Figure()
    rows = bands[bands["hardness"] == hardness]
    labels = []
    for cls, colour, name in (
        ("drone", PALETTE[2], "drones"),
        ("missile", PALETTE[3], "missiles and rockets"),
    ):
        xs, ys, lo, hi, hover, symbols = [], [], [], [], [], []
        for r in rows.itertuples():
            for sid in r.system_ids:
                s = soft.loc[sid]
                if (s["system_class"] == "drone") != (cls == "drone"):
                    continue
                label = f"{r.band} · {s['system_name'].split(' (')[0]}"
                labels.append(label)
                ys.append(label)
                xs.append(s["median_usd"])
                lo.append(s["median_usd"] - s["low_usd"])
                hi.append(s["high_usd"] - s["median_usd"])
                symbols.append("circle" if s["cost_from"] == "data" else "circle-open")
                hover.append(
                    f"<b>{html.escape(label)}</b><br>median {_usd(s['median_usd'])} "
                    f"({_usd(s['low_usd'])}–{_usd(s['high_usd'])}); cost from "
                    f"{html.escape(s['cost_from'])}; {html.escape(s['supply'])}"
                )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name=name,
                marker={"color": colour, "size": 10, "symbol": symbols},
                error_x={"type": "data", "array": hi, "arrayminus": lo, "width": 0},
                hovertext=hover,
                hoverinfo="text",
            )
        )
    order = [lab for b in BAND_LABELS for lab in labels if lab.startswith(f"{b} ·")]
    fig.update_layout(
        title={
            "text": f"Cost per effective hit by depth band, {hardness} targets "
            "(median and interval; open: unit cost from a prior)",
            "x": 0,
        },
        height=180 + 24 * len(order),
        xaxis={"type": "log", "title": "US dollars per effective hit (log scale)"},
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "automargin": True},
        legend={"y": -0.15, "orientation": "h"},
    )
    return _note_if_empty(fig, not order, "system that reaches a target")


def reach_curve_chart(curve: pd.DataFrame, systems: pd.DataFrame) -> go.Figure:
    """Share of targets within range of launch positions, per target type, with system ranges."""
    fig = go.Figure()
    for col in [c for c in curve.columns if c != "range_km"]:
        fig.add_trace(
            go.Scatter(
                x=curve["range_km"],
                y=curve[col],
                mode="lines",
                name=f"{col} targets" if col != "all" else "all targets",
                line={
                    "color": TYPE_COLOURS.get(col, PALETTE[4]),
                    "width": 3 if col == "all" else 1.8,
                },
                hovertemplate="range %{x:,.0f} km: %{y:.0f}% in reach<extra>"
                + html.escape(col)
                + "</extra>",
            )
        )
    for i, s in enumerate(systems.sort_values("range_km_central").itertuples()):
        colour = PALETTE[2] if s.system_class == "drone" else PALETTE[3]
        fig.add_trace(
            go.Scatter(
                x=[s.range_km_central, s.range_km_central],
                y=[0, 100],
                mode="lines",
                line={"dash": "dot", "color": colour, "width": 1},
                name=s.system_name,
                showlegend=False,
                hovertemplate=f"{html.escape(s.system_name)}: {s.range_km_central:,.0f} km"
                + "<extra></extra>",
            )
        )
        fig.add_annotation(
            x=s.range_km_central,
            y=100 - 6 * (i % 8),
            text=html.escape(s.system_id),
            showarrow=False,
            xanchor="left",
            font={"size": 10, "color": colour},
        )
    fig.update_layout(
        title={
            "text": "Targets in reach against range (dotted: each system's central range)",
            "x": 0,
        },
        height=430,
        xaxis={
            "title": "range, km (targets counted when distance to the line + launch depth ≤ range)"
        },
        yaxis={"title": "% of targets in reach", "range": [0, 102]},
    )
    return fig


def reach_band_chart(reach: pd.DataFrame, bands: tuple[str, ...] = BAND_LABELS) -> go.Figure:
    """Targets in reach per system and depth band (heat map of counts, hover: of how many)."""
    by = reach.groupby(["system_name", "band"], as_index=False)[["n_reach", "n_targets"]].sum()
    order = (
        reach.drop_duplicates("system_name")
        .assign(total=lambda d: d["system_name"].map(by.groupby("system_name")["n_reach"].sum()))
        .sort_values("total")["system_name"]
        .tolist()
    )
    z = by.pivot(index="system_name", columns="band", values="n_reach").reindex(
        index=order, columns=bands
    )
    n = by.pivot(index="system_name", columns="band", values="n_targets").reindex(
        index=order, columns=bands
    )
    text = z.fillna(0).astype(int).astype(str) + " / " + n.fillna(0).astype(int).astype(str)
    fig = go.Figure(
        go.Heatmap(
            z=(100 * z / n).to_numpy(),
            x=list(bands),
            y=[html.escape(s) for s in order],
            text=text.to_numpy(),
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": "% in reach"},
            hovertemplate="%{y}<br>%{x}: %{text} targets in reach<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": "Targets in reach by depth band (in reach / targets in band)", "x": 0},
        height=140 + 36 * len(order),
        xaxis={"title": "distance from the edge of Ukrainian-held ground"},
        yaxis={"automargin": True},
    )
    return fig


def budget_mix_chart(sweep: pd.DataFrame, budget_usd: float) -> go.Figure:
    """Spend share per system in the optimal mix against the monthly budget (stacked, log x)."""
    fig = go.Figure()
    sweep = sweep[sweep["supply"] == "built"]
    pivot = sweep.pivot_table(index="budget_usd", columns="system_name", values="spend_share_pct")
    pivot = pivot.loc[:, pivot.max() > 0.5]
    classes = sweep.drop_duplicates("system_name").set_index("system_name")["system_class"]
    for i, name in enumerate(sorted(pivot.columns, key=lambda n: (classes[n] != "drone", n))):
        fig.add_trace(
            go.Scatter(
                x=pivot.index / 1e6,
                y=pivot[name],
                mode="lines",
                stackgroup="one",
                name=name,
                line={"width": 0.5, "color": PALETTE[i % len(PALETTE)]},
                hovertemplate="budget $%{x:,.0f} m/month: %{y:.0f}% of spend<extra>"
                + html.escape(name)
                + "</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[budget_usd / 1e6] * 2,
            y=[0, 100],
            mode="lines",
            name=f"budget assumed: ${budget_usd / 1e6:,.0f} m",
            line={"dash": "dot", "color": "#c00000", "width": 1.5},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title={
            "text": "Budget mix that maximises effective hits: share of spend by system "
            "(what Ukraine builds; donated missiles come on top)",
            "x": 0,
        },
        height=470,
        legend={"y": -0.3},
        margin={"b": 140},
        xaxis={"type": "log", "title": "budget, USD million per month (log scale)"},
        yaxis={"title": "% of spend", "range": [0, 100]},
    )
    return fig


def refinery_chart(offline: pd.DataFrame) -> go.Figure:
    """Refining capacity reported offline: share from drone damage, and Mt from all causes."""
    fig = go.Figure()
    mt = offline[offline["offline_mt"].notna()].sort_values("period_start")
    fig.add_trace(
        go.Bar(
            x=mt["period_start"].dt.strftime("%Y-%m-15"),
            y=mt["offline_mt"],
            name="offline, all causes (Mt in month)",
            marker={"color": "rgba(127,127,127,0.45)"},
            yaxis="y2",
            hovertext=[html.escape(n) for n in mt["notes"]],
            hovertemplate="%{x|%b %Y}: %{y:.2f} Mt<br>%{hovertext}<extra></extra>",
        )
    )
    for scope, colour, label in (
        ("drone_damage", PALETTE[1], "share idled by drone strikes"),
        ("all_causes", PALETTE[0], "share offline, all causes"),
    ):
        part = offline[(offline["scope"] == scope) & offline["offline_share_pct"].notna()]
        part = part.sort_values("period_start")
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["period_start"].dt.strftime("%Y-%m-15"),
                y=part["offline_share_pct"],
                mode="markers+lines" if scope == "drone_damage" else "markers",
                name=label,
                marker={"color": colour, "size": 11},
                line={"color": colour, "dash": "dot"},
                hovertext=[html.escape(n) for n in part["notes"]],
                hovertemplate="%{x|%b %Y}: %{y:.1f}%<br>%{hovertext}<extra></extra>",
            )
        )
    fig.update_layout(
        title={
            "text": "Russian primary refining capacity reported offline (Reuters calculations)",
            "x": 0,
        },
        height=400,
        xaxis={"type": "date", "title": None},
        yaxis={"title": "% of capacity", "rangemode": "tozero"},
        yaxis2={
            "title": "Mt in month",
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "showgrid": False,
        },
        barmode="overlay",
    )
    return _note_if_empty(fig, offline.empty, "report of refining capacity offline")


def claims_chart(claims: pd.DataFrame) -> go.Figure:
    """Russian claims of drones downed per month (claims, not verified)."""
    months = claims[(claims["period_end"] - claims["period_start"]).dt.days < 40].sort_values(
        "period_start"
    )
    fig = go.Figure(
        go.Bar(
            x=months["period_start"].dt.strftime("%Y-%m-15"),
            y=months["drones_downed"],
            marker={"color": PALETTE[3]},
            name="claimed downed",
            hovertemplate="%{x|%b %Y}: %{y:,} drones claimed downed (Russian MoD)<extra></extra>",
        )
    )
    fig.update_layout(
        title={
            "text": "Drones the Russian MoD claims to have downed outside the war zone, by month",
            "x": 0,
        },
        height=340,
        xaxis={"type": "date", "title": None},
        yaxis={"title": "drones (claim)"},
    )
    return _note_if_empty(fig, months.empty, "monthly Russian claim")


def cpeh_table(result: Any) -> pd.DataFrame:
    """Cost per effective hit and its parts, per system and target hardness (medians)."""
    c = result.cpeh
    m = 1e6
    return c.assign(
        target=c["hardness"],
        median=(c["median_usd"] / m).round(2),
        interval=(c["low_usd"] / m).round(2).astype(str)
        + "–"
        + (c["high_usd"] / m).round(2).astype(str),
        unit_cost=(c["unit_cost_usd"] / 1e3).round(0).astype(int),
        p_arrive=c["p_arrive"].round(2),
        p_hit=c["p_hit"].round(2),
        p_effect=c["p_effect"].round(2),
    )[
        [
            "system_name",
            "target",
            "median",
            "interval",
            "unit_cost",
            "cost_from",
            "payload_from",
            "p_arrive",
            "p_hit",
            "p_effect",
        ]
    ].rename(
        columns={
            "system_name": "system",
            "median": "USD m per effective hit (median)",
            "interval": f"{result.params.interval_pct:g}% interval, USD m",
            "unit_cost": "unit cost, USD thousand (median)",
            "cost_from": "cost from",
            "payload_from": "payload from",
        }
    )


def ledger_table(result: Any) -> pd.DataFrame:
    """Every system with data: compared (bands it reaches) or left out, with the reason."""
    led = result.ledger
    return pd.DataFrame(
        {
            "system": led["name"],
            "status": led["status"],
            "bands reached": [", ".join(b) for b in led["bands"]],
            "reason left out": led["reason"],
            "unit cost from": led["cost_from"].fillna(""),
            "warhead from": led["payload_from"].fillna(""),
            "supply": led["supply"].fillna(""),
        }
    )


def caps_table(result: Any) -> pd.DataFrame:
    """Monthly supply per production class and donated group: range and where it comes from."""
    caps = result.caps_table
    record = caps["record_per_month"].map(lambda v: "" if v is None or v != v else f"{v:,.0f}")
    return pd.DataFrame(
        {
            "supply group": caps["cap_group"],
            "supplied by": caps["supply"].map({"built": "Ukraine builds", "donated": "donors"}),
            "low a month": caps["low"].round(0).astype(int),
            "central": caps["central"].round(0).astype(int),
            "high": caps["high"].round(0).astype(int),
            "from": caps["basis"].map(
                {
                    "statement": "statements (claims)",
                    "prior": "stated prior",
                    "none": "no statement",
                }
            ),
            "statements": [", ".join(s) for s in caps["statements"]],
            "reported deliveries a month": record,
        }
    )


def raid_table(result: Any) -> pd.DataFrame:
    """The recorded raids beside the model's share getting through (analogue: Ukraine's record)."""
    rec = result.air.record
    if rec.empty:
        return pd.DataFrame(columns=["date", "drones", "shot down", "lost to EW", "got through"])
    pct = result.params.interval_pct
    return pd.DataFrame(
        {
            "date": rec["date"].dt.strftime("%Y-%m-%d"),
            "drones (in the defended airspace)": rec["n"],
            "shot down": rec["downed"],
            "lost to EW": rec["lost"],
            "got through (reported)": (100 * rec["share_through"]).round(0).astype(int).astype(str)
            + "%",
            f"model, {pct:g}% interval": (100 * rec["model_low"]).round(0).astype(int).astype(str)
            + "–"
            + (100 * rec["model_high"]).round(0).astype(int).astype(str)
            + "%",
            "claim by": rec["claimed_by"],
        }
    )


def beyond_table(result: Any) -> pd.DataFrame:
    """Targets no public system reaches, listed apart."""
    b = result.beyond
    return pd.DataFrame(
        {
            "target": b["name"],
            "type": b["target_type"],
            "region": b["region"],
            "km from the line": b["line_distance_km"].round(0).astype(int),
            "deep target": b["deep"].map({True: "yes", False: ""}),
        }
    )


def funding_table(funding: pd.DataFrame) -> pd.DataFrame:
    """US funding statements for Ukrainian drone production (claims labelled)."""
    return funding.assign(
        date=funding["date"].dt.strftime("%Y-%m-%d"),
        amount=(funding["amount_usd_central"] / 1e6).round(0).astype(int),
    )[["date", "funder", "amount", "purpose", "status", "claimed_by"]].rename(
        columns={"amount": "USD m (central)", "claimed_by": "claim by"}
    )


def strikes_table(strikes: pd.DataFrame) -> pd.DataFrame:
    """Notable long-range drone strikes with their reported effects (claims labelled)."""
    distance = strikes["distance_km_high"].fillna(strikes["distance_km_low"])
    return strikes.assign(
        date=strikes["date"].dt.strftime("%Y-%m-%d"),
        distance=distance.map(lambda v: "" if v != v else f"{v:,.0f}"),
    )[["date", "target", "target_type", "distance", "reported_effect", "claimed_by"]].rename(
        columns={
            "target_type": "type",
            "distance": "km from Ukraine (reported)",
            "claimed_by": "claim by",
        }
    )
