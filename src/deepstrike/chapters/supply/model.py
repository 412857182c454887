"""Missile supply: Ukraine's ATACMS stock reconstructed from the public record, a weekly
stock-flow Monte Carlo with an uncertain firing rate, and what the missiles reach."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from deepstrike import geo
from deepstrike.chapters.supply import record as rec
from deepstrike.chapters.supply.params import SupplyParams
from deepstrike.chapters.supply.reach import (
    AREAS,
    BORDER_REGIONS,
    FIRST_REGIONS,
    Permissions,
    by_area,
    count_at,
    counts_in_range,
    permissions,
    reach,
)
from deepstrike.chapters.supply.stockflow import (
    PRIOR_COVERAGE,
    StockRun,
    depletion_distribution,
    fan,
    grid_levels,
    logit_normal,
    median_depletion_week,
    quantiles,
    simulate,
    summary,
    swing,
    two_way,
)
from deepstrike.language import Quantity

__all__ = [
    "PRIOR_COVERAGE",
    "StockRun",
    "analyse",
    "counts_in_range",
    "depletion_distribution",
    "fan",
    "key_numbers",
    "logit_normal",
    "quantiles",
    "reach",
    "simulate",
    "summary",
]

ATACMS_PREFIX = "atacms"
M39_ID, LR_ID, GMLRS_ID = "atacms_m39", "atacms_lr", "gmlrs"
# The source article: "The longer-range ATACMS reaches 100 km (62 miles)" (claim c09).
ARTICLE_RANGE_KM = 100.0
# The source article's date: estimates published after it are hindsight, and labelled so.
ARTICLE_DATE = pd.Timestamp("2024-11-18")
# reach_reference quantity aircraft_beyond_300km_pct: the distance in its definition.
RELOCATION_KM = 300.0
CONFIDENCE = "low"  # deliveries and launches are press reports and Russian claims
RECORD_STREAM = 1  # the record's draws use their own random stream (common random numbers)
OTHER = {"record": "stated", "stated": "record"}
OTHER_POLICY = {"salvo": "rationing", "rationing": "salvo"}


# ---- which missile -----------------------------------------------------------------------


def choose_missile(systems: pd.DataFrame, variant: str) -> tuple[pd.Series | None, bool]:
    """The missile modelled, from the systems public at the as-of date, and whether it replaces
    the requested one. A variant not yet reported is never modelled with its later
    specification: the longest-range ATACMS public then stands in, or none (None)."""
    public = systems.set_index("system_id")
    if variant in public.index:
        return public.loc[variant], False
    atacms = public[public.index.str.startswith(ATACMS_PREFIX)]
    if atacms.empty:
        return None, False
    return atacms.sort_values("range_km_central", kind="stable").iloc[-1], True


def unit_cost(missile: pd.Series) -> tuple[float, float, float]:
    """The missile's (low, central, high) unit cost from its row of strike_systems."""
    return (
        float(missile["unit_cost_usd_low"]),
        float(missile["unit_cost_usd_central"]),
        float(missile["unit_cost_usd_high"]),
    )


# ---- the inputs: stock and firing rate ---------------------------------------------------


@dataclass
class Inputs:
    """Per-draw starting stock and firing rate, and where each came from."""

    stock_source: str  # record | stated
    firing_source: str  # record | stated
    initial: np.ndarray | None  # None: simulate() draws the stated prior
    rate: np.ndarray | None
    record_rate: np.ndarray | None  # the record prior's draws, whichever prior is used
    record_low: np.ndarray | None  # per draw: the record's long-run mean rate
    record_high: np.ndarray | None  # per draw: the record's peak rate
    stock_fallback: bool = False  # record asked for, but no delivery with a number was public
    firing_fallback: bool = False  # record asked for, but no launch was public


def inputs(p: SupplyParams, record: rec.Record, draws: rec.Draws | None, seed: int) -> Inputs:
    stock_fallback = p.stock_prior == "record" and record.batches.empty
    firing_fallback = p.firing_prior == "record" and record.attacks.empty
    initial = None
    if p.stock_prior == "record" and not stock_fallback:
        initial = np.maximum(draws.stock_at(record, record.as_of), 0)
    record_rate = low = high = None
    if not record.attacks.empty:
        low, high = rec.rate_bounds(record, draws, p.peak_window_weeks)
        u = np.random.default_rng([seed, RECORD_STREAM, 2]).random(len(low))
        record_rate = rec.log_uniform(u, low, high)
    use_record = p.firing_prior == "record" and not firing_fallback
    return Inputs(
        stock_source="stated" if initial is None else "record",
        firing_source="record" if use_record else "stated",
        initial=initial,
        rate=record_rate if use_record else None,
        record_rate=record_rate,
        record_low=low,
        record_high=high,
        stock_fallback=stock_fallback,
        firing_fallback=firing_fallback,
    )


# ---- the chapter -------------------------------------------------------------------------


