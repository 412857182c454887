"""What-if views: a chapter's main levers swept on a small grid when its notebook runs, so the
briefing can move the headline and the main chart in the browser, offline, with no kernel.

A chapter opts in with a `whatif` module in its folder:

    REASON = "why these levers"            # shown under the sliders
    FIGURE = "supply-depletion"            # the figure id its notebook shows
    LEVERS = [Lever(...), ...]             # two or three, each with a few options
    def figure(result) -> go.Figure        # the builder the notebook uses for FIGURE
    SETTINGS = {...}                       # optional: sensitivity settings lowered at every
                                           # point, that enter neither headline nor chart
                                           # (a test holds each chapter to that)

The notebook calls `run.whatif()` after the main chart. Every grid point is a full
`analyse` + `key_numbers` with the scenario's seed, so a point shows exactly what a build with
those parameters shows. The point's headline is kept as a prose payload and rendered again at
build time with the templates of now: the words (likely, cheaper ...) are chosen for every
point from its own numbers, never carried over from the default. The chart is kept as the
difference from the default point's figure, which is the one on the page.
"""

from __future__ import annotations

import hashlib
import html
import importlib
import itertools
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

WHATIF_MIME = "application/vnd.deepstrike.whatif+json"
MAX_POINTS = 32  # a grid larger than this costs the build more than a reader gains
_DIGITS = 4  # significant digits kept in chart differences (the charts show two or three)
# Set by the build for its kernels: a folder where computed points are kept by content, so a
# rebuild after a parameter change recomputes only the points that parameter moves.
CACHE_ENV = "DEEPSTRIKE_WHATIF_CACHE"
# ... and what the chapter's points depend on besides their parameters (its code, tables and
# package versions), as the build hashed it: this module imports nothing of the build, so a
# chapter's cache key does not take in the others' code through it.
SALT_ENV = "DEEPSTRIKE_WHATIF_SALT"
CACHE_VERSION = 1


@dataclass(frozen=True)
class Option:
    label: str  # what the slider shows, e.g. "52 weeks"
    updates: dict[str, Any]  # the chapter parameters this option sets


@dataclass(frozen=True)
class Lever:
    name: str  # what the reader moves, in words
    options: tuple[Option, ...]
    unit_label: Any = None  # optional: callable(params) -> label of the scenario's own value
    params: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        keys = {k for o in self.options for k in o.updates}
        object.__setattr__(self, "params", tuple(sorted(keys)))


def one(param: str, *choices: tuple[str, Any]) -> tuple[Option, ...]:
    """Options that set one parameter: one("horizon_weeks", ("13 weeks", 13), ...)."""
    return tuple(Option(label, {param: value}) for label, value in choices)


def spec(chapter_name: str) -> Any | None:
    """The chapter's whatif module, or None when the chapter has no what-if view."""
    try:
        return importlib.import_module(f"deepstrike.chapters.{chapter_name}.whatif")
    except ModuleNotFoundError as exc:
        if exc.name == f"deepstrike.chapters.{chapter_name}.whatif":
            return None
        raise


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def options_for(lever: Lever, params: Any) -> tuple[list[Option], int]:
    """The lever's options with the scenario's own setting among them, and its index.

    The slider starts at the scenario's value: if no option matches it, it is added, placed by
    its first parameter's value among numeric options (first otherwise)."""
    current = {k: getattr(params, k) for k in lever.params}
    opts = list(lever.options)
    for i, o in enumerate(opts):
        if all(_same(current[k], v) for k, v in o.updates.items()) and set(o.updates) == set(
            current
        ):
            return opts, i
    label = lever.unit_label(params) if lever.unit_label else _label(current)
    mine = Option(f"{label} (scenario)", current)
    first = lever.params[0]
    numeric = all(isinstance(o.updates.get(first), int | float) for o in opts)
    where = 0
    if numeric and isinstance(current[first], int | float):
        where = sum(1 for o in opts if o.updates[first] < current[first])
    opts.insert(where, mine)
    return opts, where


def _label(updates: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in updates.items())


def _valid(lever: Lever, params: Any) -> Lever:
    """The lever without options the schema refuses beside the scenario's other values (a short
    horizon at or above a scenario's long one, say): a slider offers only what a build accepts."""
    from pydantic import ValidationError

    kept = []
    for o in lever.options:
        try:
            point_params(params, o.updates)
        except ValidationError:
            continue
        kept.append(o)
    return Lever(lever.name, tuple(kept), lever.unit_label)


