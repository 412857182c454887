"""`deepstrike compare A B ...`: build what is not cached, then one page of results side by side."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deepstrike import build, compare_view, data, render
from deepstrike.language import Quantity
from deepstrike.params import ParamError, load_scenario, problem_error

# A page named after its scenarios stays readable; past this the name is shortened and a hash
# of all the names keeps it unique (a file name may hold at most 255 bytes).
MAX_PAGE_NAME = 100


@dataclass
class Row:
    name: str
    unit: str
    values: list[Any]
    differs: bool
    deltas: list[float | None]
    label: str = ""
    shown: list[str] | None = None  # each value as the briefing shows it


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    """Dict-valued results become one row per key: `pattern.refusal_days[himars]`."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}[{key}]"))
        return out
    return {prefix: value}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def result_rows(payloads: list[dict[str, Any]]) -> list[Row]:
    """Every recorded result of every scenario, aligned by name; deltas against the first."""
    flat: list[dict[str, tuple[Any, str]]] = []
    labels: dict[str, str] = {}
    shown: dict[tuple[int, str], str] = {}
    for i, payload in enumerate(payloads):
        row: dict[str, tuple[Any, str]] = {}
        for name, item in payload["results"].items():
            labels[name] = item.get("label", "")
            if "kind" in item and not isinstance(item.get("value"), dict):
                # The same text the briefing prints for this quantity (one value, one form).
                shown[(i, name)] = Quantity.from_record(name, item).text()
            for key, value in flatten(item["value"], name).items():
                row[key] = (value, item.get("unit", ""))
        flat.append(row)
    names = sorted(set().union(*flat))
    rows = []
    for name in names:
        values = [f.get(name, (None, ""))[0] for f in flat]
        unit = next((f[name][1] for f in flat if name in f), "")
        first = _number(values[0])
        deltas = [
            None if first is None or _number(v) is None else _number(v) - first for v in values
        ]
        texts = [shown.get((i, name)) for i in range(len(values))]
        rows.append(
            Row(
                name,
                unit,
                values,
                any(v != values[0] for v in values),
                deltas,
                labels.get(name.split("[")[0], ""),
                texts if any(t is not None for t in texts) else None,
            )
        )
    # What differs is what a reader comes for: those rows first.
    return sorted(rows, key=lambda row: (not row.differs, row.name))


def parameter_rows(payloads: list[dict[str, Any]]) -> list[Row]:
    """Only the parameters whose values differ between the scenarios."""
    flat = [flatten(p["parameters"], "") for p in payloads]
    rows = []
    for key in sorted(set().union(*flat)):
        values = [f.get(key) for f in flat]
        if any(v != values[0] for v in values):
            name = key.replace("][", ".").strip("[]")
            rows.append(Row(name, "", values, True, [None] * len(values)))
    return rows


def page_name(names: list[str]) -> str:
    """`a--b.html`, or for many or long names `a--b--and-7-more-<hash>.html`."""
    joined = "--".join(names)
    if len(joined) <= MAX_PAGE_NAME:
        return f"{joined}.html"
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()[:10]
    head = "--".join(n[:24] for n in names[:2])
    return f"{head}--and-{len(names) - 2}-more-{digest}.html"


def check(refs: list[str]) -> list[str]:
    """Validate every scenario, as a build would, before anything is built; the names."""
    if len(refs) < 2:
        raise ParamError("compare needs at least two scenarios")
    problems, names, scenarios = [], [], []
    for ref in refs:
        try:
            name, scenario = load_scenario(ref)
        except ParamError as exc:
            problems.append(str(exc))
            continue
        names.append((ref, name))
        scenarios.append(scenario)
    if problems:
        raise problem_error("compare", problems)
    seen: dict[str, str] = {}
    for ref, name in names:
        if name in seen and seen[name] == ref:
            raise ParamError(f"compare: scenario {ref} is listed twice")
        if name in seen:
            raise ParamError(
                f"compare: {seen[name]} and {ref} are both named {name!r}, and each build "
                "writes to report/<name>: rename one of the files"
            )
        seen[name] = ref
    tables = data.validate_all()
    for scenario in scenarios:
        build.check_against_data(scenario, tables)
    return [name for _, name in names]


def compare(
    refs: list[str],
    out_root: Path | str = "report",
    log: Callable[[str], None] = print,
) -> Path:
    """Build each scenario (cache permitting) and write report/compare/<a>--<b>....html."""
    names = check(refs)
    out_root = Path(out_root)
    results = []
    for ref in refs:
        log(f"deepstrike: scenario {ref}")
        results.append(build.build(ref, out_root=out_root, log=log))
    payloads = [json.loads(r.results_path.read_text(encoding="utf-8")) for r in results]
    target_dir = out_root / "compare"
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise build.OutputError(f"cannot write {target_dir} ({exc.strerror})") from exc
    target = target_dir / page_name(names)
    scenarios = [
        {
            "name": r.scenario,
            "title": p["title"],
            "as_of": p["as_of"],
            "link": os.path.relpath(r.briefing, target_dir),
        }
        for r, p in zip(results, payloads, strict=True)
    ]
    page = render.compare_page(
        {
            "scenarios": scenarios,
            "results": result_rows(payloads),
            "parameters": parameter_rows(payloads),
            "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "command": "deepstrike compare " + " ".join(refs),
            **compare_view.page_context(payloads, results),
        }
    )
    try:
        build.atomic_write(target, page)
    except OSError as exc:
        raise build.OutputError(f"cannot write {target} ({exc.strerror})") from exc
    return target
