"""Executive summary: bottom line and key judgments, built only from one build's results.json."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deepstrike.results import estimative, join_names


@dataclass(frozen=True)
class Judgment:
    chapter: str
    text: str  # HTML: values escaped, **bold** applied
    confidence: str
    figure: str  # data-figure id the judgment rests on


def _v(results: dict[str, Any], name: str) -> Any:
    """A result the judgment needs; a missing or empty one (KeyError) skips the judgment."""
    value = results[name]["value"]
    if value is None:
        raise KeyError(name)
    return value


def _maybe(results: dict[str, Any], name: str) -> Any:
    """A result that may legitimately be empty (None)."""
    return results[name]["value"]


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _pattern(r: dict[str, Any]) -> Judgment:
    long_ = _v(r, "pattern.refused_for_months")
    short = _v(r, "pattern.refused_briefly")
    window = f"{_v(r, 'pattern.threshold_days')} days or more"
    n_long, n_all = _v(r, "pattern.n_refused_for_months"), _v(r, "pattern.n_refused")
    scope = "every" if n_long == n_all else ("no" if n_long == 0 else "some, not all,")
    return Judgment(
        "pattern",
        f"The refuse-then-approve pattern holds for {scope} decision(s) with a dated refusal: of "
        f"<strong>{_v(r, 'pattern.n_refused')}</strong> decisions with a dated public refusal, "
        f"<strong>{_v(r, 'pattern.n_refused_for_months')}</strong> stayed refused for {window} "
        f"({_esc(join_names(long_))}); {_esc(join_names(short))} were approved sooner.",
        _v(r, "pattern.confidence"),
        "pattern-delays",
    )


def _supply_stock(r: dict[str, Any]) -> Judgment:
    p_out = 1.0 - _v(r, "supply.p_lasts_past_horizon")
    median = _maybe(r, "supply.depletion_week_median")
    if median is None:
        lasts = "in the median draw it lasts past the horizon"
    else:
        lasts = (
            f"in the median draw it lasts <strong>{median:.0f}</strong> weeks (interval "
            f"{_v(r, 'supply.depletion_week_low'):.0f}–{_v(r, 'supply.depletion_week_high'):.0f})"
        )
    return Judgment(
        "supply",
        f"Ukraine's ATACMS stock is {_esc(estimative(p_out))} to run out within the modelled "
        f"horizon; {lasts} and yields about <strong>{_v(r, 'supply.hits_median'):.0f}</strong> "
        f"effective hits.",
        _v(r, "supply.confidence"),
        "supply-stock-fan",
    )


def _supply_reach(r: dict[str, Any]) -> Judgment:
    return Judgment(
        "supply",
        f"<strong>{_v(r, 'supply.airbases_in_range')}</strong> of "
        f"{_v(r, 'supply.airbases_total')} mapped airbases lie within ATACMS range of launch "
        f"positions, but after the reported relocation only about "
        f"<strong>{_v(r, 'supply.fleet_in_range_after_pct'):.0f}%</strong> of Russia's strike "
        f"aircraft would be within reach (about "
        f"{_v(r, 'supply.fleet_in_range_before_pct'):.0f}% before).",
        _v(r, "supply.confidence"),
        "supply-reach-map",
    )


def _drones_cost(r: dict[str, Any]) -> Judgment:
    return Judgment(
        "drones",
        f"Against soft targets, the cheapest long-range drone is "
        f"{_esc(estimative(_v(r, 'drones.p_drone_cheaper_soft')))} to cost less per effective "
        f"hit than the cheapest missile (about <strong>"
        f"{_v(r, 'drones.ratio_soft_median'):.1f}×</strong> cheaper in the median); against "
        f"hardened targets that is {_esc(estimative(_v(r, 'drones.p_drone_cheaper_hard')))}.",
        _v(r, "drones.confidence"),
        "drones-cpeh",
    )


def _drones_reach(r: dict[str, Any]) -> Judgment:
    drone, missile = _v(r, "drones.max_drone_deep_reach"), _v(r, "drones.max_missile_deep_reach")
    verdict = (
        "deeper than"
        if drone > missile
        else ("as deep as" if drone == missile else "less deep than")
    )
    return Judgment(
        "drones",
        f"Drones reach {verdict} missiles: the longest-range drone covers "
        f"<strong>{_v(r, 'drones.max_drone_deep_reach')}</strong> of "
        f"{_v(r, 'drones.n_deep_targets')} deep targets (refineries, Moscow airports, strategic "
        f"airbases), the longest-range missile {_v(r, 'drones.max_missile_deep_reach')}.",
        _v(r, "drones.confidence"),
        "drones-reach-curve",
    )


def _escalation(r: dict[str, Any]) -> Judgment:
    return Judgment(
        "escalation",
        f"Within the horizon, Russian nuclear signalling is "
        f"{_esc(estimative(_v(r, 'escalation.p_nuclear_signalling')))} and a direct attack on "
        f"NATO {_esc(estimative(_v(r, 'escalation.p_attack_nato')))}, on the 2022–24 record; "
        f"the model expects about <strong>{_v(r, 'escalation.sabotage_median'):.0f}</strong> "
        f"sabotage attacks in Europe (interval {_v(r, 'escalation.sabotage_low'):.0f}–"
        f"{_v(r, 'escalation.sabotage_high'):.0f}).",
        _v(r, "escalation.confidence_attack_nato"),
        "escalation-ladder",
    )


BUILDERS: tuple[Callable[[dict[str, Any]], Judgment], ...] = (
    _pattern,
    _supply_stock,
    _supply_reach,
    _drones_cost,
    _drones_reach,
    _escalation,
)


def key_judgments(results: dict[str, Any]) -> list[Judgment]:
    """Every judgment whose chapter ran in this build (a missing result skips its judgment)."""
    out = []
    for builder in BUILDERS:
        try:
            out.append(builder(results))
        except KeyError:
            continue
    return out


def _bluf_supply(r: dict[str, Any]) -> str:
    median = _maybe(r, "supply.depletion_week_median")
    lasts = "past the modelled horizon" if median is None else f"about {median:.0f} weeks"
    after = _v(r, "supply.fleet_in_range_after_pct")
    return (
        f"At the modelled firing rate Ukraine's ATACMS stock lasts {lasts} (median), and after "
        f"the reported relocation about {after:.0f}% of Russia's strike aircraft sit within its "
        f"range"
    )


def _bluf_drones(r: dict[str, Any]) -> str:
    ratio = _v(r, "drones.ratio_soft_median")
    cheaper = "cheaper" if ratio >= 1 else "dearer"
    factor = ratio if ratio >= 1 else 1 / ratio
    return (
        f"domestic long-range drones are about {factor:.1f}× {cheaper} per effective hit than "
        f"missiles against soft targets"
    )


def _bluf_escalation(r: dict[str, Any]) -> str:
    return (
        f"on the 2022–24 record a direct Russian attack on NATO within the horizon is "
        f"{estimative(_v(r, 'escalation.p_attack_nato'))}, nuclear signalling "
        f"{estimative(_v(r, 'escalation.p_nuclear_signalling'))}"
    )


def bottom_line(results: dict[str, Any]) -> str:
    """One paragraph, the briefing's first: HTML with escaped values. Every comparative word
    is chosen from the numbers, so the sentence cannot outlive the results it states."""
    parts = []
    for part in (_bluf_supply, _bluf_drones, _bluf_escalation):
        try:
            parts.append(part(results))
        except KeyError:
            continue
    if not parts:
        return ""
    text = "; ".join(parts) + "."
    return html.escape(text[0].upper() + text[1:])
