"""Command line: `deepstrike build`, `deepstrike params`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_BUSY = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deepstrike",
        description="Build the deepstrike briefing for a scenario, or list its parameters.",
    )
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
        help="override one parameter, e.g. -p pattern.months_threshold_days=90 (repeatable)",
    )
    build.add_argument("--out", default="report", help="output folder [report]")
    build.add_argument(
        "--workers", type=int, default=None, help="parallel kernels [number of cores]"
    )
    build.add_argument("--no-cache", action="store_true", help="execute every notebook again")
    build.add_argument(
        "--pdf", action="store_true", help="also print briefing.pdf with headless Chromium"
    )
    compare = sub.add_parser(
        "compare", help="build several scenarios and write one page of their results side by side"
    )
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="names or YAML paths")
    compare.add_argument("--out", default="report", help="output folder [report]")
    params = sub.add_parser("params", help="list every parameter with default, unit and bounds")
    params.add_argument("--scenario", "-s", default=None, help="also show this scenario's values")
    return parser


def _params(scenario_ref: str | None) -> int:
    from deepstrike import params

    values = {}
    if scenario_ref:
        _, scenario = params.load_scenario(scenario_ref)
        values = {row["name"]: row["value"] for row in _rows(scenario)}
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
    widths = [min(max(len(str(r[i])) for r in [header, *rows]), 48) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [
            str(c) if len(str(c)) <= w else str(c)[: w - 1] + "…"
            for c, w in zip(row, widths, strict=True)
        ]
        print(
            "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)), cells[-1]
        )
    return EXIT_OK


def _rows(scenario):  # noqa: ANN001, ANN202
    from deepstrike.build import parameter_rows

    return parameter_rows(scenario)


def _show(value: object) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _build(args: argparse.Namespace) -> int:
    from deepstrike import build

    if args.workers is not None and args.workers < 1:
        print("deepstrike: error: --workers must be at least 1", file=sys.stderr)
        return EXIT_INPUT
    print(f"deepstrike: building scenario {args.scenario}", flush=True)
    result = build.build(
        args.scenario,
        args.param,
        out_root=Path(args.out),
        workers=args.workers,
        use_cache=not args.no_cache,
        log=lambda line: print(line, flush=True),
        pdf=args.pdf,
    )
    size = result.briefing.stat().st_size / 1e6
    print(f"deepstrike: wrote {result.briefing} ({size:.1f} MB) in {result.seconds:.1f} s")
    print(f"deepstrike: results in {result.results_path}")
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    from deepstrike.compare import compare

    if len(args.scenarios) < 2:
        print("deepstrike: error: compare needs at least two scenarios", file=sys.stderr)
        return EXIT_INPUT
    page = compare(
        args.scenarios, out_root=Path(args.out), log=lambda line: print(line, flush=True)
    )
    print(f"deepstrike: wrote {page}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from deepstrike.build import BuildBusy, BuildError
    from deepstrike.data import DataError
    from deepstrike.params import ParamError
    from deepstrike.pdf import PdfError

    try:
        if args.command == "params":
            return _params(args.scenario)
        if args.command == "compare":
            return _compare(args)
        return _build(args)
    except (ParamError, DataError) as exc:
        print(f"deepstrike: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BuildBusy as exc:
        print(f"deepstrike: error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except PdfError as exc:
        print(f"deepstrike: error: {exc} (the HTML briefing was written)", file=sys.stderr)
        return EXIT_FAILED
    except BuildError as exc:
        print(f"deepstrike: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("deepstrike: interrupted; the last good briefing is untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
