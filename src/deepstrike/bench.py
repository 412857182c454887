"""`make bench`: build against the naive pipeline, warm rebuild, size, model speed, peak memory."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from deepstrike import paths
from deepstrike.chapters import CHAPTERS
from deepstrike.params import load_scenario

BIN = Path(sys.executable).parent
PAGE = os.sysconf("SC_PAGE_SIZE")


class Memory(NamedTuple):
    """Memory of a process tree: summed RSS counts a page shared by several processes (the
    forked workers, the libraries) once per process; summed PSS divides it among them, so it
    is the memory the tree occupies."""

    rss: int
    pss: int

    def peak(self, other: Memory) -> Memory:
        """The larger of each measure (peaks of RSS and PSS need not fall at one moment)."""
        return Memory(max(self.rss, other.rss), max(self.pss, other.pss))


def _parents() -> dict[int, int]:
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii") as handle:
                out[int(entry.name)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return out


def descendants(root: int) -> set[int]:
    """The process and everything it started, by parent links: kernels start sessions of
    their own, so a session id would miss them."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_memory(root: int) -> Memory:
    """Summed RSS and PSS of a process and all its descendants, now."""
    rss = pss = 0
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                rss += int(handle.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
                pss += next(
                    int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:")
                )
        except (OSError, IndexError, ValueError, StopIteration):
            continue  # the process ended between the listing and the read
    return Memory(rss, pss)


def timed(cmd: list[str], cwd: Path) -> tuple[float, Memory]:
    """Wall time and peak memory of a command and its descendants (sampled every 20 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    peak = Memory(0, 0)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = peak.peak(tree_memory(proc.pid))
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


def whatif_bytes(briefing: Path) -> int:
    """Bytes of the what-if views (sliders and their precomputed points) in a briefing."""
    text = briefing.read_text(encoding="utf-8")
    total = 0
    # nbconvert may reorder attributes and add whitespace: match the box, then its data script.
    for match in re.finditer(r'<div class="whatif"[^>]*>', text):
        data = text.index('class="whatif-data"', match.start())
        end = text.index("</div>", text.index("</script>", data)) + len("</div>")
        total += len(text[match.start() : end].encode())
    return total


SWEEP_AXIS = "supply.horizon_weeks=8:52:12"  # 12 points of the cheapest chapter model


def sweep_throughput(scenario_ref: str, workers: int) -> float:
    """Points per second of `deepstrike sweep` on a local cluster (start-up included), no cache."""
    from deepstrike import sweep

    design = sweep.make_design([sweep.parse_axis(SWEEP_AXIS)], "grid")
    result = sweep.run(scenario_ref, design, workers=workers, log=lambda _l: None)
    return len(design.points) / result.seconds


def _chapter_model(chapter: Any) -> Callable[[int], None]:
    """A chapter's whole model (analyse + key numbers) at a number of draws, baseline inputs."""
    from deepstrike import data

    # Loaded once, outside the timing: reading and validating CSVs is the data layer's cost,
    # not the model's (analyse does not mutate its tables; a test holds it to that).
    tables = {n: data.load_table(n, as_of=AS_OF) for n in chapter.tables}

    def run_model(draws: int) -> None:
        # run_model: the chapter's own parameters plus the shared groups (launch) it reads.
        update = {"draws": draws} if "draws" in chapter.run_model.model_fields else {}
        p = chapter.run_model().model_copy(update=update)
        chapter.numbers(chapter.analyse(p, tables, AS_OF, 1))

    return run_model


AS_OF = date(2024, 11, 18)


MODEL_RUNS = 3


def model_times(draws: int) -> dict[str, float]:
    """Seconds per chapter model, from the registry (so a new chapter is timed too): the
    median of MODEL_RUNS runs, each alone, so one run slowed by the machine does not decide."""
    out = {}
    for chapter in CHAPTERS:
        run_model = _chapter_model(chapter)
        run_model(1000)  # warm-up: imports and data loading are not the model's cost
        times = []
        for _ in range(MODEL_RUNS):
            start = time.perf_counter()
            run_model(draws)
            times.append(time.perf_counter() - start)
        out[chapter.name] = statistics.median(times)
    return out


def _touch_parameter(scenario_ref: str) -> list[str]:
    """One override that changes one chapter parameter (the first chapter's first number)."""
    chapter = CHAPTERS[0]
    for name, info in chapter.params.model_fields.items():
        default = info.get_default(call_default_factory=True)
        if isinstance(default, int) and not isinstance(default, bool):
            return ["-p", f"{chapter.name}.{name}={default + 1}"]
    raise RuntimeError(f"chapter {chapter.name} has no integer parameter to change")


def _executed(stdout: str) -> int:
    return stdout.count(" done in ")


def rebuild_after_edits(cmd: list[str], root: Path, out: Path, scenario_ref: str) -> dict:
    """Rebuild after one chapter parameter changes, and after a summary-template edit."""
    param = _touch_parameter(scenario_ref)
    seconds_param, _ = timed([*cmd, "--out", str(out), *param], root)
    # A summary template edit: one blank line appended, then restored whatever happens.
    chapter = CHAPTERS[0]
    template = sorted(chapter.folder.joinpath("summary").glob("*.j2"))[0]
    original = template.read_text(encoding="utf-8")
    try:
        template.write_text(original + "\n", encoding="utf-8")
        done = subprocess.run(
            [*cmd, "--out", str(out)], cwd=root, capture_output=True, text=True, check=True
        )
    finally:
        template.write_text(original, encoding="utf-8")
    return {
        "param_rebuild_s": seconds_param,
        "param_changed": " ".join(param),
        "summary_edit_notebooks_executed": _executed(done.stdout),
    }


def progress(line: str) -> None:
    """A bench takes minutes: say what it is doing as it goes (stderr keeps stdout the table)."""
    print(f"bench: {line}", file=sys.stderr, flush=True)


def run(
    scenario_ref: str, repeat: int, draws: int, log: Callable[[str], None] = progress
) -> dict[str, Any]:
    from deepstrike import render

    _, scenario = load_scenario(scenario_ref)
    root = paths.project_root()
    cmd = [str(BIN / "deepstrike"), "build", "--scenario", scenario_ref]
    cold, naive, peak = [], [], Memory(0, 0)
    with tempfile.TemporaryDirectory(prefix="deepstrike-bench-") as tmp:
        work = Path(tmp)
        out = work / "report"
        for i in range(repeat):
            shutil.rmtree(out, ignore_errors=True)
            log(f"cold build {i + 1}/{repeat} of {len(CHAPTERS)} notebooks ...")
            seconds, mem = timed([*cmd, "--out", str(out)], root)
            cold.append(seconds)
            peak = peak.peak(mem)
            log(f"  cold build {seconds:.1f} s, peak memory {mem.pss / 1e6:.0f} MB")
            naive_dir = work / f"naive{i}"
            naive_dir.mkdir()
            log(f"naive pipeline {i + 1}/{repeat}: papermill then nbconvert, one by one ...")
            naive.append(naive_pipeline(scenario, naive_dir))
            log(f"  naive pipeline {naive[-1]:.1f} s")
        warm_runs = max(repeat, 2)
        log(f"warm rebuilds ({warm_runs}) ...")
        warm = min(timed([*cmd, "--out", str(out)], root)[0] for _ in range(warm_runs))
        log(f"  warm rebuild {warm:.2f} s")
        log("rebuilds after a parameter change and a template edit ...")
        edits = rebuild_after_edits(cmd, root, out, scenario_ref)
        log(f"  after a parameter change {edits['param_rebuild_s']:.1f} s")
        log("backtest, cold and warm ...")
        backtest_cmd = [str(BIN / "deepstrike"), "backtest", "--scenario", scenario_ref]
        backtest_cmd += ["--out", str(out)]
        backtest_cold = timed([*backtest_cmd, "--no-cache"], root)[0]
        backtest_warm = min(timed(backtest_cmd, root)[0] for _ in range(2))
        log(f"  backtest cold {backtest_cold:.1f} s, warm {backtest_warm:.2f} s")
        briefing = out / scenario_ref / "briefing.html"
        size = briefing.stat().st_size
        whatif = whatif_bytes(briefing)
        parts = {
            "plotly_js": len(render.plotly_js().encode()),
            "figure_json": figure_json_bytes(out / scenario_ref),
            "topojson": topojson_bytes(),
        }
    budget = sum(parts.values())
    log("sweep throughput, 1 and 2 workers ...")
    throughput = {n: sweep_throughput(scenario_ref, n) for n in (1, 2)}
    log(f"  {throughput[1]:.2f} and {throughput[2]:.2f} points/s")
    log(f"models at {draws:,} draws ...")
    model_seconds = model_times(draws)
    return {
        "scenario": scenario_ref,
        "notebooks": len(CHAPTERS),
        "cores": os.cpu_count(),
        "cold_build_s": min(cold),
        "naive_pipeline_s": min(naive),
        "cold_ratio": min(cold) / min(naive),
        "warm_rebuild_s": warm,
        "param_rebuild_s": edits["param_rebuild_s"],
        "param_rebuild_ratio": edits["param_rebuild_s"] / min(cold),
        "param_changed": edits["param_changed"],
        "summary_edit_notebooks_executed": edits["summary_edit_notebooks_executed"],
        "briefing_bytes": size,
        "size_budget_parts": parts,
        # The page before its what-if data against the budget; the what-if data against that.
        "size_ratio": (size - whatif) / budget,
        "whatif_bytes": whatif,
        "whatif_ratio": whatif / (size - whatif),
        "sweep_points_per_s": {str(k): v for k, v in throughput.items()},
        "peak_build_pss_bytes": peak.pss,
        "peak_build_rss_bytes": peak.rss,
        "backtest_cold_s": backtest_cold,
        "backtest_warm_s": backtest_warm,
        "model_draws": draws,
        "model_seconds": model_seconds,
    }


TARGETS = {
    "cold_ratio": (0.35, "at most 0.35 x naive"),
    "warm_rebuild_s": (1.0, "under 1 s"),
    "param_rebuild_ratio": (0.35, "at most 0.35 x cold"),
    "summary_edit_notebooks_executed": (0, "no notebook executed"),
    "size_ratio": (1.15, "at most 1.15 x (plotly.js + figure JSON + topojson)"),
    "whatif_ratio": (0.15, "at most 15% of the page without it"),
    "peak_build_pss_bytes": (1e9, "under 1 GB"),
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
        (
            f"rebuild after {result['param_changed']} / cold",
            f"{result['param_rebuild_ratio']:.2f}",
            verdict("param_rebuild_ratio", result["param_rebuild_ratio"]),
        ),
        (
            "notebooks executed after a summary-template edit",
            f"{result['summary_edit_notebooks_executed']}",
            verdict("summary_edit_notebooks_executed", result["summary_edit_notebooks_executed"]),
        ),
        ("briefing size", f"{result['briefing_bytes'] / 1e6:.2f} MB", ""),
        (
            "size without what-if / (plotly.js + figures + topojson)",
            f"{result['size_ratio']:.3f}",
            verdict("size_ratio", result["size_ratio"]),
        ),
        (
            "peak memory of the build and its kernels (summed PSS)",
            f"{result['peak_build_pss_bytes'] / 1e6:.0f} MB",
            verdict("peak_build_pss_bytes", result["peak_build_pss_bytes"]),
        ),
        (
            "the same as summed RSS (shared pages counted per process)",
            f"{result['peak_build_rss_bytes'] / 1e6:.0f} MB",
            "",
        ),
    ]
    rows += [
        (
            "what-if views / the page without them",
            f"{result['whatif_ratio']:.3f} ({result['whatif_bytes'] / 1e3:.0f} kB)",
            verdict("whatif_ratio", result["whatif_ratio"]),
        ),
        *(
            (f"deepstrike sweep, {n} worker{'s' if n != '1' else ''}", f"{v:.2f} points/s", "")
            for n, v in result["sweep_points_per_s"].items()
        ),
        ("deepstrike backtest, cold", f"{result['backtest_cold_s']:.1f} s", ""),
        ("deepstrike backtest, warm (cached)", f"{result['backtest_warm_s']:.2f} s", ""),
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