@dataclass
class SupplyResult:
    params: SupplyParams
    as_of: date
    systems: pd.DataFrame  # strike systems public at the as-of date
    missile: pd.Series | None  # the missile modelled (index: system_id as .name)
    substituted: bool  # the requested variant was not public; another ATACMS stands in
    record: rec.Record
    record_draws: rec.Draws | None
    inputs: Inputs | None
    run: StockRun | None
    stats: dict[str, Any] | None
    variants: dict[str, dict[str, Any]]  # alternative runs: firing prior, rate ends, policy
    grid: pd.DataFrame
    swings: dict[str, float]
    estimates: pd.DataFrame
    stock_checks: pd.DataFrame  # each published stock estimate beside the record of its date
    launches: pd.DataFrame
    interceptions: pd.DataFrame
    references: pd.DataFrame
    front: pd.DataFrame
    edge: dict  # the edge of held ground in force on the as-of date (geo.held_edge)
    standoff_km: float  # of the modelled missile's launcher
    ranges: dict[str, float]  # system id -> central range, for the range bands
    reached: pd.DataFrame
    counts: pd.DataFrame
    areas: pd.DataFrame
    permits: Permissions
    isw_ours: int | None  # our count of airbases in Russia in range on the date of ISW's map
    tables: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)

    @property
    def in_range_column(self) -> str:
        """The flag column the map colours by: the modelled missile, else the longest band."""
        if self.missile is not None:
            return f"in_{self.missile.name}"
        return f"in_{max(self.ranges, key=self.ranges.get)}" if self.ranges else ""

    @property
    def airbases(self) -> pd.DataFrame:
        return self.reached[self.reached["target_type"] == "airbase"]

    @property
    def airbases_in_range(self) -> pd.DataFrame:
        """Airbases within range of the modelled missile, nearest first (none without one)."""
        bases = self.airbases
        if self.missile is None:
            return bases.iloc[0:0]
        inside = bases[bases[f"in_{self.missile.name}"]]
        return inside.sort_values("launch_distance_km", kind="stable")

    def used_rows(self) -> dict[str, pd.DataFrame]:
        """The rows of each table that the chapter's numbers draw on."""
        t = self.tables
        systems = t["strike_systems"]
        ids = set(self.ranges) | ({str(self.missile.name)} if self.missile is not None else set())
        ids |= set(systems["system_id"][systems["system_id"].str.startswith(ATACMS_PREFIX)])
        front = t["front_line"]
        lines = {self.edge["valid_from"]}
        isw = self.references[self.references["quantity"] == "airfields_in_range"]
        for when in isw["refers_to"]:
            with contextlib.suppress(ValueError):
                lines.add(geo.held_edge(front, when)["valid_from"])
        events = t["pattern_events"]
        permit_ids = {r["event_id"] for r in self.permits.rows}
        return {
            "strike_systems": systems[systems["system_id"].isin(ids)],
            "atacms_supply": t["atacms_supply"],
            "atacms_launches": t["atacms_launches"],
            "targets": t["targets"],
            "reach_reference": t["reach_reference"],
            "front_line": front[front["valid_from"].isin(lines)],
            "pattern_events": events[events["event_id"].isin(permit_ids)],
        }


def interception_table(launches: pd.DataFrame) -> pd.DataFrame:
    """Launched and intercepted over the whole record, per account: each party's claims, and
    reports by others (US officials, the press), with both numbers published."""
    both = launches.dropna(subset=["launched", "intercepted"])
    account = both["claimed_by"].map(lambda c: f"{c} (claim)" if isinstance(c, str) else None)
    both = both.assign(account=account.fillna("US officials and press (report)"))
    rows = []
    for name, part in both.groupby("account", sort=True):
        launched, intercepted = int(part["launched"].sum()), int(part["intercepted"].sum())
        rows.append(
            {
                "account": name,
                "attacks": int(part["attack_id"].nunique()),
                "launched": launched,
                "intercepted": intercepted,
                "share": intercepted / launched if launched else None,
            }
        )
    return pd.DataFrame(rows, columns=["account", "attacks", "launched", "intercepted", "share"])


def stock_checks(
    estimates: pd.DataFrame, record: rec.Record, draws: rec.Draws | None, interval_pct: float
) -> pd.DataFrame:
    """Each published estimate of the stock, beside what the record gives for its date."""
    stock = estimates[estimates["quantity"] == "stock"].sort_values("refers_to", kind="stable")
    rows = []
    for _, e in stock.iterrows():
        low = high = None
        if draws is not None and not record.batches.empty:
            values = np.maximum(draws.stock_at(record, e["refers_to"]), 0)
            low, _, high = quantiles(values, interval_pct)
        rows.append(
            {
                "estimate_id": e["estimate_id"],
                "refers_to": e["refers_to"],
                "reported_date": e["reported_date"],
                "value": float(e["value_central"]),
                "record_low": low,
                "record_high": high,
                "within": None if low is None else bool(low <= e["value_central"] <= high),
                "hindsight": bool(e["reported_date"] > ARTICLE_DATE),
                "description": e["description"],
            }
        )
    columns = [
        "estimate_id",
        "refers_to",
        "reported_date",
        "value",
        "record_low",
        "record_high",
        "within",
        "hindsight",
        "description",
    ]
    return pd.DataFrame(rows, columns=columns)


