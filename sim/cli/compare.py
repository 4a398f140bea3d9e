"""`sim compare`: paired differences of influence between two result folders."""

from __future__ import annotations

from pathlib import Path

from sim.cli import options
from sim.cli.outputs import claim_if_given

HELP = "paired differences of influence between two result folders, world by world"


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help=HELP,
        description=f"{HELP} (common random numbers: the two runs must share their seed)",
        parents=[options.out("folder for comparison.csv and plots (new)"), options.force()],
    )
    parser.add_argument("a", type=Path, help="result folder of the scenario")
    parser.add_argument("b", type=Path, help="result folder to compare against (e.g. baseline)")
    parser.add_argument("--state", help="state to print (default: the host)")
    parser.add_argument(
        "--why",
        action="store_true",
        help="also print each holder's change split into its components (over the host, a "
        "power's economic and diplomatic ones into their drivers)",
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.analysis.compare import compare, write_comparison

    # the output folder is checked and locked before the work, and written whole after it
    with claim_if_given(args.out, args.force, "comparison", [args.a, args.b]) as claim:
        comparison = compare(args.a, args.b)
        state = args.state or comparison.a.scenario.codes("host")[0]
        if state not in comparison.a.labels("state"):
            from sim.errors import UsageError

            states = ", ".join(comparison.a.labels("state"))
            raise UsageError("--state", f"unknown state {state!r}; allowed: {states}")
        print(comparison.describe(state))
        if args.why:
            print(comparison.describe_why(state))
        if claim is not None:
            written = write_comparison(comparison, claim)
            print(f"table and plots in {args.out}/ ({', '.join(p.name for p in written)})")
    return 0
