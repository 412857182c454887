"""Charts of the Missile supply chapter: stock fan, depletion weeks, and the reach map."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from deepstrike import geo
from deepstrike.chapters.supply import model
from deepstrike.figures import PALETTE

# Map window: the front, western Russia to the Volga, Crimea to Moscow.
LAT_RANGE = (43.5, 56.5)
LON_RANGE = (25.0, 50.0)
RING_COLOURS = ["#c55a11", "#1f4e79", "#7030a0", "#548235"]


def fan_figure(fan: pd.DataFrame, interval_pct: float, title: str) -> go.Figure:
    """Stock at the start of each week: outer interval, 50% interval and median."""
    fig = go.Figure()
    weeks = fan["week"].tolist()
    band = [
        ("high", "low", f"{interval_pct:g}% of draws", "rgba(31,78,121,0.15)"),
        ("q75", "q25", "50% of draws", "rgba(31,78,121,0.35)"),
    ]
    for upper, lower, name, colour in band:
        fig.add_trace(
            go.Scatter(
                x=weeks + weeks[::-1],
                y=fan[upper].tolist() + fan[lower].tolist()[::-1],
                fill="toself",
                fillcolor=colour,
                line={"width": 0},
                name=name,
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=weeks,
            y=fan["median"],
            mode="lines",
            name="median",
            line={"color": PALETTE[0], "width": 3},
            hovertemplate="week %{x}: median %{y:.0f} missiles<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": html.escape(title), "x": 0},
        xaxis={"title": "weeks after the as-of date"},
        yaxis={"title": "missiles on hand", "rangemode": "tozero"},
        height=380,
    )
    return fig


def depletion_figure(dist: pd.DataFrame, horizon_weeks: int) -> go.Figure:
    """Share of draws whose stock first runs out in each week; the last bar is 'not within'."""
    labels = [str(w) if w <= horizon_weeks else f">{horizon_weeks}" for w in dist["week"]]
    colours = [PALETTE[1] if not beyond else PALETTE[2] for beyond in dist["beyond"]]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=100 * dist["share"],
            marker={"color": colours},
            hovertemplate="week %{x}: %{y:.1f}% of draws<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_layout(
        title={"text": "Week in which the stock first runs out", "x": 0},
        xaxis={"title": "weeks after the as-of date", "type": "category"},
        yaxis={"title": "% of draws"},
        height=340,
        bargap=0.1,
    )
    return fig


def _ring_xy(lines: list[list[tuple[float, float]]]) -> tuple[list[Any], list[Any]]:
    lats: list[Any] = []
    lons: list[Any] = []
    for line in lines:
        lats += [round(p[0], 3) for p in line] + [None]
        lons += [round(p[1], 3) for p in line] + [None]
    return lats, lons


def _strike_note(row: pd.Series) -> str:
    """'claim by Russia: 6 fired, 5 intercepted'; what is not published is not shown."""
    who = row["claimed_by"]
    source = f"claim by {html.escape(str(who))}" if isinstance(who, str) and who else "report"
    counts = [
        f"{row[c]:.0f} {word}"
        for c, word in (("launched", "fired"), ("intercepted", "intercepted"))
        if pd.notna(row[c])
    ]
    return f"{source}: {', '.join(counts) or 'numbers not published'}"


def map_figure(
    reached: pd.DataFrame,
    parts: list[np.ndarray],
    rings_km: dict[str, float],
    standoff_km: float,
    in_range_column: str,
    launches: pd.DataFrame | None = None,
    grid_step_deg: float = 0.15,
) -> go.Figure:
    """Targets, the launch line and range bands (distance from launchers behind the line)."""
    fig = go.Figure()
    lats = np.arange(LAT_RANGE[0] - 1, LAT_RANGE[1] + 1, grid_step_deg)
    lons = np.arange(LON_RANGE[0] - 1, LON_RANGE[1] + 1, grid_step_deg)
    grid, held = geo.held_grid(lats, lons, parts)
    # Bands are drawn on Russian-held ground only.
    russian_side = ~held
    for (label, km), colour in zip(rings_km.items(), RING_COLOURS, strict=False):
        level = max(km - standoff_km, 1.0)
        ring_lat, ring_lon = _ring_xy(geo.contour(grid, lats, lons, level, russian_side))
        fig.add_trace(
            go.Scattergeo(
                lat=ring_lat,
                lon=ring_lon,
                mode="lines",
                line={"color": colour, "width": 2, "dash": "dash"},
                name=html.escape(f"{label}: {km:,.0f} km"),
                hoverinfo="skip",
            )
        )
    edge_lat, edge_lon = _ring_xy([[tuple(p) for p in part] for part in parts])
    fig.add_trace(
        go.Scattergeo(
            lat=edge_lat,
            lon=edge_lon,
            mode="lines",
            line={"color": "#c00000", "width": 2.5},
            name="edge of Ukrainian-held ground (DeepStateMap)",
            hoverinfo="skip",
        )
    )
    flags = (
        reached[in_range_column]
        if in_range_column in reached
        else pd.Series(False, index=reached.index)
    )
    for inside, colour, name in (
        (True, "#c00000", "target in range"),
        (False, "#7f7f7f", "target out of range"),
    ):
        part = reached[flags == inside]
        # Built row by row: string arithmetic on an empty column of the new string dtype fails.
        hover = [
            f"<b>{html.escape(str(n))}</b><br>{html.escape(str(g))}<br>"
            f"{d:,.0f} km from launch positions"
            for n, g, d in zip(
                part["name"], part["region"], part["launch_distance_km"], strict=True
            )
        ]
        fig.add_trace(
            go.Scattergeo(
                lat=part["lat"].round(3),
                lon=part["lon"].round(3),
                mode="markers",
                marker={"color": colour, "size": 8, "symbol": "triangle-up"},
                name=name,
                hovertext=hover,
                hoverinfo="text",
            )
        )
    located = launches.dropna(subset=["target_lat", "target_lon"]) if launches is not None else None
    if located is not None and not located.empty:
        hover = (
            located["date"].dt.strftime("%d %b %Y")
            + ": "
            + located["target"].map(html.escape)
            + "<br>"
            + located.apply(_strike_note, axis=1)
        )
        fig.add_trace(
            go.Scattergeo(
                lat=located["target_lat"],
                lon=located["target_lon"],
                mode="markers",
                marker={"color": "#000000", "size": 11, "symbol": "x"},
                name="reported ATACMS strike",
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(
        title={"text": "What is in range: airbases and range bands from launch positions", "x": 0},
        height=640,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.02},
        geo={
            "scope": "europe",
            "resolution": 50,
            "projection": {"type": "conic conformal"},
            "lataxis": {"range": list(LAT_RANGE)},
            "lonaxis": {"range": list(LON_RANGE)},
            "showcountries": True,
            "countrycolor": "#999999",
            "showland": True,
            "landcolor": "#f4f1ea",
            "showocean": True,
            "oceancolor": "#dbe8f3",
            "showlakes": False,
            "showrivers": False,
        },
    )
    return fig


# ---- the chapter's figures and tables, from its result -----------------------------------


def _note_figure(text: str, height: int = 200) -> go.Figure:
    """A blank chart carrying one sentence, where there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(
        text=html.escape(text), x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
    )
    fig.update_layout(height=height, xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def _no_missile(result: Any) -> str:
    return f"No ATACMS had been reported supplied by {result.as_of.isoformat()}: no stock to model"


def stock_fan(result: Any) -> go.Figure:
    """Missiles on hand per week, or a note when no missile was public at the as-of date."""
    if result.run is None:
        return _note_figure(_no_missile(result))
    # The stock pools every ATACMS variant: launches are rarely reported by variant.
    title = "ATACMS on hand (every variant)"
    return fan_figure(
        model.fan(result.run, result.params.interval_pct), result.params.interval_pct, title
    )


def depletion_chart(result: Any) -> go.Figure:
    """Week in which the stock first runs out, or a note when there is no stock to model."""
    if result.run is None:
        return _note_figure(_no_missile(result))
    return depletion_figure(model.depletion_distribution(result.run), result.run.horizon_weeks)


def _names(result: Any) -> dict[str, str]:
    return dict(zip(result.systems["system_id"], result.systems["system_name"], strict=True))


def reach_map(result: Any) -> go.Figure:
    """Airbases, the launch line, the range bands public at the as-of date and reported strikes."""
    names = _names(result)
    return map_figure(
        result.reached,
        result.edge["parts"],
        {names[s]: km for s, km in result.ranges.items()},
        result.standoff_km,
        result.in_range_column,
        result.launches,
    )


def estimates_table(result: Any) -> pd.DataFrame:
    """Every dated public ATACMS estimate available at the as-of date."""
    e = result.estimates

    def value(row: pd.Series) -> str:
        shown = dict.fromkeys(f"{v:,.0f}" for v in (row["value_low"], row["value_high"]) if v == v)
        return "–".join(shown) or "–"

    # Sources are listed in the appendix; the table names them where the data carry a title.
    source = [c for c in ("source_title", "source_ids") if c in e.columns][:1]
    return e.assign(
        reported=_dates(e["reported_date"]),
        value=e.apply(value, axis=1) if len(e) else pd.Series(dtype=str),
    )[["reported", "quantity", "value", "unit", "description", *source]]


def counts_table(result: Any) -> pd.DataFrame:
    """Targets within each range band, by type, from launch positions behind the line."""
    names = _names(result)
    columns = {s: f"{names[s]} ({km:,.0f} km)" for s, km in result.ranges.items()}
    return result.counts.rename(columns=columns | {"target_type": "type"})


def in_range_table(result: Any) -> pd.DataFrame:
    """Airbases within range of the modelled missile, nearest first."""
    inside = result.airbases_in_range
    return inside.assign(distance_km=inside["launch_distance_km"].round().astype(int))[
        ["name", "region", "distance_km"]
    ]


def _dates(values: pd.Series) -> pd.Series:
    """Dates as yyyy-mm-dd (an empty column of any type gives an empty column)."""
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d")


def _span(low: float | None, high: float | None) -> str:
    """'20–28', or '20' when both ends agree; '–' when unknown."""
    if low is None or high is None or low != low or high != high:
        return "–"
    a, b = f"{low:,.0f}", f"{high:,.0f}"
    return a if a == b else f"{a}–{b}"


def deliveries_table(result: Any) -> pd.DataFrame:
    """Delivery batches on the record at the as-of date: one row per batch, every report of it
    folded into its range."""
    b = result.record.batches
    more = result.params.more_than_pct
    return pd.DataFrame(
        {
            "batch": b["batch"],
            "variant": b["variant"].fillna("any"),
            "reported": _dates(b["refers_to"]),
            "missiles": [_span(lo, hi) for lo, hi in zip(b["low"], b["high"], strict=True)],
            "how read": [
                f"'more than {lo:,.0f}': up to {more:g}% more" if o else "as reported"
                for lo, o in zip(b["low"], b["open_high"], strict=True)
            ],
            "reports": b["reports"],
        }
    )


def launches_table(result: Any) -> pd.DataFrame:
    """Attacks on the record at the as-of date: one row per attack, its reports folded in."""
    a = result.record.attacks
    return pd.DataFrame(
        {
            "date": _dates(a["date"]),
            "target": a["target"],
            "region": a["region"],
            "variant": a["variant"].fillna("not reported"),
            "missiles": [_span(lo, hi) for lo, hi in zip(a["low"], a["high"], strict=True)],
            "count": np.where(a["counted"], "as reported", "not published: parameter range"),
            "reports": a["reports"],
        }
    )


def stock_checks_table(result: Any) -> pd.DataFrame:
    """Published estimates of the stock beside the stock the record gives for their date."""
    c = result.stock_checks
    return pd.DataFrame(
        {
            "describes": _dates(c["refers_to"]),
            "published": _dates(c["reported_date"]),
            "estimate": c["value"].map(lambda v: f"{v:,.0f}"),
            "record for that date": [
                _span(lo, hi) for lo, hi in zip(c["record_low"], c["record_high"], strict=True)
            ],
            "label": np.where(c["hindsight"], "hindsight (after the article)", "public then"),
            "as published": c["description"],
        }
    )


def interceptions_table(result: Any) -> pd.DataFrame:
    """Launched and intercepted over the whole record, per account (claims labelled)."""
    t = result.interceptions
    return t.assign(share=t["share"].map(lambda s: "–" if s is None else f"{100 * s:.0f}%"))


def _rate_label(rate: float) -> str:
    return f"{rate:g} a week"


def two_way_table(result: Any) -> pd.DataFrame:
    """Median date the stock runs out, by starting stock (rows) and firing rate (columns)."""
    g = result.grid
    if g.empty:
        return pd.DataFrame({"starting stock": []})
    end = model._week_date(result.as_of, result.run.horizon_weeks)
    shown = g.assign(
        when=[
            f"after {end}" if w != w else model._week_date(result.as_of, w)
            for w in g["median_week"]
        ],
        rate_label=g["rate"].map(_rate_label),
    )
    table = shown.pivot(index="stock", columns="rate_label", values="when")
    table = table[[_rate_label(r) for r in sorted(g["rate"].unique())]]
    table.index = [f"{s:,.0f} missiles" for s in table.index]
    table.columns.name = None
    return table.rename_axis("starting stock").reset_index()


def two_way_chart(result: Any) -> go.Figure:
    """Median week the stock runs out, by starting stock and firing rate together."""
    g = result.grid
    if g.empty:
        return _note_figure(_no_missile(result))
    horizon = result.run.horizon_weeks
    stocks, rates = sorted(g["stock"].unique()), sorted(g["rate"].unique())
    z = (
        g.assign(week=g["median_week"].fillna(horizon + 1))
        .pivot(index="stock", columns="rate", values="week")
        .loc[stocks, rates]
    )
    text = [[str(int(w)) if w <= horizon else f">{horizon}" for w in row] for row in z.values]
    fig = go.Figure(
        go.Heatmap(
            z=z.values,
            x=[_rate_label(r) for r in rates],
            y=[f"{s:,.0f}" for s in stocks],
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            reversescale=True,
            zmin=1,
            zmax=horizon + 1,
            colorbar={"title": "weeks"},
            hovertemplate="stock %{y}, %{x}: median week %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": "Median week the stock runs out, by starting stock and firing rate", "x": 0},
        xaxis={"title": "missiles fired per week", "type": "category"},
        yaxis={"title": "missiles on hand at the start", "type": "category"},
        height=380,
    )
    return fig


def areas_table(result: Any) -> pd.DataFrame:
    """Airbases within each range band, occupied Ukraine and Russia proper apart."""
    names = _names(result)
    columns = {
        model._short_name(names[s]): f"{model._short_name(names[s])} ({km:,.0f} km)"
        for s, km in result.ranges.items()
    }
    return result.areas.rename(columns=columns | {"mapped": "airbases mapped"})


def isw_table(result: Any) -> pd.DataFrame:
    """ISW's published counts beside ours where they measure the same thing."""
    rows = []
    refs = result.references
    kinds = ["airfields_in_range", "military_objects_in_range"]
    for _, ref in refs[refs["quantity"].isin(kinds)].iterrows():
        same = ref["quantity"] == "airfields_in_range"
        ours = result.isw_ours if same else None
        at_least = ref["value_high"] != ref["value_high"]
        rows.append(
            {
                "ISW figure": ref["description"],
                "date": ref["refers_to"].strftime("%Y-%m-%d"),
                "ISW": f"{'at least ' if at_least else ''}{ref['value_central']:,.0f}",
                "ours": "–" if ours is None else f"{ours:,.0f}",
                "comparison": "airbases in Russia within 300 km, from the line of that date"
                if same
                else "not compared: this table holds airbases only",
            }
        )
    return pd.DataFrame(rows, columns=["ISW figure", "date", "ISW", "ours", "comparison"])


def table_or_note(frame: pd.DataFrame, caption: str, note: str) -> None:
    """A table, or one sentence where it has no rows."""
    from deepstrike.figures import empty_note, table

    if frame.empty:
        empty_note(note)
    else:
        table(frame, caption)
