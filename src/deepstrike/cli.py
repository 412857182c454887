"""Command line: `deepstrike build`, `deepstrike compare`, `deepstrike params`.

Exit codes: 0 done, 1 the build failed or its output cannot be written, 2 bad input (nothing
written), 3 another build is writing to the same folder. Every error is one message, never a
traceback; output piped into `head` ends quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import textwrap
import typing
from datetime import date
from pathlib import Path
from typing import Any

from deepstrike import __version__

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_BUSY = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepstrike",
        description="Build the deepstrike briefing for a scenario, or list its parameters.",
    )
    parser.add_argument("--version", action="version", version=f"deepstrike {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="execute the chapters and render the HTML briefing")
    build.add_argument(
        "--scenario",
        "-s",
        default="baseline",
        help="scenario name (scenarios/NAME.yaml) or path to a YAML file [baseline]",
    )
    build.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override one parameter, e.g. -p pattern.months_threshold_days=90 (repeatable); "
        "the build then goes to its own folder, <scenario>-<hash of the changes>",
    )
    build.add_argument(
        "--name",
        default=None,
        help="name of the output folder (report/NAME) instead of the scenario's",
    )
    build.add_argument("--out", default="report", help="output folder [report]")
    build.add_argument(
        "--workers", type=int, default=None, help="parallel kernels [number of cores]"
    )
    build.add_argument(
        "--no-cache", action="store_true", help="use no cache: execute and render everything"
    )
    build.add_argument(
        "--pdf", action="store_true", help="also print briefing.pdf with headless Chromium"
    )
    compare = sub.add_parser(
        "compare", help="build several scenarios and write one page of their results side by side"
    )
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="names or YAML paths")
    compare.add_argument("--out", default="report", help="output folder [report]")
    sweep = sub.add_parser(
        "sweep", help="run the chapter models over a design of parameters on dask.distributed"
    )
    sweep.add_argument("--scenario", "-s", default="baseline", help="scenario the design varies")
    sweep.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=LO:HI[:N]",
        help="a varied parameter: lo:hi:n grid values, lo:hi bounds, a,b,c values (repeatable)",
    )
    sweep.add_argument("--design", choices=["grid", "lhs", "saltelli"], default="grid")
    sweep.add_argument("--samples", type=int, default=64, help="samples of lhs/saltelli [64]")
    sweep.add_argument("--seed", type=int, default=0, help="seed of the design [0]")
    sweep.add_argument("--workers", type=int, default=None, help="local workers [cores]")
    sweep.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    sweep.add_argument("--out", default="report/sweep.parquet", help="Parquet file to write")
    # Listed here for --help; its own options are parsed by deepstrike.backtest.main.
    sub.add_parser(
        "backtest",
        add_help=False,
        help="replay the models as of past dates and score their forecasts "
        "(deepstrike backtest --help)",
    )
    params = sub.add_parser("params", help="list every parameter with default, unit and bounds")
    params.add_argument(
        "--scenario",
        "-s",
        default=None,
        help="also show this scenario's values, after checking it as a build would",
    )
    params.add_argument(
        "--json",
        action="store_true",
        help="print the parameters as JSON (name, type, default, unit, bounds, allowed values, "
        "description)",
    )
    return parser


# --- output that survives a closed pipe -------------------------------------------------------


def _mute_stdout() -> None:
    """The reader went away (`| head`): send the rest of the output nowhere, quietly."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def say(line: str = "") -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        _mute_stdout()


def _error(message: str) -> None:
    with contextlib.suppress(OSError):
        print(f"deepstrike: error: {message}", file=sys.stderr, flush=True)


# --- params -------------------------------------------------------------------------------------


