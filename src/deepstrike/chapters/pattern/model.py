"""The refuse-then-approve pattern as survival analysis.

Each decision (a system or permission, and the government that decides it) is coded from the
dated public record: the first public request, every public refusal or hesitation, the
approval, the first delivery and the first use. A refusal lasts from the first public refusal or
hesitation to the approval; a decision not approved by the as-of date is right-censored there.
The Kaplan–Meier estimate (scipy.stats.ecdf on CensoredData) of "still refused" against days
is computed for Washington's decisions, the test set of the article's claim, and for allied
decisions beside them. Approximate dates are drawn uniformly within their range and the curve
is recomputed for each draw, so date uncertainty shows as a band beside the sampling interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from deepstrike.language import Quantity

STAGES = ("request", "refusal", "approval", "delivery", "first_use")
# Both start the refusal clock; the record keeps the distinction (see the Method section).
REFUSAL_TYPES = ("refusal", "hesitation")
# Stages that are public pressure and public answers: they count only if public when made.
ASKING = ("request", "refusal")
# A request or refusal counts as public when made if its first report came within this many
# days; Reznikov's account in April 2023 of an answer given in August 2021 does not.
PUBLIC_WITHIN_DAYS = 31
TEST_DECIDER = "US"  # the article's claim is about Washington
GROUPS = ("US", "allies")
GROUP_LABELS = {"US": "United States", "allies": "Allies (UK, Germany)"}
DELAYS = {
    "request_to_approval": ("request", "approval"),
    "refusal_to_approval": ("refusal", "approval"),
    "approval_to_delivery": ("approval", "delivery"),
    "approval_to_first_use": ("approval", "first_use"),
    "delivery_to_first_use": ("delivery", "first_use"),
}
DELAY_LABELS = {
    "request_to_approval": "request → approval",
    "refusal_to_approval": "first refusal → approval",
    "approval_to_delivery": "approval → delivery",
    "approval_to_first_use": "approval → first use",
    "delivery_to_first_use": "delivery → first use",
}
# Delays that end in an approval keep running while no approval has come (right-censored):
# a refusal still in force on the as-of date lasted at least until that date.
CENSORABLE = ("request_to_approval", "refusal_to_approval")
# Coding variants shown beside the coded result (scope, count_recounted).
VARIANTS = {
    "as_coded": None,
    "system_scope": ("system", None),
    "recounted": (None, True),
}
VARIANT_LABELS = {
    "as_coded": "as coded",
    "system_scope": "only statements that name the system",
    "recounted": "also refusals recounted long after they were given",
}
_EPOCH = np.datetime64("1970-01-01", "D")


def _days(values: pd.Series) -> np.ndarray:
    return (values.to_numpy(dtype="datetime64[D]") - _EPOCH).astype(np.int64)


def _as_day(as_of: date | str) -> float:
    return float((np.datetime64(str(as_of)[:10], "D") - _EPOCH).astype(np.int64))


def code_events(
    events: pd.DataFrame, refusal_scope: str = "class", count_recounted: bool = False
) -> pd.DataFrame:
    """Each row's stage, whether it counts, and the reason when it does not.

    A hesitation is a refusal-stage event. Requests and refusals count only if public when
    made (first reported within PUBLIC_WITHIN_DAYS) unless `count_recounted`; with
    `refusal_scope="system"`, requests and refusals that name only the class do not count.
    """
    ev = events.copy()
    if "event_scope" not in ev:
        ev["event_scope"] = "system"
    if "date_basis" not in ev:
        ev["date_basis"] = np.where(ev["date_low"] < ev["date_high"], "bound", "day")
    ev["stage"] = ev["event_type"].replace({t: "refusal" for t in REFUSAL_TYPES})
    reason = pd.Series("", index=ev.index, dtype=object)
    asking = ev["stage"].isin(ASKING)
    if refusal_scope == "system":
        reason[asking & (ev["event_scope"] == "class")] = "names only the class"
    if not count_recounted and "known_from" in ev:
        lag = (ev["known_from"] - ev["date_high"]).dt.days
        late = asking & (lag > PUBLIC_WITHIN_DAYS) & (reason == "")
        reason[late] = (
            "not public when made: first reported " + lag[late].astype(str) + " days later"
        )
    ev["exclusion"] = reason
    ev["counted"] = reason == ""
    ev["implied"] = False
    return ev


def implied_approvals(coded: pd.DataFrame) -> pd.DataFrame:
    """An approval never announced but shown by a delivery or first use: dated between the last
    counted refusal and that event (date_basis approximate)."""
    rows = []
    for system, part in coded[coded["counted"]].groupby("system_id", sort=False):
        stages = set(part["stage"])
        if "approval" in stages or not stages & {"delivery", "first_use"}:
            continue
        after = part[part["stage"].isin(["delivery", "first_use"])]
        refusals = part[part["stage"] == "refusal"]
        high = after["date_high"].min()
        low = refusals["date_low"].max() if len(refusals) else after["date_low"].min()
        low = min(low, high)
        first = after.sort_values("date_low").iloc[0]
        rows.append(
            first.to_dict()
            | {
                "event_id": f"{system}_approval_implied",
                "event_type": "approval",
                "stage": "approval",
                "date_low": low,
                "date_central": low,
                "date_high": high,
                "date_basis": "approximate",
                "date_note": "no public approval found; implied by the first delivery or use",
                "description": "No public approval found: it came after the last public refusal "
                "and no later than the first use.",
                "claimed_by": None,
                "implied": True,
            }
        )
    if not rows:
        return coded
    return pd.concat([coded, pd.DataFrame(rows)], ignore_index=True)


def code(
    events: pd.DataFrame, refusal_scope: str = "class", count_recounted: bool = False
) -> pd.DataFrame:
    """The coded record: stages, counting, exclusions and implied approvals."""
    return implied_approvals(code_events(events, refusal_scope, count_recounted))


def stage_dates(events: pd.DataFrame, systems: list[str]) -> pd.DataFrame:
    """The earliest counted event of each stage per system: one row per (system, stage)."""
    unknown = sorted(set(systems) - set(events["system_id"]))
    if unknown:
        raise ValueError(f"systems not in the events table: {', '.join(unknown)}")
    coded = events if "counted" in events else code(events)
    chosen = coded[coded["system_id"].isin(systems) & coded["counted"]]
    first = (
        chosen.sort_values(["system_id", "stage", "date_low", "date_high"])
        .groupby(["system_id", "stage"], as_index=False)
        .first()
    )
    first["stage_order"] = first["stage"].map({s: i for i, s in enumerate(STAGES)})
    first["system_order"] = first["system_id"].map({s: i for i, s in enumerate(systems)})
    return first.sort_values(["system_order", "stage_order"]).reset_index(drop=True)


def sample_event_days(events: pd.DataFrame, draws: int, seed: int) -> np.ndarray:
    """Each row's date drawn uniformly within [date_low, date_high]: whole days since 1970
    (integers), shape (rows, draws). Every coding variant reuses the same draws."""
    rng = np.random.default_rng(seed)
    low = _days(events["date_low"])[:, None]
    high = _days(events["date_high"])[:, None]
    return rng.integers(low, high + 1, size=(len(events), draws))


def stage_samples(
    coded: pd.DataFrame,
    row_days: np.ndarray,
    systems: list[str],
    extra_days: np.ndarray | None = None,
) -> np.ndarray:
    """Per draw, each stage's date is the earliest of its counted rows.

    Row i of `coded` has its draws in row_days[i], or, past the end of `row_days`, in
    `extra_days` (rows a coding variant adds; kept apart so that no variant copies the
    whole draw matrix).

    Shape (systems, stages, draws); NaN where a stage has no counted row. Draws are made
    chronological from the first refusal on (an approval cannot precede the refusal it ends, a
    delivery its approval, a first use its delivery); a request may follow a first refusal.
    """
    n = len(row_days)

    def earliest(rows: np.ndarray) -> np.ndarray:
        if len(rows) == 1:  # most stages rest on one row: read it in place
            i = rows[0]
            return row_days[i] if i < n else extra_days[i - n]
        mins = [row_days[rows[rows < n]].min(axis=0)] if (rows < n).any() else []
        if (rows >= n).any():
            mins.append(extra_days[rows[rows >= n] - n].min(axis=0))
        return np.minimum.reduce(mins)

    out = np.full((len(systems), len(STAGES), row_days.shape[1]), np.nan)
    sys_index = {s: i for i, s in enumerate(systems)}
    for (system, stage), part in coded[coded["counted"]].groupby(["system_id", "stage"]):
        if system in sys_index:
            out[sys_index[system], STAGES.index(stage)] = earliest(part.index.to_numpy())
    for later, earlier in ((2, (1,)), (3, (2,)), (4, (2, 3))):
        bound = np.fmax.reduce([out[:, e] for e in earlier], axis=0)
        out[:, later] = np.where(np.isnan(out[:, later]), np.nan, np.fmax(out[:, later], bound))
    return out


def delay_samples(
    samples: np.ndarray, as_of: date | str
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per delay: (days with shape (systems, draws), censored flag per system)."""
    as_of_day = _as_day(as_of)
    out = {}
    for name, (start, end) in DELAYS.items():
        a = samples[:, STAGES.index(start), :]
        b = samples[:, STAGES.index(end), :]
        censored = np.zeros(samples.shape[0], dtype=bool)
        if name in CENSORABLE:
            censored = ~np.isnan(a[:, 0]) & np.isnan(b[:, 0])
            b = np.where(censored[:, None], as_of_day, b)
        out[name] = (b - a, censored)
    return out


