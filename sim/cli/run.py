"""`sim run`: one scenario's ensemble of worlds into a result folder, and its summary."""

from __future__ import annotations

import sys

from sim.cli import options
from sim.cli.exits import EXIT_INTERRUPTED
from sim.cli.loading import load_checked
from sim.cli.options import DEFAULT_OUT

HELP = "run one scenario's ensemble of worlds; print its summary, write results and plots"


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "run",
        help=HELP,
        description=f"{HELP}. To run several scenarios or a sweep, use `sim batch`.",
        parents=[
            options.worlds("the scenario's"),
            options.seed("the scenario's"),
            options.assumptions(),
            options.out(
                "output folder, which must not exist yet (default: out/<scenario name>"
                "[_LEVER=VALUE...]); its parent folder must exist"
            ),
            options.force(),
            options.progress(),
        ],
    )
    parser.add_argument("scenario", help="scenario YAML file, or the name of a shipped scenario")
    parser.add_argument(
        "--months", type=options.positive, help="horizon in months (default: the scenario's)"
    )
    parser.add_argument(
        "--set",
        type=options.lever,
        action="append",
        default=[],
        metavar="LEVER=VALUE",
        help="set a declared lever, e.g. --set us_sanctions=0.8 (repeatable)",
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.results.folder import check_not_an_input
    from sim.scenario.loading import input_files, resolve_path, with_horizon

    refuse_repeated_levers(args.set)
    if args.out is not None:  # before reading the scenario file, which is never the output
        check_not_an_input(args.out, input_files(args.scenario))
    scenario = load_checked(args.scenario, **dict(args.set))
    if args.months is not None:
        scenario = with_horizon(scenario, args.months, f"{resolve_path(args.scenario)} (--months)")
    moved = "".join(f"_{name}={value:g}" for name, value in args.set)
    out = args.out
    if out is None:
        out = DEFAULT_OUT / f"{scenario.name}{moved}"
        DEFAULT_OUT.mkdir(exist_ok=True)

    from sim.batch.runner import run  # after the checks, so that bad input is answered at once

    try:
        res = run(
            scenario,
            worlds=args.worlds,
            seed=args.seed,
            progress=not args.no_progress,
            out=out,
            force=args.force,
            assumptions=args.assumptions,
        )
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: nothing was written to {out}/ (a run is written whole or not at "
            f"all); to keep finished blocks and resume, run it as a batch:\n  sim batch "
            f"{args.scenario} --out DIR, and after a stop the same with --resume",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(format_summary(res))
    print(assumptions_note(res))
    print(
        f"\n{res.worlds} worlds x {res.months} months in {res.timings['seconds']:.2f} s; "
        f"results in {out}/ (summary.csv, plots/, series.zarr, manifest.json)"
    )
    return 0


def refuse_repeated_levers(levers: list[tuple[str, float]]) -> None:
    """`--set NAME=...` given twice for one name is refused, not silently the last."""
    from sim.errors import UsageError

    seen: dict[str, float] = {}
    for name, value in levers:
        if name in seen:
            raise UsageError(
                "--set", f"{name} is set twice ({seen[name]:g} and {value:g}); give it once"
            )
        seen[name] = value


def assumptions_note(res) -> str:
    """What the bands carry: the declared assumptions and the dice, or the dice alone."""
    count = len(res.scenario.uncertainties) + sum(len(s.paths) for s in res.scenario.shares)
    if res.assumptions == "drawn" and count:
        return (
            f"Bands: each world drew its own values of the {count} declared assumptions "
            "(sim explain lists them) and its own shocks."
        )
    return "Bands: every assumption at its written value; the spread is the shocks' alone."


def format_summary(res) -> str:
    """Final-month influence, median [5%, 95%], power by state, and the change since month 0."""
    table = res.summary()
    end = res.dates[-1].strftime("%Y-%m")
    lines = [
        f"Influence in {end} (median [5%, 95%] over {res.worlds} worlds; change since "
        f"{res.dates[0].strftime('%Y-%m')}):"
    ]
    states = list(dict.fromkeys(table["state"]))
    lines.append("power  " + "".join(f"{s:>22}" for s in states))
    for power, rows in table.groupby("power", sort=False):
        by_state = {r.state: r for r in rows.itertuples()}
        cells = [
            f"{r.median:.3f} [{r.q05:.2f},{r.q95:.2f}]" if (r := by_state.get(s)) else "-"
            for s in states
        ]
        lines.append(f"{power:<7}" + "".join(f"{c:>22}" for c in cells))
        changes = [f"{r.change:+.3f}" if (r := by_state.get(s)) else "" for s in states]
        lines.append(f"{'  chg':<7}" + "".join(f"{c:>22}" for c in changes))
    return "\n".join(lines)