def _variant_runs(
    p: SupplyParams, cost: tuple[float, float, float], seed: int, x: Inputs
) -> dict[str, dict[str, Any]]:
    """The same draws with the firing-rate prior changed, the rate at each end of the record
    prior, and the other firing policy."""
    out: dict[str, dict[str, Any]] = {}

    def run(name: str, rate: np.ndarray | None, **update: Any) -> None:
        r = simulate(p.model_copy(update=update), cost, seed, x.initial, rate)
        out[name] = {"p_runs_out": r.p_runs_out, "median_week": median_depletion_week(r)}

    other = OTHER[x.firing_source]
    if other == "stated":
        run("other_prior", None)
    elif x.record_rate is not None:
        run("other_prior", x.record_rate)
    if x.record_low is not None:
        run("rate_low", x.record_low)
        run("rate_high", x.record_high)
    run("other_policy", x.rate, firing_policy=OTHER_POLICY[p.firing_policy])
    return out


def analyse(
    params: SupplyParams, tables: dict[str, pd.DataFrame], as_of: date | str, seed: int
) -> SupplyResult:
    """Stock reconstructed from the record, its run-down at an uncertain firing rate, and the
    targets the missile public at the as-of date can reach."""
    p = params
    as_of = pd.Timestamp(as_of).date()
    systems = tables["strike_systems"]
    missile, substituted = choose_missile(systems, p.variant)
    record = rec.build(tables, as_of, p)
    draws = None
    if not (record.batches.empty and record.attacks.empty):
        draws = rec.draw(record, int(p.draws), np.random.default_rng([seed, RECORD_STREAM]))
    x = run = stats = None
    variants: dict[str, dict[str, Any]] = {}
    grid = pd.DataFrame(columns=["stock", "rate", "median_week", "p_runs_out"])
    swings: dict[str, float] = {}
    if missile is not None:
        cost = unit_cost(missile)
        x = inputs(p, record, draws, seed)
        run = simulate(p, cost, seed, x.initial, x.rate)
        stats = summary(run, p.interval_pct)
        variants = _variant_runs(p, cost, seed, x)
        swings = {"rate": swing(run, run.rate), "stock": swing(run, run.initial)}
        stocks = grid_levels(run.initial, whole=True)
        rates = grid_levels(run.rate, whole=False)
        grid = two_way(p, cost, seed, stocks, rates)

    front = tables["front_line"]
    edge = geo.held_edge(front, as_of)
    # HIMARS/M270 fire GMLRS and ATACMS alike: one launcher type, one standoff.
    standoff = p.launch.standoff_km("ground_rocket")
    # Range bands: the modelled missile, plus the shorter systems Ukraine had, if public then.
    public = systems.set_index("system_id")
    bands = [GMLRS_ID, M39_ID] + ([str(missile.name)] if missile is not None else [])
    ids = [s for s in dict.fromkeys(bands) if s in public.index]
    ranges = {s: float(public.loc[s, "range_km_central"]) for s in ids}
    reached = reach(tables["targets"], edge["parts"], standoff, ranges)
    names = {s: _short_name(str(public.loc[s, "system_name"])) for s in ids}
    airbases = reached[reached["target_type"] == "airbase"]

    # ISW's count of airfields in Russia within ATACMS range, beside ours from the line of the
    # same date (the long-range ATACMS only: ISW measured 300 km).
    isw = _latest(tables["reach_reference"], "airfields_in_range", "refers_to")
    isw_ours = None
    if isw is not None and LR_ID in ranges:
        isw_ours = count_at(airbases, front, isw["refers_to"], standoff, ranges[LR_ID], AREAS[1])
    launches = tables["atacms_launches"]
    return SupplyResult(
        params=p,
        as_of=as_of,
        systems=systems,
        missile=missile,
        substituted=substituted,
        record=record,
        record_draws=draws,
        inputs=x,
        run=run,
        stats=stats,
        variants=variants,
        grid=grid,
        swings=swings,
        estimates=tables["atacms_supply"],
        stock_checks=stock_checks(tables["atacms_supply"], record, draws, p.interval_pct),
        launches=launches,
        interceptions=interception_table(launches),
        references=tables["reach_reference"],
        front=front,
        edge=edge,
        standoff_km=standoff,
        ranges=ranges,
        reached=reached,
        counts=counts_in_range(reached, ranges),
        areas=by_area(airbases, ranges, names),
        permits=permissions(tables["pattern_events"]),
        isw_ours=isw_ours,
        tables=tables,
    )


def _digits(value: float | None) -> int:
    """Whole numbers without decimals, others with one."""
    return 0 if value is None or float(value).is_integer() else 1


def _short_name(name: str) -> str:
    """'ATACMS M39 (Block I, cluster)' -> 'ATACMS M39'."""
    return name.split(" (")[0]


def _latest(frame: pd.DataFrame, quantity: str, by: str) -> pd.Series | None:
    part = frame[frame["quantity"] == quantity]
    return None if part.empty else part.sort_values(by, kind="stable").iloc[-1]


