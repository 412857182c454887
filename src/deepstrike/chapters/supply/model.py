"""Missile supply: weekly stock-flow Monte Carlo of Ukraine's ATACMS, and what it can reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from deepstrike import geo
from deepstrike.chapters.supply.params import SupplyParams
from deepstrike.language import Quantity

WEEKS_PER_MONTH = 52 / 12
# z-score of the 95th percentile: low/high priors are read as 5th/95th percentiles.
Z95 = 1.6448536269514722
PRIOR_COVERAGE = 0.90  # share of a probability prior between its low and high parameters
ATACMS_PREFIX = "atacms"
M39_ID, LR_ID, GMLRS_ID = "atacms_m39", "atacms_lr", "gmlrs"
# The source article: "The longer-range ATACMS reaches 100 km (62 miles)" (claim c09).
ARTICLE_RANGE_KM = 100.0
CONFIDENCE = "low"  # the stock and the delivery rate are press estimates


@dataclass
class StockRun:
    """Per-draw results; `stock[:, t]` is the stock at the start of week t (t = 0..horizon)."""

    stock: np.ndarray
    delivered: np.ndarray
    fired: np.ndarray
    lost: np.ndarray
    initial: np.ndarray
    depletion_week: np.ndarray  # first week (1-based) ending with no missiles; horizon+1 = never
    p_effective: np.ndarray
    hits: np.ndarray
    cost_usd: np.ndarray
    horizon_weeks: int

    @property
    def draws(self) -> int:
        return len(self.initial)

    @property
    def lasts_past_horizon(self) -> np.ndarray:
        return self.depletion_week > self.horizon_weeks


def logit_normal(z: np.ndarray, low: float, high: float) -> np.ndarray:
    """Probabilities whose 5th and 95th percentiles are `low` and `high` (logit-normal)."""
    a, b = np.log(low / (1 - low)), np.log(high / (1 - high))
    mu, sd = (a + b) / 2, (b - a) / (2 * Z95)
    return 1 / (1 + np.exp(-(mu + sd * z)))


def _triangular(u: np.ndarray, low: float, mode: float, high: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution (degenerate when low == high)."""
    if high <= low:
        return np.full_like(u, low, dtype=float)
    cut = (mode - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (mode - low))
    right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
    return np.where(u < cut, left, right)


def simulate(
    params: SupplyParams, unit_cost_usd: tuple[float, float, float], seed: int
) -> StockRun:
    """Weekly stock-flow: stock' = stock + delivered - fired - lost, never below zero.

    `unit_cost_usd` is the missile's (low, central, high) cost from data/strike_systems.csv.
    Common random numbers: every input enters through its own uniform draws, so two runs with
    the same seed differ only by the inputs changed. Deliveries, losses and firing are monotone
    in those inputs, so more deliveries can never make the stock run out sooner.
    """
    p = params
    n, weeks = int(p.draws), int(p.horizon_weeks)
    rng = np.random.default_rng(seed)
    u_stock, u_rate, u_fire_phase, u_cost = rng.random((4, n))
    u_loss, u_salvo, u_deliver = rng.random((3, weeks, n))
    z_rel, z_int, z_hit = rng.standard_normal((3, n))

    lo, hi = p.initial_stock_low, p.initial_stock_high
    initial = np.minimum(lo + np.floor(u_stock * (hi - lo + 1)), hi).astype(np.int64)
    monthly = p.deliveries_per_month_low + u_rate * (
        p.deliveries_per_month_high - p.deliveries_per_month_low
    )
    packages_per_week = monthly / WEEKS_PER_MONTH / p.package_size
    weekly_loss = 1 - (1 - p.loss_pct_per_month / 100) ** (1 / WEEKS_PER_MONTH)
    salvos_per_week = p.firing_per_week / p.salvo_size

    stock = np.empty((n, weeks + 1), dtype=np.int64)
    stock[:, 0] = initial
    delivered = np.zeros(n, dtype=np.int64)
    fired = np.zeros(n, dtype=np.int64)
    lost = np.zeros(n, dtype=np.int64)
    depletion = np.full(n, weeks + 1, dtype=np.int64)
    s = initial.copy()
    for t in range(1, weeks + 1):
        # Losses before launch: a share of the stock, stochastically rounded.
        x = np.minimum(np.floor(s * weekly_loss + u_loss[t - 1]).astype(np.int64), s)
        s = s - x
        if p.firing_policy == "steady":
            demand = np.floor(p.firing_per_week * t + u_fire_phase) - np.floor(
                p.firing_per_week * (t - 1) + u_fire_phase
            )
        else:
            whole, frac = np.floor(salvos_per_week), salvos_per_week % 1
            demand = p.salvo_size * (whole + (u_salvo[t - 1] < frac))
        f = np.minimum(s, demand.astype(np.int64))
        s = s - f
        depletion = np.where((s == 0) & (depletion > weeks), t, depletion)
        # Whole packages arrive at the end of the week: packages_per_week on average, rounded
        # up or down at random; the weekly count only grows with the rate (no reordering).
        arrived = np.floor(packages_per_week + u_deliver[t - 1])
        d = (arrived * p.package_size).astype(np.int64)
        s = s + d
        stock[:, t] = s
        delivered += d
        fired += f
        lost += x

    p_eff = (
        logit_normal(z_rel, p.reliability_low, p.reliability_high)
        * (1 - logit_normal(z_int, p.interception_low, p.interception_high))
        * logit_normal(z_hit, p.hit_low, p.hit_high)
    )
    # Drawn last, so the stock path above does not depend on how hits are drawn.
    hits = rng.binomial(fired, p_eff)
    cost = fired * _triangular(u_cost, *unit_cost_usd)
    return StockRun(
        stock=stock,
        delivered=delivered,
        fired=fired,
        lost=lost,
        initial=initial,
        depletion_week=depletion,
        p_effective=p_eff,
        hits=hits,
        cost_usd=cost,
        horizon_weeks=weeks,
    )