def _fields() -> dict[str, Any]:
    """Every parameter's pydantic field by its catalogue name."""
    from deepstrike import params

    groups = getattr(params, "GROUPS", None) or {c.name: c.params for c in params.CHAPTERS}
    out = dict(params.ScenarioBase.model_fields)
    for group, model in groups.items():
        out.update({f"{group}.{name}": f for name, f in model.model_fields.items()})
    return out


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return type(typing.get_args(annotation)[0]).__name__
    if origin is list:
        (inner,) = typing.get_args(annotation) or (Any,)
        return f"list[{_type_name(inner)}]"
    return getattr(annotation, "__name__", str(annotation))


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _bounds(field: Any) -> dict[str, Any]:
    out = {}
    for item in field.metadata:
        for attr in ("ge", "gt", "le", "lt", "min_length", "max_length"):
            if getattr(item, attr, None) is not None:
                out[attr] = _plain(getattr(item, attr))
    return out


def parameters_json() -> list[dict[str, Any]]:
    """What `deepstrike params --json` prints: one object per parameter."""
    from deepstrike import params

    fields = _fields()
    out = []
    for info in params.catalogue():
        allowed = params.allowed_values(info.annotation)
        out.append(
            {
                "name": info.name,
                "type": _type_name(info.annotation),
                "default": _plain(info.default),
                "unit": info.unit,
                "bounds": _bounds(fields[info.name]) if info.name in fields else {},
                "allowed": allowed or None,
                "description": info.description,
            }
        )
    return out


def _check_scenario(ref: str) -> tuple[Any, list[str]]:
    """A scenario checked as `build` checks it, every problem reported, not only the first."""
    from deepstrike import data, params
    from deepstrike.chapters import CHAPTERS

    try:
        _, scenario = params.load_scenario(ref)
    except params.ParamError as exc:
        found = getattr(exc, "problems", None)
        return None, [f"scenario {ref}: {p}" for p in found] if found else [str(exc)]
    try:
        tables = data.validate_all()
    except data.DataError as exc:
        return scenario, [str(exc)]
    problems = []
    for chapter in CHAPTERS:
        try:
            getattr(scenario, chapter.name).check_data(tables)
        except params.ParamError as exc:
            problems.append(f"scenario {ref}: {exc}")
    return scenario, problems


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _params(scenario_ref: str | None, as_json: bool) -> int:
    from deepstrike import params

    values = {}
    if scenario_ref:
        scenario, problems = _check_scenario(scenario_ref)
        if problems:
            for problem in problems:
                _error(problem)
            return EXIT_INPUT
        values = {row["name"]: row["value"] for row in _rows(scenario)}
    if as_json:
        items = parameters_json()
        if values:
            for item in items:
                item["value"] = _plain(values[item["name"]])
        say(json.dumps(items, indent=2, ensure_ascii=False))
        return EXIT_OK
    header = ["parameter", "default", "unit", "bounds", "description"]
    if values:
        header.insert(1, "value")
    rows = []
    for info in params.catalogue():
        default = info.default.isoformat() if hasattr(info.default, "isoformat") else info.default
        row = [info.name, _show(default), info.unit, info.bounds, info.description]
        if values:
            row.insert(1, _show(values[info.name]))
        rows.append(row)
    caps = {"value": 20, "default": 20, "unit": 14, "bounds": 26}
    widths = [
        min(max(len(str(r[i])) for r in [header, *rows]), caps.get(name, 60))
        for i, name in enumerate(header)
    ]
    # The description takes what is left of the terminal (wrapped, never cut).
    total = shutil.get_terminal_size((120, 24)).columns
    widths[-1] = max(40, total - sum(widths[:-1]) - 2 * (len(widths) - 1))
    for row in [header, *rows]:
        cells = [_wrap(str(c), w) for c, w in zip(row, widths, strict=True)]
        for k in range(max(len(c) for c in cells)):
            parts = [
                (c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)
            ]
            say("  ".join(parts).rstrip())
    return EXIT_OK


def _rows(scenario):  # noqa: ANN001, ANN202
    from deepstrike.build import parameter_rows

    return parameter_rows(scenario)


def _show(value: object) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


