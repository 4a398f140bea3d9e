"""`sim validate`: the baseline against the calibration targets and stylised facts."""

from __future__ import annotations

import logging
from pathlib import Path

from sim.cli import options
from sim.cli.exits import EXIT_FAILED
from sim.cli.loading import load_checked
from sim.cli.outputs import claim_if_given

HELP = (
    "check the baseline against calibration targets and stylised facts, with the assumptions "
    "fixed as written and drawn per world; exit 1 if a check fails with them fixed"
)


def add(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help=HELP,
        description=HELP,
        parents=[
            options.targets("check"),
            options.worlds("the targets file's"),
            options.seed("the targets file's"),
            options.out("folder to write validation.csv and validation.png into (new)"),
            options.force(),
        ],
    )
    parser.add_argument(
        "--assumptions",
        choices=("both", "fixed", "drawn"),
        default="both",
        help="run the checks with the assumptions fixed as written (as calibrated), drawn per "
        "world, or both side by side (default; the exit code follows the fixed column)",
    )
    parser.set_defaults(handler=handle)


def handle(args) -> int:
    from sim.calibration.validate import (
        TARGETS_FILE,
        format_table,
        load_targets,
        validate,
        validate_both,
        write_validation,
    )
    from sim.scenario.loading import input_files

    targets = load_targets(args.targets)
    name = args.scenario or targets.scenario
    inputs = [Path(args.targets or TARGETS_FILE), *input_files(name)]
    # the output folder is checked (never one of the inputs) and locked before the work, and
    # written whole after it
    with claim_if_given(args.out, args.force, "validation", inputs) as claim:
        scenario = load_checked(name)
        logging.getLogger("sim").info(
            "checking %s against %d targets and %d facts, %d worlds each",
            scenario.name, len(targets.targets), len(targets.facts), args.worlds or targets.worlds,
        )  # fmt: skip
        if args.assumptions == "both":
            table = validate_both(targets, scenario, worlds=args.worlds, seed=args.seed)
        else:
            table = validate(targets, scenario, args.worlds, args.seed, args.assumptions)
        print(format_table(table))
        if claim is not None:
            folder = write_validation(table, claim)
            print(f"table and plot in {folder}/ (validation.csv, validation.png)")
    return 0 if table["passed"].all() else EXIT_FAILED