def unit_cost(missile: pd.Series) -> tuple[float, float, float]:
    """The missile's (low, central, high) unit cost from its row of strike_systems."""
    return (
        float(missile["unit_cost_usd_low"]),
        float(missile["unit_cost_usd_central"]),
        float(missile["unit_cost_usd_high"]),
    )


def quantiles(values: np.ndarray, interval_pct: float) -> tuple[float, float, float]:
    """(low, median, high) of the central `interval_pct` interval."""
    tail = (100 - interval_pct) / 2
    lo, mid, hi = np.percentile(values, [tail, 50, 100 - tail])
    return float(lo), float(mid), float(hi)


def fan(run: StockRun, interval_pct: float) -> pd.DataFrame:
    """Stock quantiles per week: the outer interval, the 50% interval and the median."""
    tail = (100 - interval_pct) / 2
    q = np.percentile(run.stock, [tail, 25, 50, 75, 100 - tail], axis=0)
    return pd.DataFrame(
        {
            "week": np.arange(run.horizon_weeks + 1),
            "low": q[0],
            "q25": q[1],
            "median": q[2],
            "q75": q[3],
            "high": q[4],
            "mean": run.stock.mean(axis=0),
        }
    )


def depletion_distribution(run: StockRun) -> pd.DataFrame:
    """Share of draws whose stock first runs out in each week; week horizon+1 means 'not within'."""
    counts = np.bincount(run.depletion_week, minlength=run.horizon_weeks + 2)[1:]
    weeks = np.arange(1, run.horizon_weeks + 2)
    return pd.DataFrame(
        {"week": weeks, "share": counts / run.draws, "beyond": weeks > run.horizon_weeks}
    )


def summary(run: StockRun, interval_pct: float) -> dict[str, Any]:
    """Medians and intervals of stock, depletion, hits and cost over the draws of a run."""
    out: dict[str, Any] = {"draws": run.draws, "horizon_weeks": run.horizon_weeks}
    out["p_lasts_past_horizon"] = float(run.lasts_past_horizon.mean())
    depleted = run.depletion_week[~run.lasts_past_horizon]
    out["depletion_week_median"] = (
        float(np.median(run.depletion_week)) if out["p_lasts_past_horizon"] < 0.5 else None
    )
    out["depletion_week_low"], _, out["depletion_week_high"] = (
        quantiles(depleted, interval_pct) if depleted.size else (None, None, None)
    )
    for name, values in (
        ("initial", run.initial),
        ("delivered", run.delivered),
        ("fired", run.fired),
        ("hits", run.hits),
        ("p_effective", run.p_effective),
        ("cost_usd", run.cost_usd),
        ("final_stock", run.stock[:, -1]),
    ):
        lo, mid, hi = quantiles(values, interval_pct)
        out[f"{name}_low"], out[f"{name}_median"], out[f"{name}_high"] = lo, mid, hi
    expected_hits = run.fired * run.p_effective
    with np.errstate(divide="ignore", invalid="ignore"):
        per_hit = np.where(expected_hits > 0, run.cost_usd / expected_hits, np.inf)
    finite = per_hit[np.isfinite(per_hit)]
    lo, mid, hi = quantiles(finite, interval_pct) if finite.size else (None, None, None)
    out["cost_per_hit_usd_low"], out["cost_per_hit_usd_median"] = lo, mid
    out["cost_per_hit_usd_high"] = hi
    return out


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