def grid(levers: list[Lever], params: Any) -> tuple[list[list[Option]], list[int]]:
    """Every lever's options and the default position; checked against MAX_POINTS."""
    chosen = [options_for(_valid(lever, params), params) for lever in levers]
    options = [c[0] for c in chosen]
    size = math.prod(len(o) for o in options)
    if size > MAX_POINTS:
        raise ValueError(f"what-if grid of {size} points exceeds {MAX_POINTS}")
    return options, [c[1] for c in chosen]


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{_DIGITS}g}") if math.isfinite(value) else None
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def figure_json(fig: Any) -> dict[str, Any]:
    import plotly.io as pio

    return json.loads(pio.to_json(fig))


def difference(base: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """What the browser needs to turn the base figure into `other`: per trace and for the
    layout, the top-level keys whose values differ (whole traces when their number differs)."""
    b_data, o_data = base.get("data", []), other.get("data", [])
    out: dict[str, Any] = {}
    if len(b_data) != len(o_data):
        out["traces"] = _round(o_data)
    else:
        changed = {}
        for i, (b, o) in enumerate(zip(b_data, o_data, strict=True)):
            keys = {k: _round(o[k]) for k in o if b.get(k) != o[k]}
            gone = [k for k in b if k not in o]
            if keys or gone:
                changed[str(i)] = {**keys, **dict.fromkeys(gone)}
        if changed:
            out["data"] = changed
    b_lay, o_lay = base.get("layout", {}), other.get("layout", {})
    lay = {k: _round(v) for k, v in o_lay.items() if k != "template" and b_lay.get(k) != v}
    if lay:
        out["layout"] = lay
    return out


def point_params(run_params: Any, updates: dict[str, Any]) -> Any:
    """A grid point's parameters, validated by the schema like any build's."""
    model = type(run_params)
    return model(**{**run_params.model_dump(), **updates})


def settings(module: Any, params: Any) -> dict[str, Any]:
    """The module's lowered sensitivity settings, where they lower the scenario's own."""
    return {k: v for k, v in getattr(module, "SETTINGS", {}).items() if v < getattr(params, k)}


def _cache_base(chapter: Any, module: Any, as_of: Any, seed: int) -> dict[str, Any] | None:
    """What every point of a chapter depends on besides its parameters: the build's salt (the
    chapter's code, its folder and the shared modules it imports, whatif modules included; its
    tables; package versions), the as-of date, the seed and the figure shown. None without a
    cache folder or a salt: then nothing is kept."""
    salt = os.environ.get(SALT_ENV)
    if not os.environ.get(CACHE_ENV) or not salt:
        return None
    return {
        "v": CACHE_VERSION,
        "chapter": chapter.name,
        "salt": salt,
        "as_of": as_of.isoformat(),
        "seed": seed,
        "figure": module.FIGURE,
        "python": sys.version,
    }


def _point_key(base: dict[str, Any], params: Any) -> str:
    payload = {**base, "params": params.model_dump(mode="json")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def _read_point(path: Path) -> dict[str, Any] | None:
    try:
        point = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        print(f"deepstrike: discarding a corrupt what-if point {path.name}", file=sys.stderr)
        return None
    ok = isinstance(point, dict) and isinstance(point.get("numbers"), dict) and "figure" in point
    return point if ok else None


def _write_point(path: Path, point: dict[str, Any]) -> None:
    # Written whole or not at all: a temporary file, flushed, then renamed into place.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(point, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _run_point(
    chapter: Any,
    module: Any,
    p: Any,
    tables: dict,
    as_of: Any,
    seed: int,
    base: dict | None,
    known: tuple[Any, Any] | None = None,
) -> dict:
    """A point's key numbers (as records) and its figure: from the cache when the build keeps
    one (`base` given) and holds this point, else computed (and kept). `known` is the
    notebook's own (parameters, result): the point with exactly those parameters reuses it."""
    folder = os.environ.get(CACHE_ENV)
    fast = point_params(p, settings(module, p))
    path = None
    if folder and base is not None:
        path = Path(folder) / f"{chapter.name}-{_point_key(base, fast)}.json"
        found = _read_point(path)
        if found is not None:
            return found
    if known is not None and fast == known[0]:
        result = known[1]  # same parameters, tables, date and seed: the same numbers
    else:
        result = chapter.analyse(fast, tables, as_of, seed)
    numbers = chapter.numbers(result)
    point = {
        "numbers": {short: [q.name, q.as_record()] for short, q in numbers.items()},
        "figure": figure_json(module.figure(result)),
    }
    if path is not None:
        try:
            _write_point(path, point)
        except OSError as exc:  # a full disk costs the next build time, never this one
            print(f"deepstrike: what-if point not cached: {exc}", file=sys.stderr)
    return point


def compute(
    chapter: Any, run_params: Any, tables: dict, as_of: Any, seed: int, result: Any = None
) -> dict:
    """Every grid point of the chapter's what-if view: headline payload and chart difference.
    `result`, when given, is analyse's result for `run_params` (the notebook has it already):
    the point with exactly those parameters is not computed again."""

    module = spec(chapter.name)
    if module is None:
        raise ValueError(f"chapter {chapter.name} has no whatif module")
    options, default = grid(list(module.LEVERS), run_params)
    base = _cache_base(chapter, module, as_of, seed)
    points = []
    base_fig: dict[str, Any] | None = None
    combos = list(itertools.product(*(range(len(o)) for o in options)))
    known = (run_params, result) if result is not None else None
    figures = []
    for combo in combos:
        updates: dict[str, Any] = {}
        for lever_options, i in zip(options, combo, strict=True):
            updates.update(lever_options[i].updates)
        p = point_params(run_params, updates)
        computed = _run_point(chapter, module, p, tables, as_of, seed, base, known)
        context = {"as_of": as_of.isoformat(), "p": p.model_dump(mode="json")}
        fig = computed["figure"]
        figures.append(fig)
        if list(combo) == default:
            base_fig = fig
        points.append(
            {
                "at": list(combo),
                "updates": updates,
                "headline": {
                    "chapter": chapter.name,
                    "template": "headline",
                    "numbers": computed["numbers"],
                    "context": json.loads(json.dumps(context, default=str)),
                },
            }
        )
    assert base_fig is not None  # the default is one of the combinations by construction
    for point, fig in zip(points, figures, strict=True):
        point["figure"] = difference(base_fig, fig)
    return {
        "chapter": chapter.name,
        "figure": module.FIGURE,
        "reason": module.REASON,
        "levers": [
            {
                "name": lever.name,
                "params": list(lever.params),
                "labels": [o.label for o in opts],
                "default": d,
            }
            for lever, opts, d in zip(module.LEVERS, options, default, strict=True)
        ],
        "points": points,
    }


# --- the briefing --------------------------------------------------------------------------


def _script_json(value: Any) -> str:
    # Inside <script>, "</" would end the element; JSON allows "<\/".
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def rebuild_hint(payload: dict[str, Any]) -> str:
    names = [f"{payload['chapter']}.{p}" for lever in payload["levers"] for p in lever["params"]]
    return "deepstrike build " + " ".join(f"-p {n}=…" for n in names)


def render(payload: dict[str, Any]) -> Markup:
    """The sliders and the precomputed points, with every headline rendered now."""
    from deepstrike import prose

    chapter = payload["chapter"]
    strides, step = [], 1
    for lever in reversed(payload["levers"]):
        strides.insert(0, step)
        step *= len(lever["labels"])
    points = [None] * step
    for point in payload["points"]:
        index = sum(i * s for i, s in zip(point["at"], strides, strict=True))
        headline = str(prose.render_payload(point["headline"]))
        points[index] = {"headline": headline, "figure": point["figure"]}
    data = {
        "figure": f"fig-{payload['figure']}",
        "strides": strides,
        "defaults": [lever["default"] for lever in payload["levers"]],
        "points": points,
    }
    default_index = sum(d * s for d, s in zip(data["defaults"], strides, strict=True))
    ident = f"whatif-{chapter}"
    rows = []
    for n, lever in enumerate(payload["levers"]):
        d = lever["default"]
        rows.append(
            f'<div class="whatif-lever"><label for="{ident}-{n}">{html.escape(lever["name"])}'
            f'</label><input type="range" id="{ident}-{n}" min="0" '
            f'max="{len(lever["labels"]) - 1}" step="1" value="{d}" data-lever="{n}" '
            f'data-labels="{html.escape(json.dumps(lever["labels"]), quote=True)}">'
            f'<output for="{ident}-{n}">{html.escape(lever["labels"][d])}</output></div>'
        )
    hint = html.escape(rebuild_hint(payload))
    return Markup(
        f'<div class="whatif" id="{ident}" data-chapter="{chapter}">'
        '<p class="whatif-head"><strong>What if?</strong> Move a lever to see this chapter\'s '
        "headline and the chart above at other settings. The view is precomputed: each "
        "position is a full run of the model, made when this briefing was built; the summary "
        "stays at the scenario's values. For any other value, rebuild with "
        f"<code>{hint}</code>.</p>"
        f"{''.join(rows)}"
        # The headline at the sliders' setting, here beside them as well as at the chapter's top.
        f'<div class="whatif-now" aria-live="polite">{points[default_index]["headline"]}</div>'
        f'<p class="whatif-why muted">{html.escape(payload["reason"])}</p>'
        '<button type="button" class="whatif-reset">Back to the scenario</button>'
        f'<script type="application/json" class="whatif-data">{_script_json(data)}</script>'
        "</div>"
    )