# --- build and compare --------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    from deepstrike import build

    if args.workers is not None and args.workers < 1:
        _error("--workers must be at least 1")
        return EXIT_INPUT
    from deepstrike import uptodate

    # Fingerprinted before the build reads anything: a file changed meanwhile means stale.
    inputs = uptodate.fingerprint(args.scenario)
    say(f"deepstrike: building scenario {args.scenario}")
    result = build.build(
        args.scenario,
        args.param,
        out_root=Path(args.out),
        workers=args.workers,
        use_cache=not args.no_cache,
        log=say,
        pdf=args.pdf,
        name=args.name,
    )
    size = result.briefing.stat().st_size / 1e6
    say(f"deepstrike: wrote {result.briefing} ({size:.1f} MB) in {result.seconds:.1f} s")
    say(f"deepstrike: results in {result.results_path}")
    outputs = [result.briefing, result.results_path, *([result.pdf] if result.pdf else [])]
    uptodate.record(Path(args.out), _request(args), inputs, outputs)
    return EXIT_OK


def _request(args: argparse.Namespace) -> str:
    from deepstrike import uptodate

    return uptodate.request_key(Path(args.out), args.scenario, args.param, args.name, args.pdf)


def _up_to_date(args: argparse.Namespace) -> bool:
    """Nothing a build reads has changed since this same build last wrote its output: say so
    and stop, before importing the pipeline (--no-cache always builds)."""
    from deepstrike import uptodate

    outputs = uptodate.current(Path(args.out), _request(args), uptodate.fingerprint(args.scenario))
    if not outputs:
        return False
    say(f"deepstrike: scenario {args.scenario} is up to date: nothing it reads has changed")
    say(f"deepstrike: {outputs[0]} (unchanged)")
    return True


def _compare(args: argparse.Namespace) -> int:
    from deepstrike.compare import compare

    if len(args.scenarios) < 2:
        _error("compare needs at least two scenarios")
        return EXIT_INPUT
    page = compare(args.scenarios, out_root=Path(args.out), log=say)
    say(f"deepstrike: wrote {page}")
    return EXIT_OK


def _sweep(args: argparse.Namespace) -> int:
    from deepstrike import sweep

    if args.workers is not None and args.workers < 1:
        _error("--workers must be at least 1")
        return EXIT_INPUT
    axes = [sweep.parse_axis(text) for text in args.vary]
    design = sweep.make_design(axes, args.design, args.samples, args.seed)
    out = Path(args.out)
    result = sweep.run(
        args.scenario,
        design,
        out,
        out.parent / ".sweep-cache",
        workers=args.workers,
        scheduler=args.scheduler,
        log=say,
    )
    rate = result.computed / result.seconds if result.seconds else 0.0
    say(
        f"deepstrike: {len(design.points)} points ({result.computed} computed, {result.cached} "
        f"cached) in {result.seconds:.1f} s, {rate:.2f} points/s; wrote {result.path}"
    )
    if not result.summary.empty:
        column = "st" if "st" in result.summary else "spearman"
        top = result.summary.reindex(
            result.summary[column].abs().sort_values(ascending=False).index
        ).head(10)
        for row in top.itertuples():
            say(f"  {row.parameter} moves {row.quantity}: {column} {getattr(row, column):+.2f}")
    return EXIT_OK


def _terminated(signum: int, _frame: Any) -> None:
    # SIGTERM unwinds like Ctrl-C: workers are ended, the lock and staging folder released.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        _mute_stdout()
        return EXIT_OK


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["backtest"]:
        from deepstrike import backtest

        return backtest.main(argv[1:], log=say)
    args = _parser().parse_args(argv)
    if args.command == "build" and not args.no_cache and _up_to_date(args):
        return EXIT_OK
    if args.command in ("build", "compare"):
        from deepstrike import kernels

        kernels.start_server()  # its preload overlaps the imports and checks that follow
    from deepstrike.build import BuildBusy, BuildError
    from deepstrike.data import DataError
    from deepstrike.params import ParamError
    from deepstrike.pdf import PdfError

    previous = None
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        if args.command == "params":
            return _params(args.scenario, args.json)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        return _build(args)
    except (ParamError, DataError) as exc:
        _error(str(exc))
        return EXIT_INPUT
    except BuildBusy as exc:
        _error(str(exc))
        return EXIT_BUSY
    except PdfError as exc:
        _error(f"{exc} (the HTML briefing was written; no PDF is kept beside it)")
        return EXIT_FAILED
    except BuildError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted; the last good briefing is untouched")
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