# ---- reach -------------------------------------------------------------------------------


def reach(
    targets: pd.DataFrame,
    parts: list[np.ndarray],
    standoff_km: float,
    ranges_km: dict[str, float],
) -> pd.DataFrame:
    """Targets with their distance from launch positions (held ground + standoff) and in-range
    flags; a target on held ground is at distance 0."""
    out = targets.copy()
    to_line = geo.distance_to_held_km(out["lat"], out["lon"], parts) if len(out) else []
    out["line_distance_km"] = to_line
    out["launch_distance_km"] = out["line_distance_km"] + standoff_km
    for name, km in ranges_km.items():
        out[f"in_{name}"] = out["launch_distance_km"] <= km
    return out


def counts_in_range(reached: pd.DataFrame, ranges_km: dict[str, float]) -> pd.DataFrame:
    """Targets within each range, by target type, plus a total row."""
    rows = []
    for kind, part in reached.groupby("target_type"):
        rows.append({"target_type": kind, **{n: int(part[f"in_{n}"].sum()) for n in ranges_km}})
    rows.append({"target_type": "all", **{n: int(reached[f"in_{n}"].sum()) for n in ranges_km}})
    return pd.DataFrame(rows)


def relocation(n_in_range: int, n_total: int, relocated_beyond_pct: float) -> dict[str, float]:
    """Share of the strike fleet within range before and after the reported relocation.

    Before: aircraft spread evenly over the airbases, so the share in range is the share of
    bases in range. After: the reported share of aircraft sits beyond the range.
    """
    before = n_in_range / n_total if n_total else 0.0
    after = min(before, 1 - relocated_beyond_pct / 100)
    return {"before": before, "after": after}


# ---- the chapter -------------------------------------------------------------------------


@dataclass
class SupplyResult:
    params: SupplyParams
    as_of: date
    systems: pd.DataFrame  # strike systems public at the as-of date
    missile: pd.Series | None  # the missile modelled (index: system_id as .name)
    substituted: bool  # the requested variant was not public; another ATACMS stands in
    run: StockRun | None
    stats: dict[str, Any] | None
    estimates: pd.DataFrame
    launches: pd.DataFrame
    claims: pd.DataFrame  # Russian launch and interception claims with both numbers
    references: pd.DataFrame
    edge: dict  # the edge of held ground in force on the as-of date (geo.held_edge)
    standoff_km: float  # of the modelled missile's launcher
    ranges: dict[str, float]  # system id -> central range, for the range bands
    reached: pd.DataFrame
    counts: pd.DataFrame

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


def analyse(
    params: SupplyParams, tables: dict[str, pd.DataFrame], as_of: date | str, seed: int
) -> SupplyResult:
    """Stock-flow of the missile public at the as-of date, and the targets it can reach."""
    as_of = pd.Timestamp(as_of).date()
    systems = tables["strike_systems"]
    missile, substituted = choose_missile(systems, params.variant)
    run = stats = None
    if missile is not None:
        run = simulate(params, unit_cost(missile), seed)
        stats = summary(run, params.interval_pct)

    edge = geo.held_edge(tables["front_line"], as_of)
    # HIMARS/M270 fire GMLRS and ATACMS alike: one launcher type, one standoff.
    standoff = params.launch.standoff_km("ground_rocket")
    # Range bands: the modelled missile, plus the shorter systems Ukraine had, if public then.
    public = systems.set_index("system_id")
    bands = [GMLRS_ID, M39_ID] + ([str(missile.name)] if missile is not None else [])
    ids = [s for s in dict.fromkeys(bands) if s in public.index]
    ranges = {s: float(public.loc[s, "range_km_central"]) for s in ids}
    reached = reach(tables["targets"], edge["parts"], standoff, ranges)

    launches = tables["atacms_launches"]
    claims = launches[launches["claimed_by"] == "Russia"].dropna(subset=["launched", "intercepted"])
    return SupplyResult(
        params=params,
        as_of=as_of,
        systems=systems,
        missile=missile,
        substituted=substituted,
        run=run,
        stats=stats,
        estimates=tables["atacms_supply"],
        launches=launches,
        claims=claims,
        references=tables["reach_reference"],
        edge=edge,
        standoff_km=standoff,
        ranges=ranges,
        reached=reached,
        counts=counts_in_range(reached, ranges),
    )


