"""`sim discover`: the assumptions (and a batch's levers) under which an outcome meets a
condition, found by PRIM or CART among the worlds of a drawn run."""

from __future__ import annotations

from pathlib import Path

from sim.cli import options
from sim.errors import ResultError, UsageError

HELP = "find the assumptions under which an outcome meets a condition (PRIM or CART)"


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "discover",
        help=HELP,
        description=f"{HELP}: each world of a run made with --assumptions drawn is one "
        "experiment; the box of assumptions where the worlds of interest gather is reported "
        "with its coverage, density and each restriction's significance",
        parents=[
            options.out("folder for box.csv, trajectory.csv and discovery.png (new)"),
            options.force(),
        ],  # fmt: skip
    )
    parser.add_argument("result", type=Path, help="result folder of a drawn run, or a batch")
    parser.add_argument("--outcome", required=True, help="a declared outcome of the scenario")
    condition = parser.add_mutually_exclusive_group(required=True)
    condition.add_argument("--below", type=options.number, help="worlds with the outcome below X")
    condition.add_argument("--above", type=options.number, help="worlds with the outcome above X")
    condition.add_argument("--top", type=options.share, help="the top SHARE of worlds (e.g. 0.2)")
    condition.add_argument("--bottom", type=options.share, help="the bottom SHARE of worlds")
    parser.add_argument(
        "--against",
        type=Path,
        help="result folder of a run of the same worlds: the outcome becomes the paired effect "
        "(this run minus that one)",
    )
    parser.add_argument("--method", choices=("prim", "cart"), default="prim",
                        help="PRIM (default) or CART")  # fmt: skip
    parser.add_argument("--density", type=options.share, default=0.8,
                        help="the density a PRIM box should reach (default 0.8)")  # fmt: skip
    parser.add_argument("--max-restrictions", type=options.positive, default=5,
                        help="the most inputs a chosen box restricts (default 5)")  # fmt: skip
    parser.add_argument("--box", type=int, help="choose this box of the trajectory instead")
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.analysis.discovery import discover, write_discovery
    from sim.analysis.experiments import scenarios
    from sim.cli.outputs import claim_if_given
    from sim.results.collection import load_results

    inputs = [args.result, *([args.against] if args.against else [])]
    with claim_if_given(args.out, args.force, "discovery", inputs) as claim:
        results = load_results(args.result)
        against = load_results(args.against) if args.against else None
        declared = [o.name for o in scenarios(results)[0].outcomes]
        if args.outcome not in declared:
            raise UsageError(
                "--outcome",
                f"{args.result} declares no outcome {args.outcome!r}; declared: "
                f"{', '.join(declared) or 'none'}",
            )
        try:
            found = discover(
                results, args.outcome, below=args.below, above=args.above, top=args.top,
                bottom=args.bottom, against=against, method=args.method, density=args.density,
                max_restrictions=args.max_restrictions, box=args.box,
            )  # fmt: skip
        except ValueError as err:
            raise ResultError(args.result, str(err)) from None
        print(found.describe())
        if claim is not None:
            written = write_discovery(found, claim, inputs)
            print(f"box, trajectory and figure in {args.out}/ ({', '.join(written)})")
    return 0
