"""`make bench`: build against the naive pipeline, warm rebuild, size, model speed, peak memory."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from deepstrike import paths
from deepstrike.params import CHAPTERS, load_scenario

BIN = Path(sys.executable).parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def _session_rss(sid: int) -> int:
    """Resident memory of every process in one session (the build and all its kernels)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != sid:  # field 6 of stat: session id
                continue
            with open(f"/proc/{entry.name}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak summed RSS of a command and its children (sampled every 20 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _session_rss(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.decode(errors='replace')[-2000:]}")
    return seconds, peak


def naive_pipeline(scenario: Any, work: Path) -> float:
    """papermill CLI, then nbconvert CLI, one notebook after another: the baseline to beat."""
    start = time.perf_counter()
    for chapter in CHAPTERS:
        values = scenario.notebook_parameters(chapter)
        out = work / chapter.notebook
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(paths.notebooks_dir() / chapter.notebook),
                str(out),
                "-y",
                yaml.safe_dump(values),
                "--cwd",
                str(paths.notebooks_dir()),
                "--no-progress-bar",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(out)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def figure_json_bytes(out_dir: Path) -> int:
    """Compact JSON size of every plotly figure in the executed notebooks."""
    total = 0
    for chapter in CHAPTERS:
        nb = json.loads((out_dir / "notebooks" / chapter.notebook).read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                fig = out.get("data", {}).get("application/vnd.plotly.v1+json")
                if fig is not None:
                    total += len(json.dumps(fig, separators=(",", ":")))
    return total


def topojson_bytes() -> int:
    folder = paths.data_dir() / "topojson"
    return sum(p.stat().st_size for p in folder.glob("*.json")) if folder.is_dir() else 0


def _pattern_model(draws: int) -> None:
    from deepstrike import data, pattern
    from deepstrike.params import PatternParams

    p = PatternParams()
    events = data.load_table("pattern_events", as_of="2024-11-18")
    pattern.analyse(
        events, p.systems, "2024-11-18", draws, 1, p.interval_pct, p.months_threshold_days
    )


def _supply_model(draws: int) -> None:
    from deepstrike import supply

    supply.run_model(draws=draws)


def _tables(names: tuple[str, ...]) -> dict[str, Any]:
    from deepstrike import data

    return {name: data.load_table(name, as_of="2024-11-18") for name in names}


def _drones_model(draws: int) -> None:
    from deepstrike import drones
    from deepstrike.params import DronesParams

    names = ("strike_systems", "targets", "deep_targets", "front_line", "drone_production")
    drones.analyse(_tables(names), DronesParams(), "2024-11-18", draws, 1)


def _escalation_model(draws: int) -> None:
    from deepstrike import escalation
    from deepstrike.params import EscalationParams

    p = EscalationParams().model_dump()
    escalation.run(p, _tables(escalation.TABLES), "2024-11-18", 1, draws=draws)


def _escalation_sensitivity(_draws: int) -> None:
    from deepstrike import escalation
    from deepstrike.params import EscalationParams

    p = EscalationParams().model_dump()
    escalation.run_sensitivity(p, _tables(escalation.TABLES), "2024-11-18", 1)


# name -> function running that model's whole Monte Carlo for a number of draws
MODELS: dict[str, Callable[[int], None]] = {
    "pattern": _pattern_model,
    "supply": _supply_model,
    "drones": _drones_model,
    "escalation": _escalation_model,
    "escalation sensitivity (Sobol, default samples)": _escalation_sensitivity,
}


def model_times(draws: int) -> dict[str, float]:
    out = {}
    for name, run in MODELS.items():
        run(1000)  # warm-up: imports and data loading are not the model's cost
        start = time.perf_counter()
        run(draws)
        out[name] = time.perf_counter() - start
    return out


def run(scenario_ref: str, repeat: int, draws: int) -> dict[str, Any]:
    from deepstrike import render

    _, scenario = load_scenario(scenario_ref)
    root = paths.project_root()
    cmd = [str(BIN / "deepstrike"), "build", "--scenario", scenario_ref]
    cold, naive, peak = [], [], 0
    with tempfile.TemporaryDirectory(prefix="deepstrike-bench-") as tmp:
        work = Path(tmp)
        out = work / "report"
        for i in range(repeat):
            shutil.rmtree(out, ignore_errors=True)
            seconds, rss = timed([*cmd, "--out", str(out)], root)
            cold.append(seconds)
            peak = max(peak, rss)
            naive_dir = work / f"naive{i}"
            naive_dir.mkdir()
            naive.append(naive_pipeline(scenario, naive_dir))
        warm = min(timed([*cmd, "--out", str(out)], root)[0] for _ in range(max(repeat, 2)))
        briefing = out / scenario_ref / "briefing.html"
        size = briefing.stat().st_size
        parts = {
            "plotly_js": len(render.plotly_js().encode()),
            "figure_json": figure_json_bytes(out / scenario_ref),
            "topojson": topojson_bytes(),
        }
    budget = sum(parts.values())
    return {
        "scenario": scenario_ref,
        "notebooks": len(CHAPTERS),
        "cores": os.cpu_count(),
        "cold_build_s": min(cold),
        "naive_pipeline_s": min(naive),
        "cold_ratio": min(cold) / min(naive),
        "warm_rebuild_s": warm,
        "briefing_bytes": size,
        "size_budget_parts": parts,
        "size_ratio": size / budget,
        "peak_build_rss_bytes": peak,
        "model_draws": draws,
        "model_seconds": model_times(draws),
    }


TARGETS = {
    "cold_ratio": (0.5, "at most 0.5 x naive (stretch 0.35)"),
    "warm_rebuild_s": (1.0, "under 1 s"),
    "size_ratio": (1.15, "at most 1.15 x (plotly.js + figure JSON + topojson)"),
    "peak_build_rss_bytes": (1e9, "under 1 GB"),
}


def table(result: dict[str, Any]) -> str:
    def verdict(key: str, value: float) -> str:
        limit, text = TARGETS[key]
        return f"{'ok  ' if value <= limit else 'MISS'} target {text}"

    rows = [
        ("cold build", f"{result['cold_build_s']:.2f} s", ""),
        ("naive papermill + nbconvert", f"{result['naive_pipeline_s']:.2f} s", ""),
        (
            "cold / naive",
            f"{result['cold_ratio']:.2f}",
            verdict("cold_ratio", result["cold_ratio"]),
        ),
        (
            "warm rebuild",
            f"{result['warm_rebuild_s']:.2f} s",
            verdict("warm_rebuild_s", result["warm_rebuild_s"]),
        ),
        ("briefing size", f"{result['briefing_bytes'] / 1e6:.2f} MB", ""),
        (
            "size / (plotly.js + figures + topojson)",
            f"{result['size_ratio']:.3f}",
            verdict("size_ratio", result["size_ratio"]),
        ),
        (
            "peak memory of the build",
            f"{result['peak_build_rss_bytes'] / 1e6:.0f} MB",
            verdict("peak_build_rss_bytes", result["peak_build_rss_bytes"]),
        ),
    ]
    for name, seconds in result["model_seconds"].items():
        rows.append(
            (
                f"model {name}, {result['model_draws']:,} draws",
                f"{seconds:.3f} s",
                f"{'ok  ' if seconds < 1 else 'MISS'} target under 1 s",
            )
        )
    width = max(len(r[0]) for r in rows)
    lines = [f"{'measure':<{width}}  {'value':>10}  verdict", "-" * (width + 40)]
    lines += [f"{a:<{width}}  {b:>10}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deepstrike-bench", description=__doc__)
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each build; best is kept")
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--out", default="report/bench.json")
    args = parser.parse_args(argv)
    result = run(args.scenario, max(1, args.repeat), args.draws)
    print(table(result))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