def _digits(value: float) -> int:
    """Whole numbers without decimals, others with one."""
    return 0 if float(value).is_integer() else 1


def _short_name(name: str) -> str:
    """'ATACMS M39 (Block I, cluster)' -> 'ATACMS M39'."""
    return name.split(" (")[0]


def _latest(frame: pd.DataFrame, quantity: str, by: str) -> pd.Series | None:
    part = frame[frame["quantity"] == quantity]
    return None if part.empty else part.sort_values(by, kind="stable").iloc[-1]


def key_numbers(r: SupplyResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    p, s, m = r.params, r.stats or {}, r.missile
    public = r.systems.set_index("system_id")

    def stat(name: str) -> float | None:
        return s.get(name)

    def range_of(system: str) -> float | None:
        return float(public.loc[system, "range_km_central"]) if system in public.index else None

    q: dict[str, Quantity] = {}
    q["as_of"] = Quantity(r.as_of.isoformat(), "", "as-of date", "date")
    q["confidence"] = Quantity(CONFIDENCE, "", "confidence in the supply judgments", "text")

    # The missile, and the parameters the prose restates.
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
    q["initial_stock_low"] = Quantity(
        p.initial_stock_low, "missiles", "starting stock, low", "count"
    )
    q["initial_stock_high"] = Quantity(
        p.initial_stock_high, "missiles", "starting stock, high", "count"
    )
    q["deliveries_per_month_low"] = Quantity(
        p.deliveries_per_month_low,
        "missiles/month",
        "deliveries, lowest rate",
        "number",
        _digits(p.deliveries_per_month_low),
    )
    q["deliveries_per_month_high"] = Quantity(
        p.deliveries_per_month_high,
        "missiles/month",
        "deliveries, highest rate",
        "number",
        _digits(p.deliveries_per_month_high),
    )
    q["package_size"] = Quantity(p.package_size, "missiles", "missiles per delivery", "count")
    q["firing_per_week"] = Quantity(
        p.firing_per_week, "missiles/week", "firing rate", "number", _digits(p.firing_per_week)
    )
    q["horizon_weeks"] = Quantity(p.horizon_weeks, "weeks", "weeks simulated", "weeks")
    q["interval_pct"] = Quantity(p.interval_pct, "%", "width of the intervals shown", "number")
    q["standoff_km"] = Quantity(
        r.standoff_km, "km", "launchers behind the line", "km", _digits(r.standoff_km)
    )
    q["relocated_beyond"] = Quantity(
        p.relocated_beyond_pct / 100, "", "strike aircraft assumed beyond range", "share"
    )
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

    # How long the stock lasts.
    p_last = stat("p_lasts_past_horizon")
    q["p_lasts_past_horizon"] = Quantity(p_last, "", "stock lasts past the horizon", "probability")
    q["p_runs_out"] = Quantity(
        None if p_last is None else 1 - p_last,
        "",
        "stock runs out within the horizon",
        "probability",
    )
    q["runs_out"] = Quantity(
        None if m is None else stat("depletion_week_median") is not None,
        "",
        "the stock runs out within the horizon in most draws",
        "flag",
    )
    for part in ("median", "low", "high"):
        q[f"depletion_week_{part}"] = Quantity(
            stat(f"depletion_week_{part}"), "weeks", f"week the stock runs out, {part}", "weeks"
        )
    for name, unit, label, kind in (
        ("fired", "missiles", "missiles fired", "count"),
        ("delivered", "missiles", "missiles delivered", "count"),
        ("hits", "hits", "effective hits", "count"),
        ("cost_usd", "USD", "cost of the missiles fired", "usd"),
        ("cost_per_hit_usd", "USD", "missile cost per effective hit", "usd"),
        ("p_effective", "", "probability a missile fired is an effective hit", "probability"),
    ):
        for part in ("low", "median", "high"):
            q[f"{name}_{part}"] = Quantity(stat(f"{name}_{part}"), unit, f"{label}, {part}", kind)

    # What Ukraine had: published estimates, Russian claims.
    stock_reports = r.estimates[r.estimates["quantity"] == "stock"]
    latest_stock = _latest(r.estimates, "stock", "reported_date")
    q["n_estimates"] = Quantity(len(r.estimates), "estimates", "published estimates", "count")
    q["n_stock_estimates"] = Quantity(
        len(stock_reports), "estimates", "published estimates of the stock", "count"
    )
    q["latest_stock_estimate"] = Quantity(
        None if latest_stock is None else float(latest_stock["value_central"]),
        "missiles",
        "latest published stock estimate",
        "count",
    )
    q["latest_stock_estimate_date"] = Quantity(
        None if latest_stock is None else latest_stock["reported_date"].date().isoformat(),
        "",
        "date of the latest stock estimate",
        "date",
    )
    q["latest_stock_estimate_text"] = Quantity(
        None if latest_stock is None else str(latest_stock["description"]),
        "",
        "the latest stock estimate, as published",
        "text",
    )
    q["stock_prior_covers_latest_estimate"] = Quantity(
        None
        if latest_stock is None
        else bool(p.initial_stock_low <= latest_stock["value_central"] <= p.initial_stock_high),
        "",
        "the starting stock range holds the latest published estimate",
        "flag",
    )
    launched, intercepted = int(r.claims["launched"].sum()), int(r.claims["intercepted"].sum())
    claimed_share = intercepted / launched if launched else None
    q["n_claimed_attacks"] = Quantity(len(r.claims), "attacks", "attacks Russia reported", "count")
    q["claimed_launched"] = Quantity(launched, "missiles", "ATACMS Russia reported", "count")
    q["claimed_intercepted"] = Quantity(
        intercepted, "missiles", "ATACMS Russia claims intercepted", "count"
    )
    q["claimed_interception_share"] = Quantity(
        claimed_share, "", "share Russia claims intercepted", "share"
    )
    q["interception_prior_below_claims"] = Quantity(
        None if claimed_share is None else bool(p.interception_high <= claimed_share),
        "",
        "the interception prior stays at or below Russia's claimed share",
        "flag",
    )

    # What the hits amount to, against ISW's count of objects in range.
    isw = r.references[r.references["quantity"] == "military_objects_in_range"]
    isw_objects = float(isw["value_central"].max()) if not isw.empty else None
    hits_high = stat("hits_high")
    both = isw_objects is not None and hits_high is not None
    q["isw_objects"] = Quantity(
        isw_objects, "objects", "Russian military objects ISW counted in range", "count"
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

    # What is in range.
    airbases = r.airbases
    n_airbases = len(airbases)
    column = r.in_range_column
    in_range = r.airbases_in_range
    m39_compared = m is not None and m39 is not None and m.name != M39_ID
    q["airbases_total"] = Quantity(n_airbases, "airbases", "airbases mapped", "count")
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
    # Ukrainian-held ground in Russia (the Kursk salient): airbases in Russia proper are
    # measured from it too, which the reach tables show.

    moved = relocation(len(in_range), n_airbases, p.relocated_beyond_pct)
    report = _latest(r.references, "aircraft_beyond_300km_pct", "refers_to")
    q["fleet_in_range_before"] = Quantity(
        None if m is None else moved["before"], "", "strike fleet in range before", "share"
    )
    q["fleet_in_range_after"] = Quantity(
        None if m is None else moved["after"], "", "strike fleet in range after", "share"
    )
    q["relocation_cuts_reach"] = Quantity(
        None if m is None else bool(moved["after"] < moved["before"]),
        "",
        "the relocation leaves fewer aircraft in range",
        "flag",
    )
    q["relocation_moves_most"] = Quantity(
        None if m is None else bool(moved["after"] < moved["before"] / 2),
        "",
        "the relocation takes most aircraft that were in range out of it",
        "flag",
    )
    q["relocation_reported"] = Quantity(
        report is not None, "", "the relocation had been reported", "flag"
    )
    q["relocation_report_share"] = Quantity(
        None if report is None else float(report["value_central"]) / 100,
        "",
        "reported share of aircraft moved beyond range",
        "share",
    )
    q["relocation_report_date"] = Quantity(
        None if report is None else report["refers_to"].date().isoformat(),
        "",
        "date of the relocation report",
        "date",
    )
    q["relocation_report_text"] = Quantity(
        None if report is None else str(report["description"]), "", "relocation report", "text"
    )
    q["relocation_matches_report"] = Quantity(
        None
        if report is None
        else bool(np.isclose(p.relocated_beyond_pct, float(report["value_central"]))),
        "",
        "the assumed relocation is the reported one",
        "flag",
    )
    return q