def summarise(
    delays: dict[str, tuple[np.ndarray, np.ndarray]],
    systems: list[str],
    names: dict[str, str],
    groups: dict[str, str],
    interval_pct: float,
) -> pd.DataFrame:
    """Median and interval over the date draws per system and delay; rows only where known."""
    tail = (100.0 - interval_pct) / 2.0
    rows = []
    for name, (values, censored) in delays.items():
        known = ~np.isnan(values[:, 0])
        if not known.any():
            continue
        v = values[known]
        med = np.median(v, axis=1)
        lo, hi = np.percentile(v, [tail, 100.0 - tail], axis=1)
        for i, sys_idx in enumerate(np.flatnonzero(known)):
            system = systems[sys_idx]
            rows.append(
                {
                    "system_id": system,
                    "system_name": names[system],
                    "group": groups[system],
                    "delay": name,
                    "median_days": float(med[i]),
                    "low_days": float(lo[i]),
                    "high_days": float(hi[i]),
                    "censored": bool(censored[sys_idx]),
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "system_id",
            "system_name",
            "group",
            "delay",
            "median_days",
            "low_days",
            "high_days",
            "censored",
        ],
    )


@dataclass
class Survival:
    """One Kaplan–Meier fit: S(t) = share of decisions still refused after t days."""

    n: int
    n_events: int
    fit: Any  # scipy ECDFResult, or None when no decision was ever approved
    ci: Any  # scipy ConfidenceInterval of the survival function, or None

    def at(self, t: float | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """S(t) with its confidence interval; S = 1 before any approval (interval undefined)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        if self.fit is None:
            ones = np.ones_like(t)
            return ones, np.full_like(t, np.nan), np.full_like(t, np.nan)
        s = self.fit.sf.evaluate(t)
        lo = self.ci.low.evaluate(t)
        hi = self.ci.high.evaluate(t)
        # log-log bounds are undefined where S is 1 (before the first approval) or 0.
        lo = np.where(s <= 0, 0.0, lo)
        hi = np.where(s <= 0, 0.0, hi)
        return s, lo, hi

    def median(self) -> tuple[float, float, float]:
        """First day S <= 1/2, with the interval where the confidence bounds cross 1/2;
        inf where a curve never falls to 1/2 within the record."""
        if self.fit is None:
            return np.inf, np.inf, np.inf
        t = self.fit.sf.quantiles
        s, lo, hi = self.at(t)

        def first(curve: np.ndarray) -> float:
            below = np.flatnonzero(np.nan_to_num(curve, nan=1.0) <= 0.5)
            return float(t[below[0]]) if below.size else np.inf

        return first(s), first(lo), first(hi)


def survival(durations: np.ndarray, censored: np.ndarray, level: float) -> Survival:
    """Kaplan–Meier with its exponential-Greenwood (log-log) band, by scipy.stats.ecdf."""
    durations = np.asarray(durations, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    n_events = int((~censored).sum())
    if n_events == 0:
        return Survival(len(durations), 0, None, None)
    data = stats.CensoredData(uncensored=durations[~censored], right=durations[censored])
    fit = stats.ecdf(data)
    with warnings.catch_warnings():
        # scipy warns where the log-log bound is undefined (S = 0 or 1); handled in at().
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = fit.sf.confidence_interval(confidence_level=level, method="log-log")
    return Survival(len(durations), n_events, fit, ci)


def _finite(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def curves(
    refusal: np.ndarray,
    censored: np.ndarray,
    members: np.ndarray,
    curve_draws: int,
    level: float,
    horizons: tuple[int, ...],
    interval_pct: float,
    with_grid: bool = True,
) -> dict[str, Any] | None:
    """One group's survival curve recomputed for each date draw, and what it says.

    `refusal` holds refusal durations (systems, draws); `members` selects the group's
    decisions (those with a counted refusal). Returns the estimates (median over draws of each
    draw's estimate), their confidence intervals (median over draws of each draw's bounds), the
    spread over the date draws, and the curves on a daily grid for the chart.
    """
    if not members.any():
        return None
    d = refusal[members][:, :curve_draws]
    c = censored[members]
    grid = np.arange(0.0, float(np.nanmax(d)) + 2.0) if with_grid else np.zeros(0)
    # Most dates are exact, so many draws repeat the same durations: fit each distinct set once.
    distinct, which = np.unique(d.T, axis=0, return_inverse=True)
    which = np.ravel(which)
    n = len(distinct)
    s_grid = np.empty((n, grid.size))
    lo_grid = np.empty_like(s_grid)
    hi_grid = np.empty_like(s_grid)
    medians = np.empty((n, 3))
    shares = np.empty((n, len(horizons), 3))
    at = np.asarray(horizons, dtype=float) - 0.5
    for j, durations in enumerate(distinct):
        fit = survival(durations, c, level)
        if with_grid:
            s_grid[j], lo_grid[j], hi_grid[j] = fit.at(grid)
        medians[j] = fit.median()
        # Durations are whole days: "refused for h days or more" is S just below h. Past the
        # longest follow-up the curve says nothing (no decision was watched that long).
        s, lo, hi = fit.at(at)
        seen = at < durations.max()
        shares[j] = np.where(seen[:, None], np.column_stack([s, lo, hi]), np.nan)
    s_grid, lo_grid, hi_grid = s_grid[which], lo_grid[which], hi_grid[which]
    medians, shares = medians[which], shares[which]
    tail = (100.0 - interval_pct) / 2.0
    # Nearest-rank percentiles: a median never reached is inf, and inf cannot be interpolated.
    spread = np.percentile(medians[:, 0], [tail, 100.0 - tail], method="inverted_cdf")
    med = np.percentile(medians, 50, axis=0, method="inverted_cdf")

    def share_at(i: int) -> dict[str, Any]:
        point = shares[:, i, 0]
        if np.isnan(point).mean() > 0.5:  # most draws never watched a decision this long
            return {
                "days": horizons[i],
                **dict.fromkeys(("share", "low", "high", "date_low", "date_high")),
            }
        point = point[~np.isnan(point)]
        lo, hi = shares[:, i, 1], shares[:, i, 2]
        return {
            "days": horizons[i],
            "share": float(np.median(point)),
            "low": _finite(np.nanmedian(lo)) if np.isfinite(lo).any() else None,
            "high": _finite(np.nanmedian(hi)) if np.isfinite(hi).any() else None,
            "date_low": float(np.percentile(point, tail)),
            "date_high": float(np.percentile(point, 100.0 - tail)),
        }

    return {
        "n": int(members.sum()),
        "n_censored": int(c.sum()),
        "median": _finite(med[0]),
        "median_low": _finite(med[1]),
        "median_high": _finite(med[2]),
        "median_date_low": _finite(spread[0]),
        "median_date_high": _finite(spread[1]),
        "shares": [share_at(i) for i in range(len(horizons))],
        "grid": grid,
        **(
            {
                "s": np.median(s_grid, axis=0),
                "s_low": np.nanmedian(np.where(np.isnan(lo_grid), s_grid, lo_grid), axis=0),
                "s_high": np.nanmedian(np.where(np.isnan(hi_grid), s_grid, hi_grid), axis=0),
                "s_date_low": np.percentile(s_grid, tail, axis=0),
                "s_date_high": np.percentile(s_grid, 100.0 - tail, axis=0),
            }
            if with_grid
            else {}
        ),
    }


def logrank_p(
    refusal: np.ndarray, censored: np.ndarray, us: np.ndarray, allies: np.ndarray, draws: int
) -> float | None:
    """Log-rank test of US against allied refusal durations (scipy.stats.logrank), median
    p-value over the date draws; None unless both groups have a decision and one was approved."""
    if not us.any() or not allies.any() or censored[us | allies].all():
        return None
    both = us | allies
    distinct, which = np.unique(refusal[both, :draws].T, axis=0, return_inverse=True)
    in_us = us[both]
    cx, cy = censored[us], censored[allies]
    ps = np.array(
        [
            stats.logrank(
                stats.CensoredData(uncensored=col[in_us][~cx], right=col[in_us][cx]),
                stats.CensoredData(uncensored=col[~in_us][~cy], right=col[~in_us][cy]),
            ).pvalue
            for col in distinct
        ]
    )
    return float(np.median(ps[np.ravel(which)]))


def decision_table(
    coded: pd.DataFrame,
    systems: list[str],
    summary: pd.DataFrame,
    groups: dict[str, str],
    horizons: tuple[int, ...],
) -> pd.DataFrame:
    """One row per decision with a counted refusal: first refusal, later ones, duration."""
    refusals = summary[summary["delay"] == "refusal_to_approval"].set_index("system_id")
    rows = []
    for system in systems:
        if system not in refusals.index:
            continue
        part = coded[(coded["system_id"] == system) & (coded["stage"] == "refusal")]
        counted = part[part["counted"]].sort_values(["date_low", "date_high"])
        first = counted.iloc[0]
        r = refusals.loc[system]
        rows.append(
            {
                "system_id": system,
                "system_name": r["system_name"],
                "group": groups[system],
                "first_refusal_id": first["event_id"],
                "first_refusal_type": first["event_type"],
                "first_refusal_scope": first["event_scope"],
                "first_refusal_low": first["date_low"],
                "first_refusal_high": first["date_high"],
                "first_refusal_claimed_by": ""
                if pd.isna(first["claimed_by"])
                else first["claimed_by"],
                "n_refusals": len(counted),
                "n_excluded": int((~part["counted"]).sum()),
                "median_days": r["median_days"],
                "low_days": r["low_days"],
                "high_days": r["high_days"],
                "censored": bool(r["censored"]),
                **{f"at_least_{h}": bool(r["median_days"] >= h) for h in horizons},
            }
        )
    columns = [
        "system_id",
        "system_name",
        "group",
        "first_refusal_id",
        "first_refusal_type",
        "first_refusal_scope",
        "first_refusal_low",
        "first_refusal_high",
        "first_refusal_claimed_by",
        "n_refusals",
        "n_excluded",
        "median_days",
        "low_days",
        "high_days",
        "censored",
        *(f"at_least_{h}" for h in horizons),
    ]
    return pd.DataFrame(rows, columns=columns)


def confidence(
    decisions: pd.DataFrame,
    stages: pd.DataFrame,
    variant_medians: list[float | None] = (),
    threshold_days: float = 0.0,
) -> str:
    """Confidence in the US verdict: never high, since the decisions are a selection of debated
    cases and few. Moderate when there are at least five US decisions, at least half of them
    approved, most of their first refusal and approval dates are exact statements by the
    deciding government, and no coding variant puts the median on the other side of the
    short horizon; else low."""
    us = decisions[decisions["group"] == "US"]
    if len(us) < 5 or us["censored"].mean() > 0.5:
        return "low"
    sides = {m is not None and m >= threshold_days for m in variant_medians}
    if len(sides) > 1:
        return "low"
    firm = stages[stages["system_id"].isin(us["system_id"])]
    firm = firm[firm["stage"].isin(["refusal", "approval"])]
    weak = (
        firm["claimed_by"].notna()
        | (firm["date_basis"] == "approximate")
        | ((firm["date_high"] - firm["date_low"]).dt.days > 7)
    )
    return "low" if weak.mean() > 0.5 else "moderate"


@dataclass
class PatternResult:
    events: pd.DataFrame  # the coded record (every row, counted or not, and implied approvals)
    systems: list[str]
    groups: dict[str, str]
    stages: pd.DataFrame
    summary: pd.DataFrame
    decisions: pd.DataFrame
    curves: dict[str, dict[str, Any] | None]
    variants: dict[str, dict[str, Any] | None]
    logrank_p: float | None
    threshold_days: int
    long_threshold_days: int
    interval_pct: float
    refusal_scope: str
    count_recounted: bool
    as_of: str


def _fit(
    events: pd.DataFrame,
    row_days: np.ndarray,
    present: list[str],
    scope: str,
    recount: bool,
    as_of: date | str,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    coded = code(events, scope, recount)
    implied = coded[coded["implied"]]
    extra = None
    if len(implied):
        # Implied approvals get their own stream, so adding one leaves the other draws alone.
        extra = sample_event_days(implied, row_days.shape[1], seed + 1)
    return coded, delay_samples(stage_samples(coded, row_days, present, extra), as_of)


def analyse(
    params: Any, tables: dict[str, pd.DataFrame], as_of: date | str, seed: int
) -> PatternResult:
    """The coded record, delays per decision, and survival curves for US and allied decisions."""
    events = tables["pattern_events"]
    events = events[events["system_id"].isin(params.systems)].reset_index(drop=True)
    present = [s for s in params.systems if s in set(events["system_id"])]
    names = dict(zip(events["system_id"], events["system_name"], strict=False))
    deciders = events.groupby("system_id")["decider"].first()
    groups = {s: "US" if deciders[s] == TEST_DECIDER else "allies" for s in present}
    horizons = (params.months_threshold_days, params.long_threshold_days)
    level = params.interval_pct / 100.0
    row_days = sample_event_days(events, params.draws, seed)

    fitted: dict[str, Any] = {}
    for name, choice in VARIANTS.items():
        scope, recount = choice or (None, None)
        scope = scope or params.refusal_scope
        recount = (params.recounted == "count") if recount is None else recount
        fitted[name] = _fit(events, row_days, present, scope, recount, as_of, seed)
    coded, delays = fitted["as_coded"]
    group_of = np.array([groups[s] for s in present])
    stages = stage_dates(coded, present)
    summary = summarise(delays, present, names, groups, params.interval_pct)
    decisions = decision_table(coded, present, summary, groups, horizons)

    def group_curves(
        delay: tuple[np.ndarray, np.ndarray], group: str, with_grid: bool = True
    ) -> dict | None:
        refusal, censored = delay
        members = ~np.isnan(refusal[:, 0]) & (group_of == group)
        return curves(
            refusal,
            censored,
            members,
            params.curve_draws,
            level,
            horizons,
            params.interval_pct,
            with_grid,
        )

    refusal, censored = delays["refusal_to_approval"]
    has = ~np.isnan(refusal[:, 0])
    return PatternResult(
        events=coded,
        systems=present,
        groups=groups,
        stages=stages,
        summary=summary,
        decisions=decisions,
        curves={g: group_curves(delays["refusal_to_approval"], g) for g in GROUPS},
        variants={
            name: group_curves(d["refusal_to_approval"], "US", with_grid=False)
            for name, (_, d) in fitted.items()
        },
        logrank_p=logrank_p(
            refusal,
            censored,
            has & (group_of == "US"),
            has & (group_of == "allies"),
            params.curve_draws,
        ),
        threshold_days=params.months_threshold_days,
        long_threshold_days=params.long_threshold_days,
        interval_pct=params.interval_pct,
        refusal_scope=params.refusal_scope,
        count_recounted=params.recounted == "count",
        as_of=str(as_of)[:10],
    )


DAYS_PER_MONTH = 30.44


def key_numbers(r: PatternResult) -> dict[str, Quantity]:
    """The chapter's named results: recorded in results.json and read by every text."""
    ev, summary, decisions = r.events, r.summary, r.decisions
    recorded = ev[~ev["implied"]]

    def per_system(delay: str, group: str | None = None) -> dict[str, float]:
        part = summary[summary["delay"] == delay]
        if group:
            part = part[part["group"] == group]
        return dict(zip(part["system_id"], part["median_days"].round(1), strict=True))

    def names(frame: pd.DataFrame) -> list[str]:
        return frame["system_name"].tolist()

    out: dict[str, Quantity] = {
        "n_systems": Quantity(len(r.systems), "decisions", "decisions in the record", "count"),
        "n_events": Quantity(len(recorded), "events", "dated events in the record", "count"),
        "n_claims": Quantity(
            int(recorded["claimed_by"].notna().sum()),
            "events",
            "events resting on a party's claim",
            "count",
        ),
        "n_approximate_dates": Quantity(
            int((recorded["date_basis"] == "approximate").sum()),
            "events",
            "events known only to a range, with no day published",
            "count",
        ),
        "n_bounded_dates": Quantity(
            int((recorded["date_basis"] == "bound").sum()),
            "events",
            "events dated between two sourced days",
            "count",
        ),
        "n_refusal_statements": Quantity(
            int((recorded["stage"] == "refusal").sum()),
            "events",
            "public refusals and hesitations in the record",
            "count",
        ),
        "n_hesitations": Quantity(
            int((recorded["event_type"] == "hesitation").sum()),
            "events",
            "of which hesitations",
            "count",
        ),
        "n_class_statements": Quantity(
            int(((recorded["stage"] == "refusal") & (recorded["event_scope"] == "class")).sum()),
            "events",
            "refusals that name only the class",
            "count",
        ),
        "n_excluded": Quantity(
            int((~recorded["counted"]).sum()),
            "events",
            "requests and refusals in the record that do not count",
            "count",
        ),
        "excluded_events": Quantity(
            [
                f"{row.system_name} {row.event_type} ({row.exclusion})"
                for row in recorded[~recorded["counted"]].itertuples()
            ],
            "",
            "events not counted, with the reason",
            "names",
        ),
        "implied_approvals": Quantity(
            names(ev[ev["implied"]]), "", "approvals implied by a first use", "names"
        ),
        "never_refused": Quantity(
            [
                recorded.loc[recorded["system_id"] == s, "system_name"].iloc[0]
                for s in r.systems
                if s not in set(decisions["system_id"])
            ],
            "",
            "decisions with no counted public refusal",
            "names",
        ),
        "public_within_days": Quantity(
            PUBLIC_WITHIN_DAYS, "days", "a statement first reported within this is public", "days"
        ),
        "threshold_days": Quantity(
            r.threshold_days, "days", "short horizon: refused this long or more", "days"
        ),
        "long_threshold_days": Quantity(
            r.long_threshold_days, "days", "long horizon: refused this long or more", "days"
        ),
        "threshold_months": Quantity(
            r.threshold_days / DAYS_PER_MONTH, "months", "short horizon in months", "number"
        ),
        "long_threshold_months": Quantity(
            r.long_threshold_days / DAYS_PER_MONTH, "months", "long horizon in months", "number"
        ),
        "interval_pct": Quantity(r.interval_pct, "%", "width of the intervals shown", "number"),
        "refusal_scope": Quantity(r.refusal_scope, "", "which refusals count", "text"),
        "logrank_p": Quantity(
            r.logrank_p, "", "log-rank test, US against allies: p-value", "number", 2
        ),
        "refusal_days": Quantity(
            per_system("refusal_to_approval"),
            "days",
            "first refusal to approval per decision, median over date draws",
            "text",
        ),
        "request_to_approval_days": Quantity(
            per_system("request_to_approval"), "days", "request to approval per decision", "text"
        ),
        "approval_to_delivery_days": Quantity(
            per_system("approval_to_delivery"), "days", "approval to delivery per decision", "text"
        ),
        "approval_to_first_use_days": Quantity(
            per_system("approval_to_first_use"),
            "days",
            "approval to first use per decision",
            "text",
        ),
        "delivery_to_first_use_days": Quantity(
            per_system("delivery_to_first_use"),
            "days",
            "delivery to first use per decision",
            "text",
        ),
    }
    for group in GROUPS:
        out |= _group_numbers(r, group)
    for name in ("system_scope", "recounted"):
        v = r.variants.get(name)
        out[f"us_median_days_{name}"] = Quantity(
            None if v is None else v["median"],
            "days",
            f"US median refusal, {VARIANT_LABELS[name]}",
            "days",
        )
        for i, tag in enumerate(("short", "long")):
            out[f"us_share_{tag}_{name}"] = Quantity(
                None if v is None else v["shares"][i]["share"],
                "",
                f"US share refused {tag} horizon or more, {VARIANT_LABELS[name]}",
                "share",
            )
    # Does the coding move the US median more than the uncertain dates do?
    medians = [v["median"] for v in r.variants.values() if v and v["median"] is not None]
    us = r.curves.get("US")
    date_spread = (
        us["median_date_high"] - us["median_date_low"]
        if us and us["median"] is not None and us["median_date_high"] is not None
        else 0.0
    )
    out["coding_dominates"] = Quantity(
        len(medians) > 1 and max(medians) - min(medians) > date_spread,
        "",
        "the coding rules move the US median more than the uncertain dates",
        "flag",
    )
    use = summary[(summary["delay"] == "approval_to_first_use") & (summary["group"] == "US")]
    out["us_median_approval_to_first_use_days"] = Quantity(
        float(use["median_days"].median()) if len(use) else None,
        "days",
        "approval to first use, median across US decisions",
        "days",
    )
    out["us_min_approval_to_first_use_days"] = Quantity(
        float(use["median_days"].min()) if len(use) else None,
        "days",
        "approval to first use, shortest US decision",
        "days",
    )
    out["us_max_approval_to_first_use_days"] = Quantity(
        float(use["median_days"].max()) if len(use) else None,
        "days",
        "approval to first use, longest US decision",
        "days",
    )
    out["us_longest_approval_to_first_use"] = Quantity(
        use.sort_values("median_days")["system_name"].iloc[-1] if len(use) else None,
        "",
        "US decision with the longest approval to first use",
        "text",
    )
    out["confidence"] = Quantity(
        confidence(
            decisions,
            r.stages,
            [None if v is None else v["median"] for v in r.variants.values()],
            r.threshold_days,
        )
        if len(decisions)
        else "low",
        "",
        "confidence in the verdict on Washington",
        "text",
    )
    return out


def _group_numbers(r: PatternResult, group: str) -> dict[str, Quantity]:
    g = "us" if group == "US" else "allies"
    c = r.curves.get(group)
    part = r.decisions[r.decisions["group"] == group] if len(r.decisions) else r.decisions
    closed = part[~part["censored"]] if len(part) else part
    label = GROUP_LABELS[group]

    def value(key: str) -> Any:
        return None if c is None else c[key]

    out = {
        f"n_{g}": Quantity(
            len(part), "decisions", f"{label}: decisions with a public refusal", "count"
        ),
        f"{g}_names": Quantity(
            part["system_name"].tolist() if len(part) else [], "", f"{label}: decisions", "names"
        ),
        f"n_{g}_not_approved": Quantity(
            int(part["censored"].sum()) if len(part) else 0,
            "decisions",
            f"{label}: not approved by the as-of date",
            "count",
        ),
        f"{g}_not_approved": Quantity(
            part.loc[part["censored"], "system_name"].tolist() if len(part) else [],
            "",
            f"{label}: not approved by the as-of date (censored)",
            "names",
        ),
        f"{g}_median_days": Quantity(
            value("median"), "days", f"{label}: median refusal (Kaplan–Meier)", "days"
        ),
        f"{g}_median_low_days": Quantity(
            value("median_low"), "days", f"{label}: median refusal, lower bound", "days"
        ),
        f"{g}_median_high_days": Quantity(
            value("median_high"),
            "days",
            f"{label}: median refusal, upper bound (none: not reached in the record)",
            "days",
        ),
        f"{g}_median_date_low_days": Quantity(
            value("median_date_low"), "days", f"{label}: median, lowest over date draws", "days"
        ),
        f"{g}_median_date_high_days": Quantity(
            value("median_date_high"), "days", f"{label}: median, highest over date draws", "days"
        ),
        f"{g}_longest_system": Quantity(
            part.sort_values("median_days")["system_name"].iloc[-1] if len(part) else None,
            "",
            f"{label}: longest refusal",
            "text",
        ),
        f"{g}_longest_days": Quantity(
            float(part["median_days"].max()) if len(part) else None,
            "days",
            f"{label}: longest refusal",
            "days",
        ),
        f"{g}_shortest_system": Quantity(
            closed.sort_values("median_days")["system_name"].iloc[0] if len(closed) else None,
            "",
            f"{label}: shortest completed refusal",
            "text",
        ),
        f"{g}_shortest_days": Quantity(
            float(closed["median_days"].min()) if len(closed) else None,
            "days",
            f"{label}: shortest completed refusal",
            "days",
        ),
    }
    for i, tag in enumerate(("short", "long")):
        share = None if c is None else c["shares"][i]
        for key, suffix, what in (
            ("share", "", "share still refused"),
            ("low", "_low", "lower bound"),
            ("high", "_high", "upper bound"),
            ("date_low", "_date_low", "lowest over date draws"),
            ("date_high", "_date_high", "highest over date draws"),
        ):
            out[f"{g}_share_{tag}{suffix}"] = Quantity(
                None if share is None else share[key],
                "",
                f"{label}: refused for the {tag} horizon or more, {what}",
                "share",
            )
        out[f"n_{g}_refused_{tag}"] = Quantity(
            int(part[f"at_least_{(r.threshold_days, r.long_threshold_days)[i]}"].sum())
            if len(part)
            else 0,
            "decisions",
            f"{label}: decisions refused for the {tag} horizon or more",
            "count",
        )
    return out