def _day(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _week_date(as_of: date, week: float | None) -> str | None:
    """The date a week after the as-of date ends (week 1 ends 7 days later)."""
    if week is None:
        return None
    return (pd.Timestamp(as_of) + pd.Timedelta(days=7 * float(week))).date().isoformat()


def key_numbers(r: SupplyResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    q: dict[str, Quantity] = {}
    _general(r, q)
    _record_numbers(r, q)
    _run_numbers(r, q)
    _estimate_numbers(r, q)
    _interception_numbers(r, q)
    _reach_numbers(r, q)
    return q


def _general(r: SupplyResult, q: dict[str, Quantity]) -> None:
    p, m = r.params, r.missile
    public = r.systems.set_index("system_id")

    def range_of(system: str) -> float | None:
        return float(public.loc[system, "range_km_central"]) if system in public.index else None

    q["as_of"] = Quantity(r.as_of.isoformat(), "", "as-of date", "date")
    q["confidence"] = Quantity(CONFIDENCE, "", "confidence in the supply judgments", "text")
    q["missile_public"] = Quantity(
        m is not None, "", "an ATACMS (or the requested missile) was public", "flag"
    )
    q["missile_name"] = Quantity(
        None if m is None else str(m["system_name"]), "", "missile modelled", "text"
    )
    q["missile_short"] = Quantity(
        None if m is None else _short_name(str(m["system_name"])), "", "missile modelled", "text"
    )
    q["requested_variant"] = Quantity(p.variant, "", "missile requested (system id)", "text")
    q["variant_substituted"] = Quantity(
        r.substituted, "", "the requested missile was not yet public; another stands in", "flag"
    )
    q["variant_range_km"] = Quantity(
        None if m is None else float(m["range_km_central"]), "km", "range of the missile", "km"
    )
    q["horizon_weeks"] = Quantity(p.horizon_weeks, "weeks", "weeks simulated", "weeks")
    q["horizon_end"] = Quantity(
        _week_date(r.as_of, p.horizon_weeks), "", "last day of the horizon", "date"
    )
    q["interval_pct"] = Quantity(p.interval_pct, "%", "width of the intervals shown", "number")
    q["standoff_km"] = Quantity(
        r.standoff_km, "km", "launchers behind the line", "km", _digits(r.standoff_km)
    )
    q["deliveries_per_month_low"] = Quantity(
        p.deliveries_per_month_low,
        "missiles/month",
        "deliveries after the as-of date, lowest rate",
        "number",
        _digits(p.deliveries_per_month_low),
    )
    q["deliveries_per_month_high"] = Quantity(
        p.deliveries_per_month_high,
        "missiles/month",
        "deliveries after the as-of date, highest rate",
        "number",
        _digits(p.deliveries_per_month_high),
    )
    q["package_size"] = Quantity(p.package_size, "missiles", "missiles per delivery", "count")
    q["interception_low"] = Quantity(
        p.interception_low, "", "interception prior, low", "probability"
    )
    q["interception_high"] = Quantity(
        p.interception_high, "", "interception prior, high", "probability"
    )
    q["prior_coverage"] = Quantity(
        PRIOR_COVERAGE, "", "share of a prior between its low and high parameters", "share"
    )
    # The article's range, against the ranges public at the as-of date.
    m39, lr = range_of(M39_ID), range_of(LR_ID)
    atacms = public[public.index.str.startswith(ATACMS_PREFIX)]
    shortest = float(atacms["range_km_central"].min()) if len(atacms) else None
    q["article_range_km"] = Quantity(ARTICLE_RANGE_KM, "km", "ATACMS range in the article", "km")
    q["m39_range_km"] = Quantity(m39, "km", "range of the ATACMS M39", "km")
    q["lr_range_km"] = Quantity(lr, "km", "range of the long-range ATACMS", "km")
    q["lr_reported"] = Quantity(
        None if lr is None else public.loc[LR_ID, "as_of_date"].date().isoformat(),
        "",
        "long-range ATACMS first reported",
        "date",
    )
    q["article_range_too_short"] = Quantity(
        None if shortest is None else bool(shortest > ARTICLE_RANGE_KM),
        "",
        "every ATACMS public then reaches beyond the article's range",
        "flag",
    )


def _record_numbers(r: SupplyResult, q: dict[str, Quantity]) -> None:
    """Deliveries and launches on the public record, and the stock they leave."""
    p, b, a, d = r.params, r.record.batches, r.record.attacks, r.record_draws

    def span(values: np.ndarray | None) -> tuple[float | None, float | None]:
        if values is None:
            return None, None
        lo, _, hi = quantiles(values, p.interval_pct)
        return lo, hi

    q["n_batches"] = Quantity(len(b), "batches", "deliveries reported with a number", "count")
    q["n_attacks"] = Quantity(len(a), "attacks", "attacks reported", "count")
    q["n_launch_reports"] = Quantity(
        len(r.launches), "reports", "reports of attacks (several per attack)", "count"
    )
    uncounted = int((~a["counted"]).sum()) if len(a) else 0
    q["n_attacks_uncounted"] = Quantity(
        uncounted, "attacks", "attacks with no published count", "count"
    )
    q["uncounted_attack_low"] = Quantity(
        p.uncounted_attack_low, "missiles", "missiles per uncounted attack, low", "count"
    )
    q["uncounted_attack_high"] = Quantity(
        p.uncounted_attack_high, "missiles", "missiles per uncounted attack, high", "count"
    )
    q["more_than_pct"] = Quantity(
        p.more_than_pct / 100, "", "'more than N' read as up to N times one plus this", "share"
    )
    q["any_open_batch"] = Quantity(
        bool(b["open_high"].any()) if len(b) else False,
        "",
        "a delivery was reported only as 'more than N'",
        "flag",
    )
    for variant, key in ((M39_ID, "m39"), (LR_ID, "lr")):
        part = b[b["variant"] == variant]
        q[f"delivered_{key}_low"] = Quantity(
            float(part["low"].sum()) if len(part) else None,
            "missiles",
            f"{variant} reported delivered, low",
            "count",
        )
        q[f"delivered_{key}_high"] = Quantity(
            float(part["high"].sum()) if len(part) else None,
            "missiles",
            f"{variant} reported delivered, high",
            "count",
        )
    delivered = d.delivered.sum(axis=1) if d is not None and len(b) else None
    launched = d.launched.sum(axis=1) if d is not None and len(a) else None
    for name, values, label in (
        ("delivered_record", delivered, "missiles reported delivered by the as-of date"),
        ("launched_record", launched, "missiles reported launched by the as-of date"),
    ):
        lo, hi = span(values)
        q[f"{name}_low"] = Quantity(lo, "missiles", f"{label}, low", "count")
        q[f"{name}_high"] = Quantity(hi, "missiles", f"{label}, high", "count")
    q["first_use"] = Quantity(_day(r.record.first_use), "", "first reported ATACMS launch", "date")
    weeks = r.record.weeks_of_use
    q["weeks_of_use"] = Quantity(weeks, "weeks", "weeks since the first launch", "weeks")
    x = r.inputs
    for name, values, label in (
        ("record_rate_mean", None if x is None else x.record_low, "long-run mean weekly rate"),
        ("record_rate_peak", None if x is None else x.record_high, "peak weekly rate"),
    ):
        mid = None if values is None else float(np.median(values))
        q[name] = Quantity(mid, "missiles/week", f"{label} of the record, median draw", "number", 1)
    q["peak_window_weeks"] = Quantity(
        p.peak_window_weeks, "weeks", "window of the peak rate", "weeks"
    )


def _run_numbers(r: SupplyResult, q: dict[str, Quantity]) -> None:
    p, s, x = r.params, r.stats or {}, r.inputs

    def stat(name: str) -> float | None:
        return s.get(name)

    q["stock_prior"] = Quantity(p.stock_prior, "", "starting-stock prior asked for", "text")
    q["firing_prior"] = Quantity(p.firing_prior, "", "firing-rate prior asked for", "text")
    q["stock_from_record"] = Quantity(
        None if x is None else x.stock_source == "record",
        "",
        "the starting stock comes from the record",
        "flag",
    )
    q["firing_from_record"] = Quantity(
        None if x is None else x.firing_source == "record",
        "",
        "the firing rate comes from the record",
        "flag",
    )
    q["stock_fallback"] = Quantity(
        None if x is None else x.stock_fallback,
        "",
        "no delivery with a number was public: the stated stock prior stands in",
        "flag",
    )
    q["firing_fallback"] = Quantity(
        None if x is None else x.firing_fallback,
        "",
        "no launch was public: the stated firing prior stands in",
        "flag",
    )
    q["stated_stock_low"] = Quantity(p.initial_stock_low, "missiles", "stated stock, low", "count")
    q["stated_stock_high"] = Quantity(
        p.initial_stock_high, "missiles", "stated stock, high", "count"
    )
    for end in ("low", "high"):
        v = getattr(p, f"firing_per_week_{end}")
        q[f"stated_rate_{end}"] = Quantity(
            v, "missiles/week", f"stated firing rate, {end}", "number", _digits(v)
        )
    q["stated_rate_fixed"] = Quantity(
        p.firing_per_week_low == p.firing_per_week_high,
        "",
        "the stated firing prior is one value",
        "flag",
    )
    q["firing_policy"] = Quantity(p.firing_policy, "", "firing policy", "text")
    q["other_policy"] = Quantity(OTHER_POLICY[p.firing_policy], "", "the other policy", "text")
    q["salvo_size"] = Quantity(p.salvo_size, "missiles", "missiles per salvo", "count")
    q["ration_weeks"] = Quantity(
        p.ration_weeks, "weeks", "rationing divisor", "weeks", _digits(p.ration_weeks)
    )
    for name, unit, label, kind, digits in (
        ("initial", "missiles", "starting stock", "count", 0),
        ("rate", "missiles/week", "firing rate", "number", 1),
        ("fired", "missiles", "missiles fired", "count", 0),
        ("delivered", "missiles", "missiles delivered", "count", 0),
        ("hits", "hits", "effective hits", "count", 0),
        ("cost_usd", "USD", "cost of the missiles fired", "usd", 0),
        ("cost_per_hit_usd", "USD", "missile cost per effective hit", "usd", 0),
        ("p_effective", "", "probability a missile fired is an effective hit", "probability", 0),
    ):
        for part in ("low", "median", "high"):
            q[f"{name}_{part}"] = Quantity(
                stat(f"{name}_{part}"), unit, f"{label}, {part}", kind, digits
            )
    p_last = stat("p_lasts_past_horizon")
    q["p_lasts_past_horizon"] = Quantity(p_last, "", "stock lasts past the horizon", "probability")
    p_out = None if p_last is None else 1 - p_last
    q["p_runs_out"] = Quantity(p_out, "", "stock runs out within the horizon", "probability")
    q["runs_out"] = Quantity(
        None if r.missile is None else stat("depletion_week_median") is not None,
        "",
        "the stock runs out within the horizon in most draws",
        "flag",
    )
    for part in ("median", "low", "high"):
        q[f"depletion_week_{part}"] = Quantity(
            stat(f"depletion_week_{part}"), "weeks", f"week the stock runs out, {part}", "weeks"
        )
        q[f"depletion_date_{part}"] = Quantity(
            _week_date(r.as_of, stat(f"depletion_week_{part}")),
            "",
            f"date the stock runs out, {part}",
            "date",
        )

    # How much the answer moves: the other firing prior, the ends of the record prior, the
    # other policy; and which input the judgment rests on.
    v = r.variants

    def alt(name: str, key: str = "p_runs_out") -> float | None:
        return v.get(name, {}).get(key)

    other_p = alt("other_prior")
    q["other_prior"] = Quantity(
        None if x is None else OTHER[x.firing_source], "", "the other firing prior", "text"
    )
    q["other_prior_run"] = Quantity(
        other_p is not None, "", "the other firing prior could be run", "flag"
    )
    q["p_runs_out_other_prior"] = Quantity(
        other_p, "", "stock runs out within the horizon, other firing prior", "probability"
    )
    q["prior_shift_points"] = Quantity(
        None if other_p is None or p_out is None else round(100 * (other_p - p_out)),
        "percentage points",
        "change in the chance of running out when the firing prior changes",
        "number",
    )
    q["prior_shift_size"] = Quantity(
        None if other_p is None or p_out is None else round(abs(100 * (other_p - p_out))),
        "percentage points",
        "size of that change",
        "number",
    )
    q["prior_raises_chance"] = Quantity(
        None if other_p is None or p_out is None else bool(other_p > p_out),
        "",
        "the other firing prior makes running out more likely",
        "flag",
    )
    q["depletion_week_other_prior"] = Quantity(
        alt("other_prior", "median_week"), "weeks", "median week, other firing prior", "weeks"
    )
    for end in ("rate_low", "rate_high", "other_policy"):
        q[f"p_runs_out_{end}"] = Quantity(
            alt(end), "", f"stock runs out within the horizon, {end}", "probability"
        )
    q["swing_rate"] = Quantity(
        r.swings.get("rate"), "", "swing of the chance with the firing rate", "share"
    )
    q["swing_stock"] = Quantity(
        r.swings.get("stock"), "", "swing of the chance with the starting stock", "share"
    )
    rests = None
    if r.swings:
        rests = abs(r.swings["rate"]) >= abs(r.swings["stock"])
    q["rests_on_rate"] = Quantity(
        rests, "", "the judgment rests on the firing rate more than on the stock", "flag"
    )
    q["swing_rate_points"] = Quantity(
        None if not r.swings else round(abs(100 * r.swings["rate"])),
        "percentage points",
        "swing with the firing rate",
        "number",
    )
    q["swing_stock_points"] = Quantity(
        None if not r.swings else round(abs(100 * r.swings["stock"])),
        "percentage points",
        "swing with the starting stock",
        "number",
    )


def _estimate_numbers(r: SupplyResult, q: dict[str, Quantity]) -> None:
    """Published estimates of the stock and of the total delivered, beside the record."""
    e = r.estimates
    q["n_estimates"] = Quantity(len(e), "estimates", "published estimates", "count")
    checks = r.stock_checks
    q["n_stock_estimates"] = Quantity(
        len(checks), "estimates", "published estimates of the stock", "count"
    )
    q["n_hindsight_estimates"] = Quantity(
        int(checks["hindsight"].sum()) if len(checks) else 0,
        "estimates",
        "stock estimates published after the source article",
        "count",
    )
    last = None if checks.empty else checks.iloc[-1]
    q["latest_stock_estimate"] = Quantity(
        None if last is None else float(last["value"]),
        "missiles",
        "latest published stock estimate",
        "count",
    )
    q["latest_stock_estimate_date"] = Quantity(
        None if last is None else _day(last["refers_to"]), "", "date it describes", "date"
    )
    q["latest_stock_estimate_text"] = Quantity(
        None if last is None else str(last["description"]),
        "",
        "the latest stock estimate, as published",
        "text",
    )
    q["latest_stock_estimate_hindsight"] = Quantity(
        None if last is None else bool(last["hindsight"]),  # numpy bools are not JSON
        "",
        "the latest stock estimate was published after the source article",
        "flag",
    )
    q["record_at_estimate_low"] = Quantity(
        None if last is None or last["record_low"] is None else float(last["record_low"]),
        "missiles",
        "stock the record gives for that date, low",
        "count",
    )
    q["record_at_estimate_high"] = Quantity(
        None if last is None or last["record_high"] is None else float(last["record_high"]),
        "missiles",
        "stock the record gives for that date, high",
        "count",
    )
    q["record_holds_latest_estimate"] = Quantity(
        None if last is None or last["within"] is None else bool(last["within"]),
        "",
        "the record's range for that date holds the estimate",
        "flag",
    )
    start = (q["initial_low"].value, q["initial_high"].value)
    q["stock_prior_covers_latest_estimate"] = Quantity(
        None if last is None or start[0] is None else bool(start[0] <= last["value"] <= start[1]),
        "",
        "the model's starting range holds the latest published estimate",
        "flag",
    )
    total = _latest(e, "delivered_total", "reported_date")
    q["delivered_total_estimate"] = Quantity(
        None if total is None else float(total["value_high"]),
        "missiles",
        "latest published total delivered (upper figure)",
        "count",
    )
    q["delivered_total_date"] = Quantity(
        None if total is None else _day(total["reported_date"]), "", "its date", "date"
    )
    low = q["delivered_record_low"].value
    q["delivered_total_conflicts"] = Quantity(
        None if total is None or low is None else bool(float(total["value_high"]) < low),
        "",
        "the published total is below what the reported batches add up to",
        "flag",
    )


def _interception_numbers(r: SupplyResult, q: dict[str, Quantity]) -> None:
    p, t = r.params, r.interceptions.set_index("account")

    def row(account: str) -> pd.Series | None:
        return t.loc[account] if account in t.index else None

    russia = row("Russia (claim)")
    q["n_claimed_attacks"] = Quantity(
        0 if russia is None else int(russia["attacks"]),
        "attacks",
        "attacks Russia reported",
        "count",
    )
    q["claimed_launched"] = Quantity(
        0 if russia is None else int(russia["launched"]),
        "missiles",
        "ATACMS Russia reported",
        "count",
    )
    q["claimed_intercepted"] = Quantity(
        0 if russia is None else int(russia["intercepted"]),
        "missiles",
        "ATACMS Russia claims intercepted",
        "count",
    )
    share = None if russia is None else russia["share"]
    q["claimed_interception_share"] = Quantity(
        share, "", "share Russia claims intercepted", "share"
    )
    q["interception_prior_below_claims"] = Quantity(
        None if share is None else bool(p.interception_high <= share),
        "",
        "the interception prior stays at or below Russia's claimed share",
        "flag",
    )
    other = row("US officials and press (report)")
    q["reported_launched"] = Quantity(
        None if other is None else int(other["launched"]),
        "missiles",
        "ATACMS in reports by US officials and the press",
        "count",
    )
    q["reported_intercepted"] = Quantity(
        None if other is None else int(other["intercepted"]),
        "missiles",
        "of them reported intercepted",
        "count",
    )
    rshare = None if other is None else other["share"]
    q["reported_interception_share"] = Quantity(
        rshare, "", "share reported intercepted by US officials and the press", "share"
    )
    q["reported_share_within_prior"] = Quantity(
        None if rshare is None else bool(p.interception_low <= rshare <= p.interception_high),
        "",
        "the reported share lies within the interception prior",
        "flag",
    )
    a = r.record.attacks
    with_figure = set(r.launches.dropna(subset=["intercepted"])["attack_id"])
    q["n_attacks_no_interception_figure"] = Quantity(
        int((~a["attack_id"].isin(with_figure)).sum()) if len(a) else 0,
        "attacks",
        "attacks with no interception figure",
        "count",
    )
    # ISW's whole count is the largest of its counts (the others count subsets).
    isw = r.references[r.references["quantity"] == "military_objects_in_range"]
    top = None if isw.empty else isw.sort_values("value_central", kind="stable").iloc[-1]
    isw_objects = None if top is None else float(top["value_central"])
    hits_high = q["hits_high"].value
    both = isw_objects is not None and hits_high is not None
    q["isw_objects"] = Quantity(
        isw_objects, "objects", "Russian military objects ISW counted in range", "count"
    )
    q["isw_objects_date"] = Quantity(
        None if top is None else _day(top["refers_to"]), "", "its date", "date"
    )
    q["hits_high_share_of_isw"] = Quantity(
        hits_high / isw_objects if both else None,
        "",
        "high case of hits as a share of ISW's count",
        "share",
    )
    q["limited_supply"] = Quantity(
        bool(hits_high < isw_objects) if both else None,
        "",
        "even the high case of hits is below ISW's count of objects in range",
        "flag",
    )


def _reach_numbers(r: SupplyResult, q: dict[str, Quantity]) -> None:
    m = r.missile
    public = r.systems.set_index("system_id")
    airbases = r.airbases
    in_range = r.airbases_in_range
    m39 = q["m39_range_km"].value
    m39_compared = m is not None and m39 is not None and m.name != M39_ID
    q["airbases_total"] = Quantity(len(airbases), "airbases", "airbases mapped", "count")
    q["airbases_in_range"] = Quantity(
        None if m is None else len(in_range), "airbases", "airbases within range", "count"
    )
    q["airbases_in_range_names"] = Quantity(
        in_range["name"].tolist(), "", "airbases within range", "names"
    )
    q["m39_compared"] = Quantity(m39_compared, "", "the M39 is shown beside the missile", "flag")
    q["airbases_in_range_m39"] = Quantity(
        int(airbases[f"in_{M39_ID}"].sum()) if m39 is not None else None,
        "airbases",
        "airbases within range of the M39",
        "count",
    )
    longest = max(r.ranges, key=r.ranges.get) if r.ranges else None
    column = r.in_range_column
    q["longest_band_name"] = Quantity(
        None if longest is None else _short_name(str(public.loc[longest, "system_name"])),
        "",
        "longest-range system public at the as-of date",
        "text",
    )
    q["longest_band_km"] = Quantity(
        None if longest is None else r.ranges[longest], "km", "its range", "km"
    )
    q["airbases_in_longest_band"] = Quantity(
        int(airbases[column].sum()) if column else None,
        "airbases",
        "airbases within the longest range band",
        "count",
    )
    q["line_date"] = Quantity(
        r.edge["valid_from"].date().isoformat(), "", "date of the line used", "date"
    )

    # Where they are: occupied Ukraine or Russia proper, and what the permission added.
    occupied = airbases["area"] == AREAS[0]
    inside = airbases[column] if m is not None else pd.Series(False, index=airbases.index)
    q["airbases_occupied_total"] = Quantity(
        int(occupied.sum()), "airbases", "airbases mapped in occupied Ukraine", "count"
    )
    q["airbases_russia_total"] = Quantity(
        int((~occupied).sum()), "airbases", "airbases mapped in Russia proper", "count"
    )
    none = m is None
    q["airbases_in_range_occupied"] = Quantity(
        None if none else int((inside & occupied).sum()),
        "airbases",
        "airbases in range in occupied Ukraine",
        "count",
    )
    q["airbases_in_range_russia"] = Quantity(
        None if none else int((inside & ~occupied).sum()),
        "airbases",
        "airbases in range in Russia proper",
        "count",
    )
    first = airbases["region"].isin(FIRST_REGIONS)
    q["airbases_in_range_first_region"] = Quantity(
        None if none else int((inside & first).sum()),
        "airbases",
        f"airbases in range in {', '.join(FIRST_REGIONS)}",
        "count",
    )
    q["first_region"] = Quantity(
        list(FIRST_REGIONS), "", "region the permission reportedly covered first", "names"
    )
    border = airbases["region"].isin(BORDER_REGIONS)
    q["border_region"] = Quantity(
        list(BORDER_REGIONS), "", "Russian region across from Kharkiv Oblast", "names"
    )
    gmlrs = f"in_{GMLRS_ID}"
    q["airbases_border_gmlrs"] = Quantity(
        int((airbases[gmlrs] & border).sum()) if gmlrs in airbases else None,
        "airbases",
        "airbases across from Kharkiv within GMLRS range",
        "count",
    )
    q["gmlrs_range_km"] = Quantity(r.ranges.get(GMLRS_ID), "km", "range of GMLRS", "km")
    russia, border_permit = r.permits.russia, r.permits.border
    q["permission_known"] = Quantity(
        russia is not None, "", "the US had allowed ATACMS strikes inside Russia", "flag"
    )
    q["permission_date"] = Quantity(
        None if russia is None else _day(russia["date_central"]),
        "",
        "date of the permission",
        "date",
    )
    q["border_permission_known"] = Quantity(
        border_permit is not None, "", "the Kharkiv counter-fire permission was public", "flag"
    )
    q["border_permission_date"] = Quantity(
        None if border_permit is None else _day(border_permit["date_central"]),
        "",
        "date of the Kharkiv counter-fire permission",
        "date",
    )
    q["airbases_added_by_permission"] = Quantity(
        None if none or russia is None else int((inside & ~occupied).sum()),
        "airbases",
        "airbases the permission opened to ATACMS",
        "count",
    )

    isw = _latest(r.references, "airfields_in_range", "refers_to")
    ours = r.isw_ours
    q["isw_airfields"] = Quantity(
        None if isw is None else float(isw["value_central"]),
        "airfields",
        "airfields in Russia ISW counted in ATACMS range",
        "count",
    )
    q["isw_airfields_date"] = Quantity(
        None if isw is None else _day(isw["refers_to"]), "", "date of ISW's map", "date"
    )
    q["airbases_russia_at_isw_date"] = Quantity(
        ours, "airbases", "our airbases in Russia within 300 km on ISW's date", "count"
    )
    q["isw_airfields_consistent"] = Quantity(
        None if ours is None else bool(ours >= float(isw["value_central"])),
        "",
        "our count is at least ISW's 'at least' figure",
        "flag",
    )
    beyond = r.references[r.references["ref_id"].str.contains("beyond_himars", regex=False)]
    q["isw_objects_beyond_gmlrs"] = Quantity(
        float(beyond["value_central"].iloc[-1]) if len(beyond) else None,
        "objects",
        "objects ISW counted within ATACMS but beyond GMLRS range",
        "count",
    )

    # The relocation of Russian aircraft: a reported figure, not a model output.
    report = _latest(r.references, "aircraft_beyond_300km_pct", "refers_to")
    q["relocation_reported"] = Quantity(
        report is not None, "", "the relocation had been reported", "flag"
    )
    q["relocation_report_share"] = Quantity(
        None if report is None else float(report["value_central"]) / 100,
        "",
        "reported share of strike aircraft based beyond the distance",
        "share",
    )
    q["relocation_report_km"] = Quantity(RELOCATION_KM, "km", "distance in the report", "km")
    q["relocation_report_date"] = Quantity(
        None if report is None else _day(report["refers_to"]), "", "date of the report", "date"
    )
    q["relocation_report_text"] = Quantity(
        None if report is None else str(report["description"]), "", "relocation report", "text"
    )
