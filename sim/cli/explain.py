"""`sim explain`: every parameter of a scenario with its value, unit and source."""

from __future__ import annotations

from sim.cli.loading import load_checked

HELP = "print every parameter with value, unit and source, levers, uncertainties"


def add(subparsers) -> None:
    parser = subparsers.add_parser("explain", help=HELP, description=HELP)
    parser.add_argument("scenario", help="scenario YAML file, or the name of a shipped scenario")
    parser.add_argument("--grep", help="only rows whose path or source contains this text")
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.scenario.explain import format_factors, format_rows, parameter_rows

    scenario = load_checked(args.scenario)
    rows = parameter_rows(scenario)
    if args.grep:
        rows = [r for r in rows if args.grep.lower() in (r["path"] + r["source"]).lower()]
    print(format_rows(rows) if rows else "no parameter matches")
    if not args.grep:
        print(format_factors(scenario))
    return 0
